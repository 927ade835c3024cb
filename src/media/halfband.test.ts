import { describe, expect, test } from "bun:test";
import { Decimator, Interpolator } from "./halfband.ts";
import { goertzelPower } from "./tone.ts";

const tone = (hz: number, n: number, amp = 12000): Int16Array =>
  Int16Array.from({ length: n }, (_, i) => Math.round(amp * Math.sin((2 * Math.PI * hz * i) / 16000)));

function decimateInPackets(pcm: Int16Array, packet = 320): Int16Array {
  const d = new Decimator();
  const out = new Int16Array(pcm.length / 2);
  for (let i = 0; i < pcm.length; i += packet) {
    const part = new Int16Array(packet / 2);
    d.decimate(pcm.subarray(i, i + packet), part);
    out.set(part, i / 2);
  }
  return out;
}

const rms = (x: Int16Array): number => Math.sqrt(x.reduce((a, v) => a + v * v, 0) / x.length);

describe("Decimator (16 kHz → 8 kHz)", () => {
  test("a 1 kHz tone passes at full level", () => {
    const out = decimateInPackets(tone(1000, 16000)).subarray(200);
    expect(rms(out) / (12000 / Math.SQRT2)).toBeGreaterThan(0.97);
    expect(rms(out) / (12000 / Math.SQRT2)).toBeLessThan(1.03);
    expect(goertzelPower(out, 8000, 1000)).toBeGreaterThan(goertzelPower(out, 8000, 2000) * 1e4);
  });

  test("a 6 kHz tone (which would alias to 2 kHz) is removed: more than 60 dB down", () => {
    const out = decimateInPackets(tone(6000, 16000)).subarray(200);
    expect(20 * Math.log10(rms(out) / (12000 / Math.SQRT2))).toBeLessThan(-60);
  });

  test("packet boundaries leave no trace: 320-sample packets equal one long block", () => {
    const pcm = tone(700, 3200);
    const whole = new Int16Array(1600);
    new Decimator().decimate(pcm, whole);
    expect(decimateInPackets(pcm)).toEqual(whole);
    expect(decimateInPackets(pcm, 64)).toEqual(whole);
  });

  test("full-scale input clips instead of wrapping", () => {
    const out = new Int16Array(160);
    new Decimator().decimate(
      Int16Array.from({ length: 320 }, (_, i) => (i % 2 === 0 ? 32767 : 32767)),
      out,
    );
    expect(Math.min(...out.subarray(20))).toBeGreaterThan(32000);
  });
});

describe("Interpolator (8 kHz → 16 kHz)", () => {
  const tone8k = (hz: number, n: number): Int16Array => Int16Array.from({ length: n }, (_, i) => Math.round(12000 * Math.sin((2 * Math.PI * hz * i) / 8000)));

  function interpolateInPackets(pcm: Int16Array, packet = 160): Int16Array {
    const it = new Interpolator();
    const out = new Int16Array(pcm.length * 2);
    for (let i = 0; i < pcm.length; i += packet) {
      const part = new Int16Array(packet * 2);
      const block = pcm.subarray(i, i + packet);
      it.interpolateWith((k) => block[k] as number, block.length, part);
      out.set(part, i * 2);
    }
    return out;
  }

  test("a 1 kHz tone comes out at 16 kHz at full level, with no image at 7 kHz", () => {
    const out = interpolateInPackets(tone8k(1000, 8000)).subarray(400);
    expect(rms(out) / (12000 / Math.SQRT2)).toBeGreaterThan(0.97);
    expect(rms(out) / (12000 / Math.SQRT2)).toBeLessThan(1.03);
    expect(goertzelPower(out, 16000, 1000)).toBeGreaterThan(goertzelPower(out, 16000, 7000) * 1e6);
  });

  test("packet boundaries leave no trace", () => {
    const pcm = tone8k(700, 1600);
    expect(interpolateInPackets(pcm, 40)).toEqual(interpolateInPackets(pcm, 160));
  });

  test("down after up gives the input back (1 ms of filter delay apart)", () => {
    const pcm = tone8k(500, 1600);
    const up = interpolateInPackets(pcm);
    const down = new Int16Array(1600);
    new Decimator().decimate(up, down);
    const delay = 15; // 8 input samples through the interpolator, 14 16 kHz samples (7) through the decimator
    let worst = 0;
    for (let i = 100; i < 1500; i++) worst = Math.max(worst, Math.abs((down[i] as number) - (pcm[i - delay] as number)));
    expect(worst).toBeLessThan(120);
  });
});
