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
import { type CryptoAttr, type Media, type Sdp, effectiveConnection, effectiveDirection } from "../sdp/types.ts";
import { header } from "../sip/message/headers.ts";
import { parseMessage } from "../sip/message/parse.ts";
import type { SipMessage } from "../sip/message/types.ts";
import { splitRecordingBody } from "../siprec/body.ts";
import type { TimedDatagram } from "./datagrams.ts";
import { type FlowDirection, type RtpFlow, countRtp, newFlow, staticCodec } from "./rtp-flow.ts";

export type { FlowDirection, RtpFlow } from "./rtp-flow.ts";

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
  /** Found by the RTP-only heuristic: no SIP behind it. */
  readonly rtpOnly: boolean;
  /** Its metadata documents as seen, with their capture times (SIPREC sessions). */
  readonly metadata: { readonly timeUs: number; readonly xml: string }[];
  readonly flows: RtpFlow[];
}

/** A call's latest offer, by m-line position: labels (an answer need not repeat them), SDES keys, the flow each announced. */
interface OfferState {
  labels: (string | undefined)[];
  crypto: (readonly CryptoAttr[])[];
  flows: (RtpFlow | undefined)[];
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
  readonly #offers = new Map<string, OfferState>();
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
        callId,
        from: header(msg, "from") ?? "",
        to: header(msg, "to") ?? "",
        assertedIdentity: header(msg, "p-asserted-identity"),
        sessionId: header(msg, "session-id"),
        startUs: d.timeUs,
        endUs: d.timeUs,
        answered: false,
        ended: false,
        siprec: /siprec/i.test(header(msg, "require") ?? "") || /multipart\/mixed/i.test(header(msg, "content-type") ?? ""),
        rtpOnly: false,
        metadata: [],
        flows: [],
      };
      this.calls.set(callId, call);
    }
    call.endUs = Math.max(call.endUs, d.timeUs);
    if (msg.kind === "response" && isInvite && msg.status >= 200 && msg.status < 300) call.answered = true;
    if (msg.kind === "request" && msg.method === "BYE") {
      call.ended = true;
      this.#offers.delete(callId); // no offer/answer after a BYE
    }
    this.#bodies(call, msg, d);
  }

  #bodies(call: CapturedCall, msg: SipMessage, d: TimedDatagram): void {
    if (msg.body.length === 0) return;
    const split = splitRecordingBody(header(msg, "content-type"), msg.body);
    if (!split.ok) return;
    if (split.value.metadata !== undefined) {
      if (call.metadata.length < MAX_METADATA_PER_CALL) call.metadata.push({ timeUs: d.timeUs, xml: split.value.metadata });
      else this.counters.metadataNotKept++;
    }
    if (split.value.sdp === undefined) return;
    const sdp = parseSdp(split.value.sdp);
    if (!sdp.ok) return;
    // The sender of this SDP receives there: the caller when it is the INVITE side's, the callee otherwise.
    const fromCaller = msg.kind === "request" ? sameParty(header(msg, "from"), call.from) : !sameParty(header(msg, "from"), call.from);
    const speaker: FlowDirection = fromCaller ? "callee" : "caller";
    const isOffer = msg.kind === "request";
    if (isOffer) this.#offers.set(call.callId, { labels: sdp.value.media.map((m) => m.label), crypto: sdp.value.media.map((m) => m.crypto), flows: [] });
    const offer = this.#offers.get(call.callId);
    sdp.value.media.forEach((m, i) => {
      const flow = this.#flowOf(call, sdp.value, m, isOffer ? undefined : offer?.labels[i], speaker, d);
      if (isOffer && offer !== undefined) offer.flows[i] = flow;
      else if (offer !== undefined) keysFromAnswer(offer, i, m.crypto, flow);
    });
  }

  /** The flow an m-line announces (new, or the one already at its address), undefined when it receives none. */
  #flowOf(call: CapturedCall, sdp: Sdp, m: Media, offeredLabel: string | undefined, speaker: FlowDirection, d: TimedDatagram): RtpFlow | undefined {
    if (m.type !== "audio" || m.port === 0) return undefined;
    // RFC 3264 §6.1: a sendonly or inactive stream's sender receives no RTP there (a SIPREC SRC's offer, a hold).
    const dir = effectiveDirection(sdp, m);
    if (dir === "sendonly" || dir === "inactive") return undefined;
    const addr = effectiveConnection(sdp, m)?.address ?? d.src;
    const key = `${addr}:${m.port}`;
    const te = m.rtpmaps.find((r) => r.encodingName.toLowerCase() === "telephone-event")?.payloadType;
    const pt = Number(m.formats.find((f) => Number(f) !== te));
    const map = m.rtpmaps.find((r) => r.payloadType === pt);
    const existing = this.#flowsByAddr.get(key);
    if (existing !== undefined && existing.call === call) return existing.flow; // a re-INVITE with the same address
    if (call.flows.length >= MAX_FLOWS_PER_CALL) {
      this.counters.flowsNotKept++;
      return undefined;
    }
    const label = m.label ?? offeredLabel;
    const flow = newFlow({
      speaker,
      label,
      to: key,
      encrypted: /SAVP/i.test(m.protocol),
      codec: map?.encodingName.toUpperCase() ?? staticCodec(Number.isFinite(pt) ? pt : undefined),
      clockRate: map?.clockRate ?? 8000,
      payloadType: Number.isFinite(pt) ? pt : undefined,
      telephoneEventPt: te,
    });
    call.flows.push(flow);
    this.#flowsByAddr.set(key, { call, flow });
    return flow;
  }

  #rtp(call: CapturedCall, f: RtpFlow, d: TimedDatagram): void {
    const r = parseRtp(d.payload);
    if (!r.ok) return;
    this.counters.rtp++;
    call.endUs = Math.max(call.endUs, d.timeUs);
    countRtp(f, r.value, d.payload, d.timeUs, this.o.keepPackets?.(call.callId) === true);
  }
}

/**
 * RFC 4568 §5.1: each side sends with the key in its own SDP; the answer's
 * a=crypto names (by tag) the offered attribute it accepted. So the flow to
 * the answerer is encrypted with that offered key, the flow to the offerer
 * with the answer's.
 */
function keysFromAnswer(offer: OfferState, i: number, answerCrypto: readonly CryptoAttr[], toAnswerer: RtpFlow | undefined): void {
  const chosen = answerCrypto[0];
  if (chosen === undefined) return;
  const offered = offer.crypto[i]?.find((c) => c.tag === chosen.tag);
  if (toAnswerer !== undefined && offered !== undefined) toAnswerer.sdes = { suite: offered.suite, keyParams: offered.keyParams };
  const toOfferer = offer.flows[i];
  if (toOfferer !== undefined) toOfferer.sdes = { suite: chosen.suite, keyParams: chosen.keyParams };
}

/** Same From (by tag): requests from the caller carry the INVITE's From. */
function sameParty(a: string | undefined, b: string): boolean {
  const tag = (v: string | undefined): string | undefined => /;\s*tag=([^;>\s]+)/i.exec(v ?? "")?.[1];
  return a !== undefined && (tag(a) === tag(b) || a === b);
}
