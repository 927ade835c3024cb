import { describe, expect, test } from "bun:test";
import { alaw, mulaw } from "alawmulaw";
import { StereoFramer, encodeStereo } from "./stereo-pcm.ts";

/** Interleaved s16le stereo from two channels' samples. */
function stereo(left: number[], right: number[]): Uint8Array {
  const b = new Uint8Array(left.length * 4);
  const v = new DataView(b.buffer);
  left.forEach((l, i) => {
    v.setInt16(i * 4, l, true);
    v.setInt16(i * 4 + 2, right[i] as number, true);
  });
  return b;
}

describe("encodeStereo", () => {
  const left = [0, 1, -1, 1000, -1000, 32767, -32768, 12345];
  const right = [-5, 7, 30000, -30000, 0, 100, -100, -12345];
  const pcm = stereo(left, right);

  test("separate: each side is the G.711 code alawmulaw gives that sample", () => {
    for (const law of ["PCMU", "PCMA"] as const) {
      const enc = (x: number): number => (law === "PCMU" ? mulaw.encodeSample(x) : alaw.encodeSample(x)) & 0xff;
      const l = new Uint8Array(8);
      const r = new Uint8Array(8);
      encodeStereo(pcm, 0, 8, law, "separate", l, r);
      expect([...l]).toEqual(left.map(enc));
      expect([...r]).toEqual(right.map(enc));
    }
  });

  test("mixed: the clipped sum of both sides, right untouched", () => {
    const l = new Uint8Array(8);
    const r = new Uint8Array(8).fill(0xaa);
    encodeStereo(pcm, 0, 8, "PCMU", "mixed", l, r);
    const sums = left.map((x, i) => Math.max(-32768, Math.min(32767, x + (right[i] as number))));
    expect([...l]).toEqual(sums.map((x) => mulaw.encodeSample(x) & 0xff));
    expect([...r]).toEqual(new Array(8).fill(0xaa));
  });

  test("reads from an offset", () => {
    const l = new Uint8Array(2);
    const r = new Uint8Array(2);
    encodeStereo(pcm, 4 * 5, 2, "PCMU", "separate", l, r);
    expect([...l]).toEqual([32767, -32768].map((x) => mulaw.encodeSample(x) & 0xff));
    expect([...r]).toEqual([100, -100].map((x) => mulaw.encodeSample(x) & 0xff));
  });
});

describe("StereoFramer", () => {
  const frameOf = (n: number): Uint8Array => new Uint8Array(16).fill(n);

  test("whole frames pass through without a copy; split frames are joined in order", () => {
    const f = new StereoFramer(4); // 16 bytes a frame
    const seen: number[][] = [];
    const grab = (b: Uint8Array, o: number): void => void seen.push([...b.subarray(o, o + 16)]);
    const two = new Uint8Array([...frameOf(1), ...frameOf(2)]);
    expect(f.push(two, grab)).toBe(2);
    const three = frameOf(3);
    expect(f.push(three.subarray(0, 5), grab)).toBe(0);
    expect(f.pending).toBe(5);
    expect(f.push(new Uint8Array([...three.subarray(5), ...frameOf(4).subarray(0, 3)]), grab)).toBe(1);
    expect(f.pending).toBe(3);
    expect(f.push(frameOf(4).subarray(3), grab)).toBe(1);
    expect(seen.map((s) => s[0])).toEqual([1, 2, 3, 4]);
    expect(seen.every((s) => s.length === 16 && s.every((x) => x === s[0]))).toBe(true);
  });

  test("byte-at-a-time input yields the same frames and never holds more than one partial frame", () => {
    const f = new StereoFramer(4);
    const all = new Uint8Array([...frameOf(7), ...frameOf(8), ...frameOf(9)]);
    const seen: number[] = [];
    for (const byte of all) {
      f.push(new Uint8Array([byte]), (b, o) => void seen.push(b[o] as number));
      expect(f.pending).toBeLessThan(16);
    }
    expect(seen).toEqual([7, 8, 9]);
  });

  test("reset drops a partial frame", () => {
    const f = new StereoFramer(4);
    f.push(new Uint8Array(10), () => {});
    f.reset();
    const seen: number[] = [];
    f.push(frameOf(5), (b, o) => void seen.push(b[o] as number));
    expect(seen).toEqual([5]);
  });
});
