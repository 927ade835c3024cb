/**
 * The channels FreeSWITCH reports, kept current from ESL events, and what
 * changed for the recorder: a bridge to a (new) other leg, an unbridge, hold
 * and unhold, hangup. Bounded: at most `maxChannels` are tracked; past that
 * the oldest hung-up-less entry is dropped and counted (FreeSWITCH's own
 * session limit is normally far below it).
 */
import type { EslEvent } from "../esl/event.ts";
import { type ChannelInfo, channelFromEvent, eventTimeMs } from "./channel.ts";
import { detachOptional } from "../lib/detach.ts";

export type CallChange =
  | { readonly kind: "answer"; readonly uuid: string }
  | { readonly kind: "bridge"; readonly uuid: string; readonly otherUuid: string; readonly previousOtherUuid: string | undefined }
  | { readonly kind: "unbridge"; readonly uuid: string; readonly otherUuid: string | undefined }
  | { readonly kind: "hold"; readonly uuid: string }
  | { readonly kind: "unhold"; readonly uuid: string }
  | { readonly kind: "hangup"; readonly uuid: string; readonly cause: string }
  | { readonly kind: "dtmf"; readonly uuid: string; readonly digit: string; readonly durationSamples: number };

export interface TrackedChannel {
  info: ChannelInfo;
  /** The leg it is bridged to now (Bridge-A/B of the last CHANNEL_BRIDGE), if any. */
  bridgedTo: string | undefined;
  held: boolean;
  hungUp: boolean;
  readonly firstSeenMs: number;
}

export class CallTable {
  readonly #channels = new Map<string, TrackedChannel>();
  #evicted = 0;

  /** `keep`: the event headers a channel keeps (channel.ts); all when absent. */
  constructor(
    private readonly maxChannels = 20_000,
    private readonly keep?: (key: string) => boolean,
  ) {}

  get size(): number {
    return this.#channels.size;
  }

  get evicted(): number {
    return this.#evicted;
  }

  get(uuid: string): TrackedChannel | undefined {
    return this.#channels.get(uuid);
  }

  /** The channel on the other side of a bridge, if both are known. */
  peer(uuid: string): TrackedChannel | undefined {
    const c = this.#channels.get(uuid);
    return c?.bridgedTo === undefined ? undefined : this.#channels.get(c.bridgedTo);
  }

  /** Applies one event; returns what changed for recordings. */
  apply(e: EslEvent): CallChange[] {
    const info = channelFromEvent(e, this.keep);
    if (info === undefined) return [];
    const existing = this.#channels.get(info.uuid);
    const c = existing ?? this.#add(info, eventTimeMs(e) ?? 0);
    c.info = info;
    const out: CallChange[] = [];
    switch (e.name) {
      case "CHANNEL_ANSWER":
        out.push({ kind: "answer", uuid: info.uuid });
        break;
      case "CHANNEL_BRIDGE": {
        const a = e.headers.get("Bridge-A-Unique-ID");
        const b = e.headers.get("Bridge-B-Unique-ID");
        // Detached: a bridged channel keeps this for the call's life, not the event's text with it.
        const other = detachOptional(info.uuid === b ? a : (b ?? info.otherLegUuid));
        if (other !== undefined && other !== c.bridgedTo) {
          out.push({ kind: "bridge", uuid: info.uuid, otherUuid: other, previousOtherUuid: c.bridgedTo });
          c.bridgedTo = other;
          const peer = this.#channels.get(other);
          if (peer !== undefined) peer.bridgedTo = info.uuid;
        }
        break;
      }
      case "CHANNEL_UNBRIDGE":
        out.push({ kind: "unbridge", uuid: info.uuid, otherUuid: c.bridgedTo });
        if (c.bridgedTo !== undefined) {
          const peer = this.#channels.get(c.bridgedTo);
          if (peer?.bridgedTo === info.uuid) peer.bridgedTo = undefined;
        }
        c.bridgedTo = undefined;
        break;
      case "CHANNEL_HOLD":
        if (!c.held) out.push({ kind: "hold", uuid: info.uuid });
        c.held = true;
        break;
      case "CHANNEL_UNHOLD":
        if (c.held) out.push({ kind: "unhold", uuid: info.uuid });
        c.held = false;
        break;
      case "CHANNEL_HANGUP":
      case "CHANNEL_HANGUP_COMPLETE":
        if (!c.hungUp) out.push({ kind: "hangup", uuid: info.uuid, cause: e.headers.get("Hangup-Cause") ?? "NORMAL_CLEARING" });
        c.hungUp = true;
        if (e.name === "CHANNEL_HANGUP_COMPLETE") this.#channels.delete(info.uuid);
        break;
      case "DTMF": {
        const digit = e.headers.get("DTMF-Digit") ?? "";
        if (/^[0-9A-D*#]$/i.test(digit))
          out.push({ kind: "dtmf", uuid: info.uuid, digit: digit.toUpperCase(), durationSamples: Number(e.headers.get("DTMF-Duration")) || 800 });
        break;
      }
    }
    return out;
  }

  /** Replaces the table with the channels FreeSWITCH lists (`show channels as json`) after a reconnect. */
  resync(uuids: readonly string[]): string[] {
    const live = new Set(uuids);
    const gone: string[] = [];
    for (const uuid of this.#channels.keys()) {
      if (!live.has(uuid)) {
        gone.push(uuid);
        this.#channels.delete(uuid);
      }
    }
    return gone;
  }

  #add(info: ChannelInfo, atMs: number): TrackedChannel {
    if (this.#channels.size >= this.maxChannels) {
      const oldest = this.#channels.keys().next().value;
      if (oldest !== undefined) this.#channels.delete(oldest);
      this.#evicted++;
    }
    const c: TrackedChannel = { info, bridgedTo: undefined, held: false, hungUp: false, firstSeenMs: atMs };
    this.#channels.set(info.uuid, c);
    return c;
  }
}

/** Channel uuids from the body of `show channels as json` ({"row_count":N,"rows":[{"uuid":...}]}). */
export function channelUuidsFromShow(body: string): string[] | undefined {
  try {
    const parsed = JSON.parse(body) as { row_count?: unknown; rows?: unknown };
    if (typeof parsed !== "object" || parsed === null || typeof parsed.row_count !== "number") return undefined;
    if (parsed.row_count === 0) return [];
    if (!Array.isArray(parsed.rows)) return undefined;
    return parsed.rows.flatMap((r: unknown) =>
      typeof r === "object" && r !== null && typeof (r as { uuid?: unknown }).uuid === "string" ? [(r as { uuid: string }).uuid] : [],
    );
  } catch {
    return undefined;
  }
}
