import { describe, expect, test } from "bun:test";
import { decodeG711, encodeG711 } from "./g711.ts";
import { STREAM_TONES, ToneSource, dominantFrequency } from "./tone.ts";
import { buildWav, parseWav } from "./wav.ts";

describe("tone source", () => {
  test("phase-continuous 20 ms frames, recognisable after G.711", () => {
    const t = new ToneSource(880);
    const frames = Array.from({ length: 50 }, () => t.next(20));
    expect(frames.every((f) => f.length === 160)).toBe(true);
    const all = Int16Array.from(frames.flatMap((f) => [...f]));
    const coded = decodeG711("PCMA", encodeG711("PCMA", all));
    expect(dominantFrequency(coded, 8000, STREAM_TONES)).toBe(880);
    // No click at frame joins: consecutive samples stay close.
    let jump = 0;
    for (let i = 1; i < all.length; i++) jump = Math.max(jump, Math.abs((all[i] as number) - (all[i - 1] as number)));
    expect(jump).toBeLessThan(6000);
  });
});

describe("WAV reader", () => {
  const tone = (rate: number) => new ToneSource(440, rate).next(500);

  test("16-bit PCM at 8 kHz round trips through buildWav", () => {
    const w = parseWav(buildWav(tone(8000), 8000));
    expect(w.ok && [w.value.format, w.value.sampleRate, w.value.samples8k.length, w.value.durationMs]).toEqual(["pcm16", 8000, 4000, 500]);
  });

  test("16 kHz is decimated to 8 kHz and keeps its tone", () => {
    const w = parseWav(buildWav(tone(16000), 16000));
    if (!w.ok) throw new Error(w.error.message);
    expect(w.value.samples8k.length).toBe(4000);
    expect(dominantFrequency(w.value.samples8k, 8000, STREAM_TONES)).toBe(440);
  });

  test("G.711 WAV (format 7, µ-law)", () => {
    const pcm = buildWav(tone(8000));
    const mu = encodeG711("PCMU", tone(8000));
    const b = new Uint8Array(44 + mu.length);
    b.set(pcm.subarray(0, 44));
    const dv = new DataView(b.buffer);
    dv.setUint16(20, 7, true);
    dv.setUint16(32, 1, true);
    dv.setUint16(34, 8, true);
    dv.setUint32(40, mu.length, true);
    b.set(mu, 44);
    const w = parseWav(b);
    expect(w.ok && [w.value.format, w.value.samples8k.length]).toEqual(["mulaw", 4000]);
  });

  const variant = (patch: (dv: DataView) => void) => {
    const b = buildWav(tone(8000));
    patch(new DataView(b.buffer));
    return b;
  };
  const cases: [string, Uint8Array, string, string][] = [
    ["not RIFF", new TextEncoder().encode("hello world, not a wav"), "WAV_NOT_RIFF", "not a RIFF/WAVE"],
    ["stereo", variant((dv) => dv.setUint16(22, 2, true)), "WAV_UNSUPPORTED", "only mono"],
    ["44.1 kHz", variant((dv) => dv.setUint32(24, 44100, true)), "WAV_UNSUPPORTED", "44100 Hz"],
    ["float", variant((dv) => dv.setUint16(20, 3, true)), "WAV_UNSUPPORTED", "format 3"],
    ["data chunk cut short", buildWav(tone(8000)).subarray(0, 500), "WAV_TRUNCATED", "claims 8000 bytes"],
  ];
  for (const [what, bytes, code, message] of cases) {
    test(`clear error: ${what}`, () => {
      const w = parseWav(bytes);
      expect(w.ok ? "ok" : w.error.code).toBe(code);
      if (!w.ok) expect(w.error.message).toContain(message);
    });
  }
});
