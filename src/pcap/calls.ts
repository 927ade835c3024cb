/**
 * Calls in a capture: SIP dialogs (by Call-ID) and the RTP flows their SDP
 * offers and answers announce. SDP sent by a party says where that party
 * receives, so a flow to the address in the INVITE's SDP is the callee's
 * audio (callee → caller) and a flow to the answer's address is the
 * caller's (caller → callee). Per flow: codec, packets, RFC 4733 events,
 * loss from sequence numbers and RFC 3550 interarrival jitter.
 *
 * Bounded: at most `maxCalls` calls are tracked (later ones are counted,
 * not kept), each with at most 64 flows and 32 metadata documents (re-INVITE
 * floods are counted, not kept), and packets are kept only for the calls
 * `keepPackets` names.
 */
import { parseRtp } from "../rtp/packet.ts";
import { parseSdp } from "../sdp/parse.ts";
import { header } from "../sip/message/headers.ts";
import { parseMessage } from "../sip/message/parse.ts";
import type { SipMessage } from "../sip/message/types.ts";
import { splitRecordingBody } from "../siprec/body.ts";
import type { TimedDatagram } from "./datagrams.ts";

export type FlowDirection = "caller" | "callee";

export interface RtpFlow {
  /** Whose audio: the caller's (sent to the callee) or the callee's. */
  readonly speaker: FlowDirection;
  readonly to: string;
  codec: string;
  clockRate: number;
  payloadType: number | undefined;
  telephoneEventPt: number | undefined;
  packets: number;
  events: number;
  firstUs: number;
  lastUs: number;
  lost: number;
  jitterMs: number;
  /** Raw RTP packets with capture times, for calls chosen to be kept. */
  readonly kept: { timeUs: number; bytes: Uint8Array }[];
  /** Sequence/jitter state. */
  maxSeq: number;
  baseSeq: number;
  cycles: number;
  transit: number | undefined;
  jitterUnits: number;
}

export interface CapturedCall {
  readonly callId: string;
  from: string;
  to: string;
  assertedIdentity: string | undefined;
  sessionId: string | undefined;
  startUs: number;
  endUs: number;
  answered: boolean;
  ended: boolean;
  /** A SIPREC session (Require/Content-Type of its INVITE): its metadata bodies as seen. */
  siprec: boolean;
  readonly metadata: string[];
  readonly flows: RtpFlow[];
}

export interface CallExtractorOptions {
  readonly maxCalls?: number;
  readonly keepPackets?: (callId: string) => boolean;
}

const MAX_FLOWS_PER_CALL = 64;
const MAX_METADATA_PER_CALL = 32;
const SIP_START = /^(?:[A-Z]+ \S+ SIP\/2\.0|SIP\/2\.0 \d{3})/;

export class CallExtractor {
  readonly calls = new Map<string, CapturedCall>();
  /** Receive address (ip:port) → the flow that goes there. */
  readonly #flowsByAddr = new Map<string, { call: CapturedCall; flow: RtpFlow }>();
  readonly counters = { sip: 0, sipUnparsed: 0, rtp: 0, unmatched: 0, callsNotKept: 0, metadataNotKept: 0, flowsNotKept: 0 };

  constructor(private readonly o: CallExtractorOptions = {}) {}

  push(d: TimedDatagram): void {
    const p = d.payload;
    if (p.length > 12 && (p[0] as number) >> 6 === 2) {
      const f = this.#flowsByAddr.get(`${d.dst}:${d.dport}`);
      if (f !== undefined) return this.#rtp(f.call, f.flow, d);
    }
    if (p.length > 12 && SIP_START.test(new TextDecoder().decode(p.subarray(0, 64)))) return this.#sip(d);
    if ((p[0] as number) >> 6 === 2) this.counters.unmatched++;
  }

