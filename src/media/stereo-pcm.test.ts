import { describe, expect, test } from "bun:test";
import { alaw, mulaw } from "alawmulaw";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { FIXTURES } from "../../test/support/vectors.ts";
import { decodeG711 } from "./g711.ts";
import { StereoFramer, encodeStereo } from "./stereo-pcm.ts";
import { dominantFrequency } from "./tone.ts";

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

describe("on FreeSWITCH's own bytes (uuid_record RECORD_STEREO into a pipe, test/fixtures/freeswitch-media-bug)", () => {
  const r8 = new Uint8Array(readFileSync(join(FIXTURES, "freeswitch-media-bug", "stereo-440-660.r8")));

  test("whole 640-byte frames; left is the party the channel hears (440 Hz), right its own side (660 Hz), each clean", () => {
    expect(r8.length % 640).toBe(0);
    const f = new StereoFramer(160);
    const left: number[] = [];
    const right: number[] = [];
    const l = new Uint8Array(160);
    const r = new Uint8Array(160);
    // In the odd sizes a pipe read may have: the same frames come out.
    for (let at = 0; at < r8.length; at += 999) {
      f.push(r8.subarray(at, Math.min(r8.length, at + 999)), (b, o) => {
        encodeStereo(b, o, 160, "PCMU", "separate", l, r);
        left.push(...decodeG711("PCMU", l));
        right.push(...decodeG711("PCMU", r));
      });
    }
    expect(left.length).toBe(r8.length / 4);
    // The middle second (the first frames may precede the tones).
    const mid = (x: number[]): Int16Array => Int16Array.from(x.slice(1600, 1600 + 4000));
    expect(dominantFrequency(mid(left), 8000, [440, 660, 880, 1000])).toBe(440);
    expect(dominantFrequency(mid(right), 8000, [440, 660, 880, 1000])).toBe(660);
  });
});
