/**
 * What a recorded WAV holds, window by window: silence or the dominant tone
 * (Goertzel over the candidates) and how pure it is, so a scenario can say
 * "label 1 is the caller's 440 Hz, silent while paused, 6 s long".
 */
import { readFileSync } from "node:fs";
import { parseWav } from "../../../src/media/wav.ts";
import { dominantFrequency, goertzelPower } from "../../../src/media/tone.ts";

export const TEST_TONES = [440, 660, 880, 1000] as const;

export interface ToneWindow {
  readonly atMs: number;
  /** 0 when the window is silent. */
  readonly hz: number;
  /** Share of the window's energy at `hz` (1 for a clean tone). */
  readonly purity: number;
}

export interface ToneProfile {
  readonly ms: number;
  readonly windows: readonly ToneWindow[];
  /** The tone most voiced windows carry (0: all silent). */
  readonly tone: number;
  readonly voicedMs: number;
  readonly silentMs: number;
  /** Mean purity over the voiced windows of `tone`. */
  readonly purity: number;
}

const WINDOW = 800; // 100 ms at 8 kHz

export function toneProfile(path: string, candidates: readonly number[] = TEST_TONES): ToneProfile {
  const w = parseWav(new Uint8Array(readFileSync(path)));
  if (!w.ok) throw new Error(`${path}: ${w.error.message}`);
  const s = w.value.samples8k;
  const windows: ToneWindow[] = [];
  for (let at = 0; at + WINDOW <= s.length; at += WINDOW) {
    const x = s.subarray(at, at + WINDOW);
    let energy = 0;
    for (const v of x) energy += v * v;
    const rms = Math.sqrt(energy / WINDOW);
    if (rms < 100) {
      windows.push({ atMs: at / 8, hz: 0, purity: 0 });
      continue;
    }
    const hz = dominantFrequency(x, 8000, candidates);
    windows.push({ atMs: at / 8, hz, purity: Math.min(1, goertzelPower(x, 8000, hz) / ((WINDOW * energy) / 2)) });
  }
  const counts = new Map<number, number>();
  for (const win of windows) if (win.hz !== 0) counts.set(win.hz, (counts.get(win.hz) ?? 0) + 1);
  const tone = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 0;
  const ofTone = windows.filter((x) => x.hz === tone && tone !== 0);
  return {
    ms: w.value.durationMs,
    windows,
    tone,
    voicedMs: windows.filter((x) => x.hz !== 0).length * 100,
    silentMs: windows.filter((x) => x.hz === 0).length * 100,
    purity: ofTone.length === 0 ? 0 : ofTone.reduce((a, x) => a + x.purity, 0) / ofTone.length,
  };
}

/** Voiced milliseconds between `fromMs` and `toMs` of the recording. */
export function voicedBetween(p: ToneProfile, fromMs: number, toMs: number): number {
  return p.windows.filter((x) => x.atMs >= fromMs && x.atMs + 100 <= toMs && x.hz !== 0).length * 100;
}

/** Share of the voiced windows' energy at each frequency (a mixed stream carries several). */
export function toneShares(path: string, freqs: readonly number[]): number[] {
  const w = parseWav(new Uint8Array(readFileSync(path)));
  if (!w.ok) throw new Error(`${path}: ${w.error.message}`);
  const s = w.value.samples8k;
  const shares = freqs.map(() => 0);
  let windows = 0;
  for (let at = 0; at + WINDOW <= s.length; at += WINDOW) {
    const x = s.subarray(at, at + WINDOW);
    let energy = 0;
    for (const v of x) energy += v * v;
    if (Math.sqrt(energy / WINDOW) < 100) continue;
    windows++;
    freqs.forEach((f, i) => (shares[i]! += Math.min(1, goertzelPower(x, 8000, f) / ((WINDOW * energy) / 2))));
  }
  return shares.map((v) => (windows === 0 ? 0 : v / windows));
}
