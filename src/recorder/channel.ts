/**
 * What the recorder needs to know about one FreeSWITCH channel, read from
 * the channel data every CHANNEL_* event (and dialplan-fired CUSTOM events)
 * carries. Events without channel data (a bare `sendevent`) give undefined.
 */
import type { EslEvent } from "../esl/event.ts";
import { detach, detachOptional } from "../lib/detach.ts";

export interface ChannelInfo {
  readonly uuid: string;
  readonly name: string;
  readonly direction: "inbound" | "outbound";
  readonly callerIdName: string;
  readonly callerIdNumber: string;
  readonly calleeIdName: string;
  readonly calleeIdNumber: string;
  readonly destination: string;
  readonly context: string;
  readonly profile: string;
  /** `user@host[:port]` of the SIP From / To of this leg (no scheme), "" when not SIP. */
  readonly fromUri: string;
  readonly toUri: string;
  readonly sipCallId: string;
  readonly readCodec: string | undefined;
  readonly readRate: number | undefined;
  /** The A-leg's uuid on a B-leg FreeSWITCH originated for a bridge. */
  readonly originator: string | undefined;
  readonly otherLegUuid: string | undefined;
  /** Set on our own tap legs (X-Siprec-Session of the originate): never recorded themselves. */
  readonly tapOf: string | undefined;
  readonly answered: boolean;
  readonly callState: string;
  /** Microseconds since the epoch (Caller-Channel-Created-Time). */
  readonly createdUs: number;
  /** The event's headers the metadata reads (variables, SIP headers; all of them without a `keep` filter). */
  readonly headers: ReadonlyMap<string, string>;
}

/**
 * `keep`: which headers to hold on to (a channel event carries ~200; a tracked channel needs a few).
 * Every string kept is detached from the event's text (lib/detach.ts): a tracked channel lives as
 * long as its call, its event does not.
 */
export function channelFromEvent(e: EslEvent, keep?: (key: string) => boolean): ChannelInfo | undefined {
  const h = e.headers;
  const id = h.get("Unique-ID");
  if (id === undefined || id === "" || !h.has("Channel-Name")) return undefined;
  const uuid = detach(id);
  const get = (k: string): string => detach(h.get(k) ?? "");
  const opt = (v: string | undefined): string | undefined => detachOptional(v || undefined);
  const num = (k: string): number | undefined => {
    const v = Number(h.get(k));
    return Number.isFinite(v) && v > 0 ? v : undefined;
  };
  const other = h.get("Other-Leg-Unique-ID");
  return {
    uuid,
    name: get("Channel-Name"),
    direction: get("Call-Direction") === "outbound" ? "outbound" : "inbound",
    callerIdName: get("Caller-Caller-ID-Name"),
    callerIdNumber: get("Caller-Caller-ID-Number"),
    calleeIdName: get("Caller-Callee-ID-Name"),
    calleeIdNumber: get("Caller-Callee-ID-Number"),
    destination: get("Caller-Destination-Number"),
    context: get("Caller-Context"),
    profile: detach(h.get("variable_sofia_profile_name") ?? h.get("variable_sip_profile_name") ?? ""),
    fromUri: get("variable_sip_from_uri"),
    toUri: get("variable_sip_to_uri"),
    sipCallId: get("variable_sip_call_id"),
    readCodec: opt(h.get("Channel-Read-Codec-Name")),
    readRate: num("Channel-Read-Codec-Rate"),
    originator: opt(h.get("variable_originator")),
    otherLegUuid: opt(other),
    tapOf: opt(h.get("variable_sip_h_X-Siprec-Session")),
    answered: get("Answer-State") === "answered",
    callState: get("Channel-Call-State"),
    createdUs: num("Caller-Channel-Created-Time") ?? num("Event-Date-Timestamp") ?? 0,
    headers: keep === undefined ? h : kept(h, keep),
  };
}

function kept(h: ReadonlyMap<string, string>, keep: (key: string) => boolean): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of h) if (keep(k)) out.set(detach(k), detach(v));
  return out;
}

/** Event-Date-Timestamp in milliseconds since the epoch (FreeSWITCH sends microseconds). */
export function eventTimeMs(e: EslEvent): number | undefined {
  const us = Number(e.headers.get("Event-Date-Timestamp"));
  return Number.isFinite(us) && us > 0 ? Math.floor(us / 1000) : undefined;
}

/**
 * The other leg as the event's Other-Leg-* headers describe it, for a bridge
 * to a channel siprec has not seen created (it subscribed late, or the leg
 * came from elsewhere).
 */
export function otherLegFromEvent(e: EslEvent): ChannelInfo | undefined {
  const h = e.headers;
  const id = h.get("Other-Leg-Unique-ID");
  if (id === undefined || id === "") return undefined;
  const uuid = detach(id);
  const get = (k: string): string => detach(h.get(`Other-Leg-${k}`) ?? "");
  const name = get("Channel-Name");
  const host = name.split("@")[1] ?? "";
  const destination = get("Destination-Number");
  return {
    uuid,
    name,
    direction: get("Direction") === "inbound" ? "inbound" : "outbound",
    callerIdName: get("Caller-ID-Name"),
    callerIdNumber: get("Caller-ID-Number"),
    calleeIdName: get("Callee-ID-Name"),
    calleeIdNumber: get("Callee-ID-Number"),
    destination,
    context: get("Context"),
    profile: "",
    fromUri: "",
    toUri: destination !== "" && host !== "" ? `${destination}@${host}` : "",
    sipCallId: "",
    readCodec: undefined,
    readRate: undefined,
    originator: undefined,
    otherLegUuid: detachOptional(h.get("Unique-ID")),
    tapOf: undefined,
    answered: true,
    callState: "ACTIVE",
    createdUs: 0,
    headers: new Map(),
  };
}
