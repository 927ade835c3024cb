/**
 * The RFC 7865 view of a recorded call, from FreeSWITCH's channel data:
 * one participant per party (the A-leg's caller; the callee from the
 * bridged leg, or the A-leg's To until the first bridge names it), one
 * stream per tap direction, the SIP
 * Call-ID as sipSessionID, and the configured header/variable mapping as
 * extension data. A re-bridge (transfer) makes the old callee leave and the
 * new one join, which the session sends as a partial update.
 */
import type { IdSource } from "../lib/ids.ts";
import { metadataTime, newMetadataId } from "../siprec/metadata/model.ts";
import { type CallParticipant, type CallView, type ExtensionMapping, buildExtensionData } from "../siprec/metadata/snapshot.ts";
import type { ChannelInfo } from "./channel.ts";
import type { PartyOverride, StreamMode } from "./triggers.ts";

export interface MetadataMapping {
  readonly namespace: string;
  readonly map: readonly ExtensionMapping[];
}

/** Labels of the streams offered to the SRS: separate → 1 (caller speaks), 2 (callee speaks); mixed → 1. */
export function labelsFor(mode: StreamMode): readonly string[] {
  return mode === "separate" ? ["1", "2"] : ["1"];
}

/**
 * The label a tap direction feeds. `read` is what the recorded channel
 * receives from its far end: on an inbound channel (an A-leg, a phone
 * calling in) that is the caller; on an outbound channel (a B-leg, or a
 * call FreeSWITCH placed) it is the callee. Labels stay by party, so the
 * metadata's caller always sends on label 1 whichever leg is recorded.
 */
export function labelOfTap(tap: "read" | "write", channel: "inbound" | "outbound"): "1" | "2" {
  return (tap === "read") === (channel === "inbound") ? "1" : "2";
}

function aor(uri: string, fallbackUser: string, host: string): string {
  if (uri !== "") return /^[a-z]+:/i.test(uri) ? uri : `sip:${uri}`;
  const user = fallbackUser.replace(/[^A-Za-z0-9._~+-]/g, "") || "unknown";
  return `sip:${user}@${host || "invalid"}`;
}

/** The SIP header a mapping names, as FreeSWITCH exposes it in channel data. */
/** The channel variables the metadata reads besides the SIP headers (sip_h_/sip_i_) and the mapping's own. */
const READ_VARIABLES = new Set([
  "variable_sip_call_id",
  "variable_sip_full_from",
  "variable_sip_full_to",
  "variable_sip_user_agent",
  "variable_session_uuid",
  "variable_remote_session_uuid",
]);

/**
 * Which of a channel event's ~200 headers the metadata can ever read (what
 * sipHeaders, variables and rfc7989SessionIds below look at, and the
 * variables the mapping names): the call table keeps only those per channel.
 */
export function metadataHeaderFilter(mapping: () => MetadataMapping): (key: string) => boolean {
  return (k) => {
    if (!k.startsWith("variable_")) return false;
    if (k.startsWith("variable_sip_h_") || k.startsWith("variable_sip_i_") || READ_VARIABLES.has(k)) return true;
    const name = k.slice("variable_".length);
    return mapping().map.some((m) => m.from !== "header" && m.name === name);
  };
}

function sipHeaders(h: ReadonlyMap<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  const known: Record<string, string> = {
    "Call-ID": "variable_sip_call_id",
    From: "variable_sip_full_from",
    To: "variable_sip_full_to",
    "User-Agent": "variable_sip_user_agent",
  };
  for (const [name, variable] of Object.entries(known)) {
    const v = h.get(variable);
    if (v !== undefined) out.set(name, v);
  }
  for (const [k, v] of h) {
    if (k.startsWith("variable_sip_h_")) out.set(k.slice("variable_sip_h_".length), v);
    else if (k.startsWith("variable_sip_i_")) out.set(k.slice("variable_sip_i_".length).replace(/_/g, "-"), v);
  }
  return out;
}

const UUID32 = /^[0-9a-f]{32}$/i;

/**
 * RFC 7865 §6.2: <sipSessionID> is the RFC 7989 Session-ID of the recorded
 * call ("local-uuid;remote=remote-uuid"), not its Call-ID. FreeSWITCH keeps
 * a received Session-ID in session_uuid / remote_session_uuid (profile
 * param rfc7989-session-id), or exposes the raw header with
 * parse-all-invite-headers (sip_i_session_id); without one it is left out.
 */
export function rfc7989SessionIds(h: ReadonlyMap<string, string>): string[] {
  const local = h.get("variable_session_uuid") ?? "";
  if (UUID32.test(local)) {
    const remote = h.get("variable_remote_session_uuid") ?? "";
    return [UUID32.test(remote) ? `${local.toLowerCase()};remote=${remote.toLowerCase()}` : local.toLowerCase()];
  }
  const raw = (h.get("variable_sip_i_session_id") ?? h.get("variable_sip_h_Session-ID") ?? "").trim();
  return /^[0-9a-f]{32}(\s*;\s*remote=[0-9a-f]{32})?(\s*;[^\s]*)*$/i.test(raw) ? [raw.replace(/\s+/g, "")] : [];
}

function variables(h: ReadonlyMap<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of h) if (k.startsWith("variable_")) out.set(k.slice("variable_".length), v);
  return out;
}

type Party = CallParticipant & { readonly role: "caller" | "callee"; readonly key: string };

