/**
 * Which calls to record, from ESL events and the configured triggers:
 * (a) CUSTOM `siprec::start|pause|resume|stop` fired by the dialplan `event`
 *     app or `sendevent` (SIPREC-Target-UUID or the event's own Unique-ID
 *     names the call; SIPREC-SRS the groups; SIPREC-Streams the mode);
 * (b) a channel variable present at answer or bridge;
 * (c) rules over call fields, checked at answer.
 * Variable and rule triggers look at A-legs only: the B-leg FreeSWITCH
 * originates for a bridge (it carries `variable_originator`) is the same call,
 * and the tap legs siprec itself originates are never recorded.
 */
import type { z } from "zod";
import type { triggerSchema } from "../config/schema-recording.ts";
import type { EslEvent } from "../esl/event.ts";
import { channelFromEvent } from "./channel.ts";
import { parseNameAddr } from "../sip/message/name-addr.ts";
import { detach, detachOptional } from "../lib/detach.ts";

type DeepReadonly<T> = T extends readonly (infer U)[] ? readonly DeepReadonly<U>[] : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;
export type TriggerConfig = DeepReadonly<z.output<typeof triggerSchema>>;
export type StreamMode = "separate" | "mixed";
export type RecordingAction = "start" | "pause" | "resume" | "stop";
export type TriggerSource = "event" | "variable" | "rule" | "api" | "recovery";

/** A party named by the dialplan instead of the one FreeSWITCH's channel data gives. */
export interface PartyOverride {
  readonly name: string;
  readonly aor: string;
}

export interface RecordingIntent {
  readonly action: RecordingAction;
  readonly callUuid: string;
  /** Groups to act on; for pause/resume/stop, undefined means every group recording the call. */
  readonly srsGroups: readonly string[] | undefined;
  readonly streams: StreamMode | undefined;
  readonly source: TriggerSource;
  /** SIPREC-Caller / SIPREC-Callee of a siprec::start: `Display Name <sip:user@host>`. */
  readonly parties?: { readonly caller?: PartyOverride; readonly callee?: PartyOverride };
}

export type TriggerProblemCode = "TRIGGER_NO_TARGET" | "TRIGGER_UNKNOWN_GROUP" | "TRIGGER_BAD_STREAMS" | "TRIGGER_BAD_PARTY";

export interface TriggerProblem {
  readonly code: TriggerProblemCode;
  readonly message: string;
  readonly callUuid: string | undefined;
}

export interface TriggerResult {
  readonly intents: RecordingIntent[];
  readonly problems: TriggerProblem[];
}

interface CompiledRule {
  readonly groups: readonly string[];
  readonly streams: StreamMode | undefined;
  readonly test: (fields: Record<string, string>) => boolean;
}

export class Triggers {
  readonly #eventGroups: string[] | undefined;
  readonly #eventStreams: StreamMode | undefined;
  readonly #variables: { name: string; on: "answer" | "bridge"; groups: readonly string[]; streams: StreamMode | undefined }[] = [];
  readonly #rules: CompiledRule[] = [];

  constructor(
    triggers: readonly TriggerConfig[],
    private readonly knownGroups: ReadonlySet<string>,
  ) {
    const events = triggers.filter((t) => t.kind === "event");
    this.#eventGroups = events.length === 0 ? undefined : [...new Set(events.flatMap((t) => t.srs_groups))];
    this.#eventStreams = events.find((t) => t.streams !== undefined)?.streams;
    for (const t of triggers) {
      if (t.kind === "variable") this.#variables.push({ name: t.variable, on: t.on, groups: t.srs_groups, streams: t.streams });
      if (t.kind === "rule") {
        const checks = Object.entries(t.match).map(([field, pattern]) => {
          const re = field === "direction" ? new RegExp(`^${pattern}$`) : new RegExp(pattern as string);
          return (f: Record<string, string>): boolean => re.test(f[field] ?? "");
        });
        this.#rules.push({ groups: t.srs_groups, streams: t.streams, test: (f) => checks.every((c) => c(f)) });
      }
    }
  }

  /** The CUSTOM subclasses to subscribe to (FreeSWITCH delivers nothing for a bare CUSTOM). */
  get subclasses(): string[] {
    return this.#eventGroups === undefined ? [] : ["siprec::start", "siprec::pause", "siprec::resume", "siprec::stop"];
  }

  evaluate(e: EslEvent): TriggerResult {
    if (e.name === "CUSTOM" && e.subclass?.startsWith("siprec::") === true) return this.#custom(e);
    if (e.name === "CHANNEL_ANSWER" || e.name === "CHANNEL_BRIDGE") return this.#channel(e);
    return { intents: [], problems: [] };
  }

