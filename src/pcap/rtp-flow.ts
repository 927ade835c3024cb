/**
 * One RTP flow of a capture (packets to one receive address) and its
 * figures: codec, packets, octets, RFC 4733 events, and loss and jitter as
 * an RTP receiver computes them (receiver-stats.ts). Shared by the SIP-led
 * extractor (calls.ts) and the RTP-only heuristic (rtp-only.ts).
 */
import type { RtpPacket } from "../rtp/packet.ts";
import { ReceiverStats } from "../rtp/receiver-stats.ts";

export type FlowDirection = "caller" | "callee";

export interface KeptPacket {
  readonly timeUs: number;
  readonly bytes: Uint8Array;
}

export interface RtpFlow {
  /** Whose audio: the caller's (sent to the callee) or the callee's. */
  readonly speaker: FlowDirection;
  /** The RFC 4574 label of the m-line (SIPREC captures), when there is one. */
  readonly label: string | undefined;
  readonly to: string;
  /** RTP/SAVP (SRTP) on the m-line that announced the flow. */
  readonly encrypted: boolean;
  /** The sender's SDES key for this flow (RFC 4568: the key in an SDP is what its sender encrypts with), when the capture shows it. */
  sdes: { readonly suite: string; readonly keyParams: string } | undefined;
  codec: string;
  clockRate: number;
  payloadType: number | undefined;
  telephoneEventPt: number | undefined;
  packets: number;
  octets: number;
  events: number;
  firstUs: number;
  lastUs: number;
  lost: number;
  jitterMs: number;
  /** Raw RTP packets with capture times, for calls chosen to be kept. */
  readonly kept: KeptPacket[];
  /** Sequence, loss and jitter as an RTP receiver computes them (RFC 3550 A.1, A.3, A.8). */
  readonly stats: ReceiverStats;
}

const STATIC_CODECS: Readonly<Record<number, string>> = { 0: "PCMU", 8: "PCMA", 9: "G722", 18: "G729" };

/** The name of a static RTP/AVP payload type (RFC 3551 table 4), or PTn. */
export function staticCodec(pt: number | undefined): string {
  return pt === undefined ? "unknown" : (STATIC_CODECS[pt] ?? `PT${pt}`);
}

export function newFlow(o: {
  speaker: FlowDirection;
  label?: string | undefined;
  to: string;
  encrypted?: boolean;
  codec: string;
  clockRate: number;
  payloadType: number | undefined;
  telephoneEventPt: number | undefined;
}): RtpFlow {
  return {
    speaker: o.speaker,
    label: o.label,
    to: o.to,
    encrypted: o.encrypted ?? false,
    sdes: undefined,
    codec: o.codec,
    clockRate: o.clockRate,
    payloadType: o.payloadType,
    telephoneEventPt: o.telephoneEventPt,
    packets: 0,
    octets: 0,
    events: 0,
    firstUs: 0,
    lastUs: 0,
    lost: 0,
    jitterMs: 0,
    kept: [],
    stats: new ReceiverStats(o.clockRate),
  };
}

/** Counts one packet of the flow (and keeps its bytes when `keep`). */
export function countRtp(f: RtpFlow, pkt: RtpPacket, bytes: Uint8Array, timeUs: number, keep: boolean): void {
  if (f.packets === 0) f.firstUs = timeUs;
  f.packets++;
  f.octets += bytes.length;
  f.lastUs = timeUs;
  const event = pkt.payloadType === f.telephoneEventPt;
  if (event) f.events++;
  // Events keep one timestamp across their packets: they would count as jitter.
  f.stats.packet(pkt.sequence, pkt.timestamp, timeUs / 1000, !event);
  f.lost = f.stats.lost;
  f.jitterMs = f.stats.jitterMs;
  // A copy: the capture's bytes are views into read chunks of up to 512 KiB, which one kept view would pin.
  if (keep) f.kept.push({ timeUs, bytes: bytes.slice() });
}
