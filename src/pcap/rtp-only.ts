/**
 * Calls from RTP alone (`siprec replay --rtp-only`), for captures without
 * their SIP (another interface, TLS). A UDP flow (one 5-tuple) counts as RTP
 * once `minRun` packets in a row carry version 2, one SSRC and sequence
 * numbers that step forward by 1-3; RTCP is told apart by its packet types
 * (RFC 5761 §4: 72-76 in the PT field). The two directions between the same
 * two addresses are one call; the side that spoke first is the "caller".
 * Payload types name the codec when static (RFC 3551); a dynamic type whose
 * packets carry 4 octets beside the audio is taken as RFC 4733 events.
 *
 * Bounded: at most `maxCandidates` unconfirmed flows (oldest dropped first),
 * `minRun` packets held per candidate, `maxCalls` calls.
 */
import { type RtpPacket, parseRtp } from "../rtp/packet.ts";
import type { CapturedCall } from "./calls.ts";
import type { TimedDatagram } from "./datagrams.ts";
import { type RtpFlow, countRtp, newFlow, staticCodec } from "./rtp-flow.ts";

export interface RtpOnlyOptions {
  readonly minRun?: number;
  readonly maxCandidates?: number;
  readonly maxCalls?: number;
  readonly keepPackets?: (callId: string) => boolean;
}

interface Held {
  readonly pkt: RtpPacket;
  readonly d: TimedDatagram;
}

interface Candidate {
  ssrc: number;
  seq: number;
  readonly held: Held[];
}

/** Held packets are copied: a view would pin the whole chunk of the capture it was read in. */
function held(pkt: RtpPacket, d: TimedDatagram): Held {
  const payload = d.payload.slice();
  const again = parseRtp(payload); // the same bytes, so the same packet, now over the copy
  return { pkt: again.ok ? again.value : pkt, d: { ...d, payload } };
}

const isRtcpType = (b1: number): boolean => (b1 & 0x7f) >= 72 && (b1 & 0x7f) <= 76;
const isEventLike = (p: RtpPacket): boolean => p.payloadType >= 96 && p.payload.length === 4;

export class RtpOnlyExtractor {
  readonly calls = new Map<string, CapturedCall>();
  readonly #flows = new Map<string, { call: CapturedCall; flow: RtpFlow }>();
  readonly #candidates = new Map<string, Candidate>();
  readonly counters = { rtp: 0, candidatesDropped: 0, callsNotKept: 0 };
  readonly #minRun: number;

  constructor(private readonly o: RtpOnlyOptions = {}) {
    this.#minRun = Math.max(2, o.minRun ?? 5);
  }

  push(d: TimedDatagram): void {
    const p = d.payload;
    if (p.length <= 12 || (p[0] as number) >> 6 !== 2 || isRtcpType(p[1] as number)) return;
    const r = parseRtp(p);
    if (!r.ok) return;
    const key = `${d.src}|${d.sport}|${d.dst}|${d.dport}`;
    const known = this.#flows.get(key);
    if (known !== undefined) return this.#count(known.call, known.flow, r.value, d);
    const c = this.#candidates.get(key);
    const step = c === undefined ? 0 : (r.value.sequence - c.seq + 0x10000) & 0xffff;
    if (c === undefined || r.value.ssrc !== c.ssrc || step < 1 || step > 3) {
      this.#candidates.delete(key);
      if (this.#candidates.size >= (this.o.maxCandidates ?? 16_384)) {
        const oldest = this.#candidates.keys().next().value as string;
        this.#candidates.delete(oldest);
        this.counters.candidatesDropped++;
      }
      this.#candidates.set(key, { ssrc: r.value.ssrc, seq: r.value.sequence, held: [held(r.value, d)] });
      return;
    }
    c.seq = r.value.sequence;
    c.held.push(held(r.value, d));
    if (c.held.length < this.#minRun) return;
    this.#candidates.delete(key);
    this.#confirm(key, c.held);
  }

  #confirm(key: string, held: readonly Held[]): void {
    const first = held[0] as Held;
    const { src, sport, dst, dport } = first.d;
    const [a, b] = [`${src}:${sport}`, `${dst}:${dport}`];
    const callId = `rtp:${a < b ? `${a}-${b}` : `${b}-${a}`}`;
    let call = this.calls.get(callId);
    if (call === undefined) {
      if (this.calls.size >= (this.o.maxCalls ?? 100_000)) {
        this.counters.callsNotKept++;
        return;
      }
      const uri = (ip: string, port: number): string => `<sip:${ip.includes(":") ? `[${ip}]` : ip}:${port}>`;
      call = {
        callId,
        from: uri(src, sport),
        to: uri(dst, dport),
        assertedIdentity: undefined,
        sessionId: undefined,
        startUs: first.d.timeUs,
        endUs: first.d.timeUs,
        answered: true,
        ended: false,
        siprec: false,
        rtpOnly: true,
        metadata: [],
        flows: [],
      };
      this.calls.set(callId, call);
    }
    const audio = held.find((h) => !isEventLike(h.pkt))?.pkt.payloadType;
    const flow = newFlow({
      speaker: call.flows.length === 0 ? "caller" : "callee",
      to: b,
      codec: staticCodec(audio),
      clockRate: 8000,
      payloadType: audio,
      telephoneEventPt: undefined,
    });
    call.flows.push(flow);
    this.#flows.set(key, { call, flow });
    for (const h of held) this.#count(call, flow, h.pkt, h.d);
  }

  #count(call: CapturedCall, flow: RtpFlow, pkt: RtpPacket, d: TimedDatagram): void {
    this.counters.rtp++;
    if (flow.payloadType === undefined && !isEventLike(pkt)) {
      flow.payloadType = pkt.payloadType;
      flow.codec = staticCodec(pkt.payloadType);
    } else if (flow.telephoneEventPt === undefined && pkt.payloadType !== flow.payloadType && isEventLike(pkt)) {
      flow.telephoneEventPt = pkt.payloadType;
    }
    call.endUs = Math.max(call.endUs, d.timeUs);
    countRtp(flow, pkt, d.payload, d.timeUs, this.o.keepPackets?.(call.callId) === true);
  }
}
