/**
 * Rebuilds a stream's audio on a true timeline from RTP: each packet's
 * samples go where its timestamp says (relative to the first packet), so
 * lost packets and paused spans become silence of their real length.
 * Bounded: nothing is placed beyond `maxSeconds`, and the buffer grows in
 * chunks as the stream advances.
 */
import { decodeG711, type G711 } from "./g711.ts";

export class Timeline {
  #samples = new Int16Array(8000 * 60);
  #length = 0;
  #first?: number;
  #lastTs = 0;
  #wraps = 0;
  packets = 0;
  late = 0;
  dropped = 0;

  constructor(
    private readonly clockRate = 8000,
    private readonly maxSeconds = 4 * 3600,
  ) {}

  /** Samples placed so far (the WAV length). */
  get length(): number {
    return this.#length;
  }

  add(timestamp: number, law: G711, payload: Uint8Array): void {
    this.packets++;
    if (this.#first === undefined) {
      this.#first = timestamp;
      this.#lastTs = timestamp;
    }
    // Unwrap the 32-bit timestamp (RFC 3550 §5.1: it wraps).
    if (timestamp < this.#lastTs && this.#lastTs - timestamp > 0x80000000) this.#wraps++;
    else if (timestamp > this.#lastTs && timestamp - this.#lastTs > 0x80000000) {
      this.late++;
      return;
    }
    this.#lastTs = timestamp;
    const at = timestamp + this.#wraps * 0x100000000 - this.#first;
    if (at < 0) {
      this.late++;
      return;
    }
    const end = at + payload.length;
    if (end > this.clockRate * this.maxSeconds) {
      this.dropped++;
      return;
    }
    if (end > this.#samples.length) {
      const grown = new Int16Array(Math.max(end, this.#samples.length * 2));
      grown.set(this.#samples.subarray(0, this.#length));
      this.#samples = grown;
    }
    this.#samples.set(decodeG711(law, payload), at);
    this.#length = Math.max(this.#length, end);
  }

  /** Extends the timeline with silence up to `samples` (e.g. a pause at the end). */
  padTo(samples: number): void {
    if (samples <= this.#length || samples > this.clockRate * this.maxSeconds) return;
    if (samples > this.#samples.length) {
      const grown = new Int16Array(samples);
      grown.set(this.#samples.subarray(0, this.#length));
      this.#samples = grown;
    }
    this.#length = samples;
  }

  pcm(): Int16Array {
    return this.#samples.slice(0, this.#length);
  }
}
