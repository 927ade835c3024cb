/**
 * What an outgoing stream's codec needs done to its input's payloads: the
 * forker (forker.ts) holds one Transcoder per output whose codec differs
 * from its input's, so stateful codecs (G.722's ADPCM predictors, the
 * resampler's filter memory) follow one stream each.
 *
 * - PCMU ↔ PCMA: one table lookup per byte (tap legs in the call's law).
 * - Otherwise, for PCMU, PCMA, G722 and L16/16000 on either side: decode
 *   to linear (8 kHz for G.711, 16 kHz for G.722 and L16), resample with
 *   the half-band filter where the rates differ, encode. So the wideband
 *   media-bug tap's L16/16000 reaches a G.722, L16 or G.711 SRS; G.711 tap
 *   legs (a lost media-bug tap's fallback) reach a wideband SRS; a G.722
 *   call's tap legs reach a G.711 one. G.722 keeps an 8000 Hz RTP clock for
 *   16 kHz audio (RFC 3551 §4.5.2), so only L16/16000 changes the clock.
 * Anything else (an Opus leg) cannot be transcoded: the forker drops it and
 * counts it (droppedCodec).
 */
import { ALAW_DECODE, ALAW_TO_MULAW, MULAW_DECODE, MULAW_TO_ALAW, linearToG711Table } from "../media/g711.ts";
import { G722Decoder, G722Encoder } from "../media/g722.ts";
import { Decimator, Interpolator } from "../media/halfband.ts";
import { decodeL16 } from "../media/payload-decoder.ts";

export interface CodecOf {
  readonly codec: string;
  readonly clockRate: number;
}

export interface Transcoder {
  /** Input RTP timestamp units per output unit (2: L16/16000 into an 8000 Hz clock; 0.5 the other way). */
  readonly tsDivisor: number;
  /** The payload length `run` writes for an input payload of `n` bytes. */
  outLength(n: number): number;
  /** Writes the output payload for `payload` (or for as much silence, when `silence`) at `out[at..]`. */
  run(payload: Uint8Array, silence: boolean, out: Uint8Array, at: number): void;
}

/** The codec byte-for-byte silence for a payload that is not transcoded (undefined: it has none, e.g. G.722). */
export const SILENCE_BYTE: Readonly<Record<string, number>> = { PCMU: 0xff, PCMA: 0xd5, L16: 0 };

type Linear = "PCMU" | "PCMA" | "G722" | "L16";

/** A codec the transcoder decodes or encodes: its audio rate, RTP clock and bytes per audio sample. */
const LINEAR: Readonly<Record<Linear, { readonly rate: number; readonly clock: number; readonly bytesPerSample: number }>> = {
  PCMU: { rate: 8000, clock: 8000, bytesPerSample: 1 },
  PCMA: { rate: 8000, clock: 8000, bytesPerSample: 1 },
  G722: { rate: 16000, clock: 8000, bytesPerSample: 0.5 },
  L16: { rate: 16000, clock: 16000, bytesPerSample: 2 },
};

function linearOf(c: CodecOf): Linear | undefined {
  if (c.codec === "PCMU" || c.codec === "PCMA" || c.codec === "G722") return c.clockRate === 8000 ? c.codec : undefined;
  return c.codec === "L16" && c.clockRate === 16000 ? "L16" : undefined;
}

/** The transcoder from `from` to `to`: undefined when the codecs match (no work), `ok: false` when it cannot be made. */
export function transcoderFor(from: CodecOf, to: CodecOf): { ok: true; transcoder: Transcoder | undefined } | { ok: false } {
  if (from.codec === to.codec && from.clockRate === to.clockRate) return { ok: true, transcoder: undefined };
  if (from.codec === "PCMU" && to.codec === "PCMA") return { ok: true, transcoder: new TableTranscoder(MULAW_TO_ALAW, SILENCE_BYTE.PCMA as number) };
  if (from.codec === "PCMA" && to.codec === "PCMU") return { ok: true, transcoder: new TableTranscoder(ALAW_TO_MULAW, SILENCE_BYTE.PCMU as number) };
  const a = linearOf(from);
  const b = linearOf(to);
  if (a === undefined || b === undefined) return { ok: false };
  return { ok: true, transcoder: new LinearTranscoder(a, b) };
}

