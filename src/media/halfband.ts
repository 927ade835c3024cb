/**
 * 16 kHz ↔ 8 kHz with one 31-tap half-band low-pass (windowed sinc,
 * Blackman window: > 70 dB down above 4.6 kHz).
 * - Decimator: the filter, then every other sample. Without the filter,
 *   wideband energy above 4 kHz would fold back into the telephone band.
 * - Interpolator: a zero between samples, then the filter (gain 2): the
 *   in-between samples, with no images above 4 kHz.
 *
 * Both are streams: their history carries over between calls, so packet
 * boundaries leave no click. Every other tap of a half-band filter is zero;
 * only the 16 that are not are applied.
 */

const TAPS = 31;
const HALF = (TAPS - 1) / 2;

/** h[k], k = -15..15, normalised to unity gain at DC. */
function design(): Float64Array {
  const h = new Float64Array(TAPS);
  for (let i = 0; i < TAPS; i++) {
    const k = i - HALF;
    const sinc = k === 0 ? 0.5 : Math.sin((Math.PI * k) / 2) / (Math.PI * k);
    const w = 0.42 - 0.5 * Math.cos((2 * Math.PI * i) / (TAPS - 1)) + 0.08 * Math.cos((4 * Math.PI * i) / (TAPS - 1));
    h[i] = sinc * w;
  }
  const sum = h.reduce((a, b) => a + b, 0);
  return h.map((x) => x / sum);
}

const H = design();
/** The non-zero odd-offset taps (k = ±1, ±3, … ±15), paired: h[HALF-k] = h[HALF+k]. */
const PAIRS = Float64Array.from({ length: 8 }, (_, j) => H[HALF + 2 * j + 1] as number);
const CENTER = H[HALF] as number;

/** The work buffer (grown when a block is longer) with `count` new samples after the `keep` carried over. */
function load(work: Float64Array<ArrayBuffer>, keep: number, sample: (i: number) => number, count: number): Float64Array<ArrayBuffer> {
  let w = work;
  if (w.length < keep + count) {
    w = new Float64Array(keep + count);
    w.set(work.subarray(0, keep));
  }
  for (let i = 0; i < count; i++) w[keep + i] = sample(i);
  return w;
}

export class Decimator {
  /** The last TAPS-1 inputs, then the new block. */
  #work = new Float64Array(TAPS - 1 + 640);

  /**
   * Filters `count` (even) 16 kHz samples read by `sample(i)` and writes
   * count/2 8 kHz samples to `out`.
   */
  decimateWith(sample: (i: number) => number, count: number, out: Int16Array): void {
    const keep = TAPS - 1;
    const w = (this.#work = load(this.#work, keep, sample, count));
    // Output n is centred on input 2n+1 of the block (delay HALF), i.e. w[2n + 1 + keep - HALF].
    for (let n = 0, c = 1 + keep - HALF; n < count >> 1; n++, c += 2) {
      let acc = CENTER * (w[c] as number);
      for (let j = 0; j < 8; j++) acc += (PAIRS[j] as number) * ((w[c - 2 * j - 1] as number) + (w[c + 2 * j + 1] as number));
      const v = Math.round(acc);
      out[n] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
    }
    w.copyWithin(0, count, count + keep);
  }

  decimate(pcm: Int16Array, out: Int16Array): void {
    this.decimateWith((i) => pcm[i] as number, pcm.length, out);
  }
}

export class Interpolator {
  /** The last HALF inputs, then the new block. */
  #work = new Float64Array(HALF + 160);

  /**
   * Writes 2·`count` 16 kHz samples for `count` 8 kHz samples read by
   * `sample(i)` (8 input samples, 1 ms, of delay).
   */
  interpolateWith(sample: (i: number) => number, count: number, out: Int16Array): void {
    const keep = HALF;
    const w = (this.#work = load(this.#work, keep, sample, count));
    // Centre c: the input sample itself, then the point halfway to c + 1 (Σ 2·h[2j+1]·(x[c-j] + x[c+1+j])).
    for (let i = 0, c = 7; i < count; i++, c++) {
      out[2 * i] = w[c] as number;
      let acc = 0;
      for (let j = 0; j < 8; j++) acc += (PAIRS[j] as number) * ((w[c - j] as number) + (w[c + 1 + j] as number));
      const v = Math.round(2 * acc);
      out[2 * i + 1] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
    }
    w.copyWithin(0, count, count + keep);
  }
}