/** Keeps a recorded call's metadata ids stable while its parties change. */
export class CallMetadata {
  readonly #groupId: string;
  readonly #sessionId: string;
  readonly #streamIds: Map<string, string>;
  readonly #parties: Party[] = [];
  readonly #startTime: string;
  #stopTime: string | undefined;
  #held = false;
  #a: ChannelInfo;

  constructor(
    private readonly ids: IdSource,
    a: ChannelInfo,
    private readonly mode: StreamMode,
    private readonly mapping: MetadataMapping,
    startMs: number,
    /** Kept across a daemon restart so the SRS sees the same call group (RFC 7865 §6.1). */
    groupId?: string,
    /** Parties the dialplan named (SIPREC-Caller / SIPREC-Callee): they win over channel data, bridges included. */
    private readonly parties: { readonly caller?: PartyOverride; readonly callee?: PartyOverride } = {},
  ) {
    this.#a = a;
    this.#groupId = groupId ?? newMetadataId(ids);
    this.#sessionId = newMetadataId(ids);
    this.#streamIds = new Map(labelsFor(mode).map((l) => [l, newMetadataId(ids)]));
    this.#startTime = metadataTime(startMs);
    const { caller, callee } = parties;
    this.#join("caller", `${a.uuid}/caller`, caller?.aor ?? aor(a.fromUri, a.callerIdNumber, "invalid"), caller?.name ?? a.callerIdName, startMs);
    this.#join(
      "callee",
      `${a.uuid}/callee`,
      callee?.aor ?? aor(a.toUri, a.destination, "invalid"),
      callee?.name ?? (a.calleeIdName === "Outbound Call" ? "" : a.calleeIdName),
      startMs,
    );
  }

  get groupId(): string {
    return this.#groupId;
  }

  /** The A-leg's data changed (variables set later, codec known): used for extension data. */
  updateA(a: ChannelInfo): void {
    this.#a = a;
  }

  /** The call is bridged to `b` now: a new callee joins (the previous one, if different, leaves). */
  bridgedTo(b: ChannelInfo, atMs: number): boolean {
    if (this.parties.callee !== undefined) return false;
    const key = `${b.uuid}/callee`;
    const current = this.#current("callee");
    if (current?.key === key) return false;
    const uri = b.toUri !== "" ? b.toUri : b.destination !== "" ? `${b.destination}@${b.name.split("@")[1] ?? "invalid"}` : "";
    const aorText = aor(uri, b.calleeIdNumber || b.destination, "invalid");
    const name = b.calleeIdName === "Outbound Call" ? "" : b.calleeIdName;
    if (current !== undefined && current.key === `${this.#a.uuid}/callee`) {
      // The first bridge names the party the caller dialled: the same participant, now known precisely.
      const { name: _old, ...rest } = current;
      this.#parties[this.#parties.indexOf(current)] = { ...rest, key, aor: aorText, ...(name === "" ? {} : { name }) };
      return true;
    }
    if (current !== undefined) this.#leave(current, atMs);
    this.#join("callee", key, aorText, name, atMs);
    return true;
  }

  /**
   * The call is on hold (or back): RFC 7865 §6.8.1 reports a participant
   * that stops receiving without that recv; while held nobody hears the
   * other side, so every recv goes and comes back on unhold. Returns true
   * when that changed the view.
   */
  hold(on: boolean): boolean {
    if (this.#held === on) return false;
    this.#held = on;
    return true;
  }

  /** The recording ends: the session's stop-time and every live participant's disassociate-time (RFC 7865 §6.3, §6.8). */
  end(atMs: number): void {
    this.#stopTime ??= metadataTime(atMs);
    for (const p of this.#parties.filter((x) => x.leaveTime === undefined)) this.#leave(p, atMs);
  }

  view(): CallView {
    const caller = this.#current("caller");
    const callee = this.#current("callee");
    const speakers: Record<string, (string | undefined)[]> =
      this.mode === "separate" ? { "1": [caller?.id], "2": [callee?.id] } : { "1": [caller?.id, callee?.id] };
    const ext = buildExtensionData(this.mapping.namespace, this.mapping.map, sipHeaders(this.#a.headers), variables(this.#a.headers));
    return {
      groupId: this.#groupId,
      sessionId: this.#sessionId,
      sipSessionIds: rfc7989SessionIds(this.#a.headers),
      startTime: this.#startTime,
      ...(this.#stopTime === undefined ? {} : { stopTime: this.#stopTime }),
      participants: this.#parties.map(({ role: _r, key: _k, ...p }) => p),
      streams: [...this.#streamIds].map(([label, id]) => {
        const senders = (speakers[label] ?? []).filter((x): x is string => x !== undefined);
        // RFC 8068 §3.3.1: in a mixed stream every participant sends and receives.
        const others = [caller?.id, callee?.id].filter((x): x is string => x !== undefined && (this.mode === "mixed" || !senders.includes(x)));
        return { id, label, senders, receivers: this.#held ? [] : others };
      }),
      recordingAssociateTime: this.#startTime,
      ...(ext === undefined ? {} : { extensionData: ext }),
    };
  }

  #current(role: "caller" | "callee"): Party | undefined {
    return this.#parties.find((p) => p.role === role && p.leaveTime === undefined);
  }

  #join(role: "caller" | "callee", key: string, aorText: string, name: string, atMs: number): void {
    this.#parties.push({ role, key, id: newMetadataId(this.ids), aor: aorText, ...(name === "" ? {} : { name }), joinTime: metadataTime(atMs) });
  }

  #leave(p: Party, atMs: number): void {
    const i = this.#parties.indexOf(p);
    this.#parties[i] = { ...p, leaveTime: metadataTime(atMs) };
  }
}
