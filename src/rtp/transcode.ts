/**
 * What an outgoing stream's codec needs done to its input's payloads: the
 * forker (forker.ts) holds one Transcoder per output whose codec differs
 * from its input's, so stateful codecs (G.722's ADPCM predictors, the
 * decimator's filter memory) follow one stream each.
 *
 * - PCMU ↔ PCMA: one table lookup per byte (tap legs in the call's law).
 * - L16/16000 (the wideband media-bug tap) → L16: the same bytes (no transcoder);
 *   → G722: encoded (RFC 3551 §4.5.2: 16 kHz audio, an 8000 Hz RTP clock);
 *   → PCMU/PCMA: low-pass, 2:1 decimation, then G.711.
 * Anything else (an Opus leg toward a PCMU SRS, L16 from 8 kHz) cannot be
 * transcoded: the forker drops it and counts it (droppedCodec).
 */
import { ALAW_TO_MULAW, type G711, MULAW_TO_ALAW, linearToG711Table } from "../media/g711.ts";
import { G722Encoder } from "../media/g722.ts";
import { Decimator } from "../media/halfband.ts";

export interface CodecOf {
  readonly codec: string;
  readonly clockRate: number;
}

export interface Transcoder {
  /** Input RTP timestamp units per output unit (2 for 16 kHz L16 into an 8000 Hz RTP clock). */
  readonly tsDivisor: number;
  /** The payload length `run` writes for an input payload of `n` bytes. */
  outLength(n: number): number;
  /** Writes the output payload for `payload` (or for as much silence, when `silence`) at `out[at..]`. */
  run(payload: Uint8Array, silence: boolean, out: Uint8Array, at: number): void;
}

/** The codec byte-for-byte silence for a payload that is not transcoded (undefined: it has none, e.g. G.722). */
export const SILENCE_BYTE: Readonly<Record<string, number>> = { PCMU: 0xff, PCMA: 0xd5, L16: 0 };

/** The transcoder from `from` to `to`; undefined when the codecs match (no work) or `ok: false` when impossible. */
export function transcoderFor(from: CodecOf, to: CodecOf): { ok: true; transcoder: Transcoder | undefined } | { ok: false } {
  if (from.codec === to.codec && from.clockRate === to.clockRate) return { ok: true, transcoder: undefined };
  if (from.codec === "PCMU" && to.codec === "PCMA") return { ok: true, transcoder: new TableTranscoder(MULAW_TO_ALAW, SILENCE_BYTE.PCMA as number) };
  if (from.codec === "PCMA" && to.codec === "PCMU") return { ok: true, transcoder: new TableTranscoder(ALAW_TO_MULAW, SILENCE_BYTE.PCMU as number) };
  if (from.codec !== "L16" || from.clockRate !== 16000) return { ok: false };
  if (to.codec === "G722") return { ok: true, transcoder: new G722FromL16() };
  if (to.codec === "PCMU" || to.codec === "PCMA") return { ok: true, transcoder: new G711FromL16(to.codec) };
  return { ok: false };
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

/** A big-endian 16-bit sample of an L16 payload, or 0 for silence. */
function l16Reader(payload: Uint8Array, silence: boolean): (i: number) => number {
  if (silence) return () => 0;
  return (i) => ((((payload[2 * i] as number) << 8) | (payload[2 * i + 1] as number)) << 16) >> 16;
}

class G722FromL16 implements Transcoder {
  readonly tsDivisor = 2;
  readonly #encoder = new G722Encoder();

  outLength(n: number): number {
    return n >> 2;
  }

  run(payload: Uint8Array, silence: boolean, out: Uint8Array, at: number): void {
    this.#encoder.encodeWith(l16Reader(payload, silence), (payload.length >> 2) << 1, out, at);
  }
}

class G711FromL16 implements Transcoder {
  readonly tsDivisor = 2;
  readonly #decimator = new Decimator();
  readonly #table: Uint8Array;
  #narrow = new Int16Array(160);

  constructor(law: G711) {
    this.#table = linearToG711Table(law);
  }

  outLength(n: number): number {
    return n >> 2;
  }

  run(payload: Uint8Array, silence: boolean, out: Uint8Array, at: number): void {
    const count = (payload.length >> 2) << 1;
    if (this.#narrow.length < count >> 1) this.#narrow = new Int16Array(count >> 1);
    const narrow = this.#narrow;
    this.#decimator.decimateWith(l16Reader(payload, silence), count, narrow);
    const t = this.#table;
    for (let i = 0; i < count >> 1; i++) out[at + i] = t[(narrow[i] as number) & 0xffff] as number;
  }
}