  #sip(d: TimedDatagram): void {
    const m = parseMessage(d.payload);
    if (!m.ok) {
      this.counters.sipUnparsed++;
      return;
    }
    this.counters.sip++;
    const msg = m.value;
    const callId = header(msg, "call-id");
    if (callId === undefined) return;
    let call = this.calls.get(callId);
    const cseq = header(msg, "cseq") ?? "";
    const isInvite = / INVITE$/i.test(cseq);
    if (call === undefined) {
      if (!(msg.kind === "request" && msg.method === "INVITE")) return;
      if (this.calls.size >= (this.o.maxCalls ?? 100_000)) {
        this.counters.callsNotKept++;
        return;
      }
      call = {
        callId, from: header(msg, "from") ?? "", to: header(msg, "to") ?? "", assertedIdentity: header(msg, "p-asserted-identity"), sessionId: header(msg, "session-id"),
        startUs: d.timeUs, endUs: d.timeUs, answered: false, ended: false,
        siprec: /siprec/i.test(header(msg, "require") ?? "") || /multipart\/mixed/i.test(header(msg, "content-type") ?? ""),
        metadata: [], flows: [],
      };
      this.calls.set(callId, call);
    }
    call.endUs = Math.max(call.endUs, d.timeUs);
    if (msg.kind === "response" && isInvite && msg.status >= 200 && msg.status < 300) call.answered = true;
    if (msg.kind === "request" && msg.method === "BYE") call.ended = true;
    this.#bodies(call, msg, d);
  }

  #bodies(call: CapturedCall, msg: SipMessage, d: TimedDatagram): void {
    if (msg.body.length === 0) return;
    const split = splitRecordingBody(header(msg, "content-type"), msg.body);
    if (!split.ok) return;
    if (split.value.metadata !== undefined) {
      if (call.metadata.length < MAX_METADATA_PER_CALL) call.metadata.push(split.value.metadata);
      else this.counters.metadataNotKept++;
    }
    if (split.value.sdp === undefined) return;
    const sdp = parseSdp(split.value.sdp);
    if (!sdp.ok) return;
    // The sender of this SDP receives there: the caller when it is the INVITE side's, the callee otherwise.
    const fromCaller = msg.kind === "request" ? sameParty(header(msg, "from"), call.from) : !sameParty(header(msg, "from"), call.from);
    const speaker: FlowDirection = fromCaller ? "callee" : "caller";
    for (const m of sdp.value.media) {
      if (m.type !== "audio" || m.port === 0) continue;
      const addr = (m.connection ?? sdp.value.connection)?.address ?? d.src;
      const key = `${addr}:${m.port}`;
      const pt = Number(m.formats.find((f) => !m.rtpmaps.some((r) => r.payloadType === Number(f) && r.encodingName.toLowerCase() === "telephone-event")));
      const map = m.rtpmaps.find((r) => r.payloadType === pt);
      const te = m.rtpmaps.find((r) => r.encodingName.toLowerCase() === "telephone-event")?.payloadType;
      const existing = this.#flowsByAddr.get(key);
      if (existing !== undefined && existing.call === call) continue; // a re-INVITE with the same address
      if (call.flows.length >= MAX_FLOWS_PER_CALL) {
        this.counters.flowsNotKept++;
        continue;
      }
      const flow: RtpFlow = {
        speaker, to: key, codec: map?.encodingName.toUpperCase() ?? ({ 0: "PCMU", 8: "PCMA", 9: "G722" } as Record<number, string>)[pt] ?? `PT${pt}`, clockRate: map?.clockRate ?? 8000,
        payloadType: Number.isFinite(pt) ? pt : undefined, telephoneEventPt: te, packets: 0, events: 0, firstUs: 0, lastUs: 0, lost: 0, jitterMs: 0, kept: [],
        maxSeq: -1, baseSeq: 0, cycles: 0, transit: undefined, jitterUnits: 0,
      };
      call.flows.push(flow);
      this.#flowsByAddr.set(key, { call, flow });
    }
  }

  #rtp(call: CapturedCall, f: RtpFlow, d: TimedDatagram): void {
    const r = parseRtp(d.payload);
    if (!r.ok) return;
    this.counters.rtp++;
    const pkt = r.value;
    if (f.packets === 0) {
      f.firstUs = d.timeUs;
      f.baseSeq = pkt.sequence;
      f.maxSeq = pkt.sequence;
    }
    f.packets++;
    f.lastUs = d.timeUs;
    call.endUs = Math.max(call.endUs, d.timeUs);
    if (pkt.payloadType === f.telephoneEventPt) f.events++;
    // RFC 3550 A.1: extended sequence numbers; A.8: interarrival jitter in timestamp units.
    const delta = (pkt.sequence - (f.maxSeq & 0xffff) + 0x10000) & 0xffff;
    if (f.packets > 1 && delta < 0x8000) {
      if (pkt.sequence < (f.maxSeq & 0xffff)) f.cycles += 0x10000;
      f.maxSeq = f.cycles + pkt.sequence;
    }
    const expected = f.maxSeq - f.baseSeq + 1;
    f.lost = Math.max(0, expected - f.packets);
    if (pkt.payloadType !== f.telephoneEventPt) {
      const arrival = (d.timeUs / 1e6) * f.clockRate;
      const transit = arrival - pkt.timestamp;
      if (f.transit !== undefined) f.jitterUnits += (Math.abs(transit - f.transit) - f.jitterUnits) / 16;
      f.transit = transit;
      f.jitterMs = (f.jitterUnits / f.clockRate) * 1000;
    }
    if (this.o.keepPackets?.(call.callId) === true) f.kept.push({ timeUs: d.timeUs, bytes: d.payload });
  }
}

/** Same From (by tag): requests from the caller carry the INVITE's From. */
function sameParty(a: string | undefined, b: string): boolean {
  const tag = (v: string | undefined): string | undefined => /;\s*tag=([^;>\s]+)/i.exec(v ?? "")?.[1];
  return a !== undefined && (tag(a) === tag(b) || a === b);
}
