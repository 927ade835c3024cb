/**
 * Rebuilds a stream's audio on a true timeline from RTP: each packet's
 * samples go where its timestamp says (relative to the first packet), so
 * lost packets and paused spans become silence of their real length.
 *
 * Bounded: nothing is placed beyond `maxSeconds`; a writer that streams
 * the audio out calls `drain(keep)` to take every sample but the last
 * `keep` (the jitter window) out of memory, so a long recording holds only
 * that window. A packet for a place already drained counts as late.
 */
import { decodeG711, type G711 } from "./g711.ts";

/** Start small (a few seconds) and double: a thousand idle streams must not take a gigabyte. */
const INITIAL_SAMPLES = 8000 * 4;

export class Timeline {
  #samples = new Int16Array(INITIAL_SAMPLES);
  /** Absolute sample index of #samples[0] (samples before it were drained). */
  #base = 0;
  #length = 0;
  #first?: number;
  #lastTs = 0;
  #wraps = 0;
  packets = 0;
  late = 0;
  dropped = 0;

  /**
   * `clockRate`: samples per second of the audio; `samplesPerTick`: audio
   * samples per RTP timestamp unit (2 for G.722: 16 kHz audio on an 8000 Hz
   * RTP clock, RFC 3551 §4.5.2).
   */
  constructor(
    private readonly clockRate = 8000,
    private readonly maxSeconds = 4 * 3600,
    private readonly samplesPerTick = 1,
  ) {}

  /** Samples placed so far, drained or not (the WAV length). */
  get length(): number {
    return this.#length;
  }

  /** Samples held in memory now. */
  get held(): number {
    return this.#length - this.#base;
  }

  add(timestamp: number, law: G711, payload: Uint8Array): void {
    this.addSamples(timestamp, decodeG711(law, payload));
  }

  /** Decoded samples of a packet with RTP timestamp `timestamp`. */
  addSamples(timestamp: number, samples: Int16Array): void {
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
    const at = (timestamp + this.#wraps * 0x100000000 - this.#first) * this.samplesPerTick;
    if (at < this.#base) {
      this.late++;
      return;
    }
    const end = at + samples.length;
    if (end > this.clockRate * this.maxSeconds) {
      this.dropped++;
      return;
    }
    this.#reserve(end - this.#base);
    this.#samples.set(samples, at - this.#base);
    this.#length = Math.max(this.#length, end);
  }

  #reserve(n: number): void {
    if (n <= this.#samples.length) return;
    const grown = new Int16Array(Math.max(n, this.#samples.length * 2));
    grown.set(this.#samples.subarray(0, this.#length - this.#base));
    this.#samples = grown;
  }

  /** Extends the timeline with silence up to `samples` (e.g. a pause at the end); nothing is allocated for it. */
  padTo(samples: number): void {
    if (samples <= this.#length || samples > this.clockRate * this.maxSeconds) return;
    this.#length = samples;
  }

  /**
   * Takes out every sample but the last `keep` (all with keep = 0), at most
   * `max` at a time: silence past what was received is made here, in pieces.
   */
  drain(keep = 0, max = this.clockRate * 60): Int16Array<ArrayBuffer> {
    const upTo = Math.min(this.#length - keep, this.#base + max);
    if (upTo <= this.#base) return new Int16Array(0);
    const n = upTo - this.#base;
    const held = Math.min(this.#samples.length, Math.max(0, this.#length - this.#base));
    const out = new Int16Array(n);
    out.set(this.#samples.subarray(0, Math.min(n, held)));
    // What stays moves to the front; a buffer grown for a burst shrinks back.
    const rest = this.#samples.subarray(Math.min(n, held), held);
    if (this.#samples.length > INITIAL_SAMPLES * 4 && rest.length < INITIAL_SAMPLES) {
      const small = new Int16Array(INITIAL_SAMPLES);
      small.set(rest);
      this.#samples = small;
    } else {
      this.#samples.copyWithin(0, Math.min(n, held), held);
      this.#samples.fill(0, rest.length, held);
    }
    this.#base = upTo;
    return out;
  }

  /** Every sample not drained yet (the whole stream when nothing was). */
  pcm(): Int16Array<ArrayBuffer> {
    const held = this.#length - this.#base;
    const out = new Int16Array(held);
    out.set(this.#samples.subarray(0, Math.min(held, this.#samples.length)));
    return out;
  }
}
