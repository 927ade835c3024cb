/**
 * A sine tone source for test calls: phase-continuous frames, one distinct
 * frequency per stream so each recorded file can be told apart (and checked
 * by its dominant frequency).
 */
export const STREAM_TONES = [440, 880, 660, 1100, 550, 990, 770, 1210] as const;

export class ToneSource {
  #phase = 0;

  constructor(
    readonly frequency: number,
    readonly sampleRate = 8000,
    readonly amplitude = 8000,
  ) {}

  /** The next `ms` of audio. */
  next(ms: number): Int16Array {
    const n = Math.round((this.sampleRate * ms) / 1000);
    const out = new Int16Array(n);
    const step = (2 * Math.PI * this.frequency) / this.sampleRate;
    for (let i = 0; i < n; i++) {
      out[i] = Math.round(this.amplitude * Math.sin(this.#phase));
      this.#phase += step;
    }
    this.#phase %= 2 * Math.PI;
    return out;
  }
}

/** Goertzel power of `pcm` at `hz` (for a clean sine of amplitude A over N samples: (A·N/2)²). */
export function goertzelPower(pcm: Int16Array, sampleRate: number, hz: number): number {
  const coeff = 2 * Math.cos((2 * Math.PI * hz) / sampleRate);
  let s1 = 0;
  let s2 = 0;
  for (const x of pcm) {
    const s0 = x + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - coeff * s1 * s2;
}

/** The strongest frequency in `pcm` among `candidates` (Goertzel), for tests and test-call reports. */
export function dominantFrequency(pcm: Int16Array, sampleRate: number, candidates: readonly number[]): number {
  let best = candidates[0] ?? 0;
  let bestPower = -1;
  for (const f of candidates) {
    const power = goertzelPower(pcm, sampleRate, f);
    if (power > bestPower) {
      bestPower = power;
      best = f;
    }
  }
  return best;
}
