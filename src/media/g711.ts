/**
 * G.711 µ-law and A-law (ITU-T G.711), on alawmulaw's sample codecs, plus
 * 256-entry tables for the forwarding hot path: PCMU↔PCMA transcoding is one
 * table lookup per byte (decode to linear then re-encode, done once here).
 */
import { alaw, mulaw } from "alawmulaw";

export type G711 = "PCMU" | "PCMA";

function table(f: (x: number) => number): Int16Array | Uint8Array {
  return Int16Array.from({ length: 256 }, (_, i) => f(i));
}

/** Linear value of each code. */
export const MULAW_DECODE = table((c) => mulaw.decodeSample(c)) as Int16Array;
export const ALAW_DECODE = table((c) => alaw.decodeSample(c)) as Int16Array;
/** Code-to-code tables (µ-law byte → A-law byte and back). */
export const MULAW_TO_ALAW = Uint8Array.from(MULAW_DECODE, (x) => alaw.encodeSample(x));
export const ALAW_TO_MULAW = Uint8Array.from(ALAW_DECODE, (x) => mulaw.encodeSample(x));
// A-law has no zero level: its smallest codes 0xD5/0x55 decode to ±8, which µ-law
// would keep as ±8 (0xFE/0x7E). Digital silence stays exact silence instead.
ALAW_TO_MULAW[0xd5] = 0xff;
ALAW_TO_MULAW[0x55] = 0x7f;

/** The silence byte of each law (linear 0). */
export const SILENCE: Readonly<Record<G711, number>> = { PCMU: 0xff, PCMA: 0xd5 };

let mulawTable: Uint8Array | undefined;
let alawTable: Uint8Array | undefined;

/** The code of every 16-bit value (indexed by the value's unsigned bits): one lookup per sample on hot paths. */
export function linearToG711Table(law: G711): Uint8Array {
  if (law === "PCMU") {
    mulawTable ??= Uint8Array.from({ length: 65536 }, (_, u) => mulaw.encodeSample(u >= 32768 ? u - 65536 : u));
    return mulawTable;
  }
  alawTable ??= Uint8Array.from({ length: 65536 }, (_, u) => alaw.encodeSample(u >= 32768 ? u - 65536 : u));
  return alawTable;
}

export function encodeG711(law: G711, pcm: Int16Array): Uint8Array {
  const out = new Uint8Array(pcm.length);
  const enc = law === "PCMU" ? mulaw.encodeSample : alaw.encodeSample;
  for (let i = 0; i < pcm.length; i++) out[i] = enc(pcm[i] as number);
  return out;
}

export function decodeG711(law: G711, codes: Uint8Array): Int16Array {
  const t = law === "PCMU" ? MULAW_DECODE : ALAW_DECODE;
  const out = new Int16Array(codes.length);
  for (let i = 0; i < codes.length; i++) out[i] = t[codes[i] as number] as number;
  return out;
}

/** Transcodes in place into `out` (same length); returns `out`. */
export function transcodeG711(from: G711, to: G711, codes: Uint8Array, out: Uint8Array = new Uint8Array(codes.length)): Uint8Array {
  if (from === to) {
    out.set(codes);
    return out;
  }
  const t = from === "PCMU" ? MULAW_TO_ALAW : ALAW_TO_MULAW;
  for (let i = 0; i < codes.length; i++) out[i] = t[codes[i] as number] as number;
  return out;
}