class TableTranscoder implements Transcoder {
  readonly tsDivisor = 1;
  constructor(
    private readonly table: Uint8Array,
    private readonly silence: number,
  ) {}

  outLength(n: number): number {
    return n;
  }

  run(payload: Uint8Array, silence: boolean, out: Uint8Array, at: number): void {
    if (silence) {
      out.fill(this.silence, at, at + payload.length);
      return;
    }
    const t = this.table;
    for (let i = 0; i < payload.length; i++) out[at + i] = t[payload[i] as number] as number;
  }
}

/** Decode to linear, resample if the audio rates differ, encode. */
class LinearTranscoder implements Transcoder {
  readonly tsDivisor: number;
  readonly #decodeG722: G722Decoder | undefined;
  readonly #encodeG722: G722Encoder | undefined;
  readonly #down: Decimator | undefined;
  readonly #up: Interpolator | undefined;
  #resampled = new Int16Array(320);
  /** Decoded input, reused packet after packet (G.722's decoder makes its own). */
  #linear = new Int16Array(320);

  constructor(
    private readonly from: Linear,
    private readonly to: Linear,
  ) {
    const a = LINEAR[from];
    const b = LINEAR[to];
    this.tsDivisor = a.clock / b.clock;
    this.#decodeG722 = from === "G722" ? new G722Decoder() : undefined;
    this.#encodeG722 = to === "G722" ? new G722Encoder() : undefined;
    this.#down = a.rate > b.rate ? new Decimator() : undefined;
    this.#up = a.rate < b.rate ? new Interpolator() : undefined;
  }

  outLength(n: number): number {
    const a = LINEAR[this.from];
    const b = LINEAR[this.to];
    return Math.floor(((n / a.bytesPerSample) * b.rate * b.bytesPerSample) / a.rate);
  }

  run(payload: Uint8Array, silence: boolean, out: Uint8Array, at: number): void {
    const samples = Math.floor(payload.length / LINEAR[this.from].bytesPerSample);
    if (this.#linear.length < samples) this.#linear = new Int16Array(samples);
    const linear = silence ? this.#linear.subarray(0, samples).fill(0) : this.#decode(payload, this.#linear.subarray(0, samples));
    let pcm = linear;
    if (this.#down !== undefined || this.#up !== undefined) {
      const n = this.#down !== undefined ? linear.length >> 1 : linear.length * 2;
      if (this.#resampled.length < n) this.#resampled = new Int16Array(n);
      pcm = this.#resampled.subarray(0, n);
      if (this.#down !== undefined) this.#down.decimateWith((i) => linear[i] as number, n * 2, pcm);
      else this.#up?.interpolateWith((i) => linear[i] as number, linear.length, pcm);
    }
    this.#encode(pcm, out, at);
  }

  #decode(payload: Uint8Array, pcm: Int16Array): Int16Array {
    if (this.#decodeG722 !== undefined) return this.#decodeG722.decode(payload);
    if (this.from === "L16") return decodeL16(payload, pcm);
    const t = this.from === "PCMU" ? MULAW_DECODE : ALAW_DECODE;
    for (let i = 0; i < pcm.length; i++) pcm[i] = t[payload[i] as number] as number;
    return pcm;
  }

  #encode(pcm: Int16Array, out: Uint8Array, at: number): void {
    if (this.#encodeG722 !== undefined) {
      this.#encodeG722.encode(pcm, out, at);
      return;
    }
    if (this.to === "L16") {
      for (let i = 0; i < pcm.length; i++) {
        const v = (pcm[i] as number) & 0xffff;
        out[at + 2 * i] = v >>> 8;
        out[at + 2 * i + 1] = v & 0xff;
      }
      return;
    }
    const t = linearToG711Table(this.to === "PCMA" ? "PCMA" : "PCMU");
    for (let i = 0; i < pcm.length; i++) out[at + i] = t[(pcm[i] as number) & 0xffff] as number;
  }
}
