/** The forker's input and output specifications and counters (forker.ts). */
import type { Result } from "../lib/result.ts";

export interface OutputPort {
  /** Hands one packet to the network; throws (or returns false) on failure. */
  send(packet: Uint8Array): boolean | void;
}

export interface InputSpec {
  readonly id: string;
  readonly codec: string;
  readonly clockRate: number;
  readonly telephoneEventPt?: number;
}

export interface OutputSpec {
  readonly id: string;
  /** The recording this stream belongs to; the pause gate works per group. */
  readonly group: string;
  readonly payloadType: number;
  readonly codec: string;
  readonly clockRate: number;
  readonly ptimeMs: number;
  readonly telephoneEventPt?: number;
  readonly dtmf: "forward" | "drop";
  readonly protect?: (rtp: Uint8Array) => Result<Uint8Array, { message: string }>;
  readonly port: OutputPort;
}

export interface StreamCounters {
  packetsIn: number;
  bytesIn: number;
  packetsOut: number;
  /** Payload octets sent (RTCP SR sender's octet count). */
  octetsOut: number;
  bytesOut: number;
  droppedPaused: number;
  /** Packets not sent because the SRS set the stream inactive. */
  droppedInactive: number;
  /** Packets sent as silence while the gate was closed with "silence". */
  silenced: number;
  droppedDtmf: number;
  droppedCodec: number;
  transcoded: number;
  sendErrors: number;
  gaps: number;
}

export interface InputCounters {
  packetsIn: number;
  bytesIn: number;
  malformed: number;
  ssrcChanges: number;
  seqJumps: number;
}