  #custom(e: EslEvent): TriggerResult {
    const action = e.subclass?.slice("siprec::".length);
    if (this.#eventGroups === undefined || (action !== "start" && action !== "pause" && action !== "resume" && action !== "stop"))
      return { intents: [], problems: [] };
    const h = e.headers;
    // Values a recording keeps for the call's life are detached from the event's text (lib/detach.ts).
    const callUuid = detachOptional(h.get("SIPREC-Target-UUID") || h.get("Unique-ID") || undefined);
    if (callUuid === undefined) {
      return none({ code: "TRIGGER_NO_TARGET", message: `${e.subclass} names no call (neither SIPREC-Target-UUID nor Unique-ID)`, callUuid: undefined });
    }
    const named = splitGroups(h.get("SIPREC-SRS"));
    const unknown = named?.filter((g) => !this.knownGroups.has(g)) ?? [];
    if (unknown.length > 0) {
      return none({ code: "TRIGGER_UNKNOWN_GROUP", message: `${e.subclass} names SRS group(s) not in the config: ${unknown.join(", ")}`, callUuid });
    }
    const streamsText = h.get("SIPREC-Streams");
    if (streamsText !== undefined && streamsText !== "separate" && streamsText !== "mixed") {
      return none({ code: "TRIGGER_BAD_STREAMS", message: `SIPREC-Streams must be "separate" or "mixed", got ${JSON.stringify(streamsText)}`, callUuid });
    }
    const groups = action === "start" ? (named ?? this.#eventGroups) : named;
    const parties: { caller?: PartyOverride; callee?: PartyOverride } = {};
    for (const [role, headerName] of [
      ["caller", "SIPREC-Caller"],
      ["callee", "SIPREC-Callee"],
    ] as const) {
      const text = h.get(headerName);
      if (text === undefined || action !== "start") continue;
      const party = parseParty(text);
      if (party === undefined)
        return none({
          code: "TRIGGER_BAD_PARTY",
          message: `${headerName} must look like 'Name <sip:user@host>', got ${JSON.stringify(text.slice(0, 120))}`,
          callUuid,
        });
      parties[role] = party;
    }
    const intent: RecordingIntent = {
      action,
      callUuid,
      srsGroups: groups,
      streams: (streamsText as StreamMode | undefined) ?? this.#eventStreams,
      source: "event",
      ...(Object.keys(parties).length === 0 ? {} : { parties }),
    };
    return { intents: [intent], problems: [] };
  }

  #channel(e: EslEvent): TriggerResult {
    const info = channelFromEvent(e);
    // B-legs are the A-leg's call; our own tap legs must never trigger a recording of themselves.
    if (info === undefined || info.originator !== undefined || info.tapOf !== undefined) return { intents: [], problems: [] };
    const intents: RecordingIntent[] = [];
    const problems: TriggerProblem[] = [];
    const when = e.name === "CHANNEL_ANSWER" ? "answer" : "bridge";
    for (const v of this.#variables) {
      if (v.on !== when) continue;
      const value = e.headers.get(`variable_${v.name}`);
      if (value === undefined || value === "" || /^(false|no|0|off)$/i.test(value)) continue;
      const groups = /^(true|yes|1|on)$/i.test(value) ? v.groups : (splitGroups(value) ?? v.groups);
      const unknown = groups.filter((g) => !this.knownGroups.has(g));
      if (unknown.length > 0) {
        problems.push({
          code: "TRIGGER_UNKNOWN_GROUP",
          message: `variable ${v.name}=${value} names SRS group(s) not in the config: ${unknown.join(", ")}`,
          callUuid: info.uuid,
        });
        continue;
      }
      intents.push({ action: "start", callUuid: info.uuid, srsGroups: groups, streams: v.streams, source: "variable" });
    }
    if (when === "answer" && this.#rules.length > 0) {
      const fields = { context: info.context, destination: info.destination, caller: info.callerIdNumber, direction: info.direction, profile: info.profile };
      for (const r of this.#rules)
        if (r.test(fields)) intents.push({ action: "start", callUuid: info.uuid, srsGroups: r.groups, streams: r.streams, source: "rule" });
    }
    return { intents, problems };
  }
}

function none(problem: TriggerProblem): TriggerResult {
  return { intents: [], problems: [problem] };
}

/** `Name <sip:user@host>` or a bare `sip:`/`sips:`/`tel:` URI. */
function parseParty(text: string): PartyOverride | undefined {
  const n = parseNameAddr(text.trim());
  if (!n.ok || !/^(sips?|tel):[^\s<>"]+$/i.test(n.value.uri) || n.value.uri.length > 256) return undefined;
  return { name: detach((n.value.displayName ?? "").slice(0, 128)), aor: detach(n.value.uri) };
}

function splitGroups(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const groups = value
    .split(/[,\s]+/)
    .filter((g) => g !== "")
    .map(detach);
  return groups.length === 0 ? undefined : groups;
}
