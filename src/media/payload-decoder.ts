/**
 * Linear audio out of one RTP stream's payloads, for the codecs the
 * reference SRS records: G.711 (8 kHz), G.722 (16 kHz audio on an 8000 Hz
 * RTP clock) and L16/16000 (RFC 3551 §4.5.11: network byte order). A
 * decoder is per stream: G.722 carries state from packet to packet.
 */
import { decodeG711 } from "./g711.ts";
import { G722Decoder } from "./g722.ts";

export interface PayloadDecoder {
  /** Samples per second of the decoded audio. */
  readonly sampleRate: number;
  /** Decoded samples per RTP timestamp unit. */
  readonly samplesPerTick: number;
  decode(payload: Uint8Array): Int16Array;
}

export function payloadDecoder(codec: "PCMU" | "PCMA" | "G722" | "L16"): PayloadDecoder {
  if (codec === "G722") {
    const g722 = new G722Decoder();
    return { sampleRate: 16000, samplesPerTick: 2, decode: (p) => g722.decode(p) };
  }
  if (codec === "L16") return { sampleRate: 16000, samplesPerTick: 1, decode: decodeL16 };
  return { sampleRate: 8000, samplesPerTick: 1, decode: (p) => decodeG711(codec, p) };
}

/** L16 big-endian samples (an odd trailing byte is not a sample), into `out` when given (its length is how many). */
export function decodeL16(payload: Uint8Array, out: Int16Array = new Int16Array(payload.length >> 1)): Int16Array {
  for (let i = 0; i < out.length; i++) out[i] = ((((payload[2 * i] as number) << 8) | (payload[2 * i + 1] as number)) << 16) >> 16;
  return out;
}
