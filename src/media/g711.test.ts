import { describe, expect, test } from "bun:test";
import { ALAW_DECODE, ALAW_TO_MULAW, MULAW_DECODE, MULAW_TO_ALAW, SILENCE, decodeG711, encodeG711, transcodeG711, type G711 } from "./g711.ts";

const enc1 = (law: G711, x: number) => encodeG711(law, Int16Array.of(x))[0] as number;
const dec1 = (law: G711, c: number) => decodeG711(law, Uint8Array.of(c))[0] as number;

describe("ITU-T G.711 reference values", () => {
  test("µ-law: zero is 0xFF (and 0x7F), extremes 0x80 / 0x00 decode to ±32124, sign in the top bit", () => {
    expect(enc1("PCMU", 0)).toBe(0xff);
    expect([dec1("PCMU", 0xff), dec1("PCMU", 0x7f)]).toEqual([0, 0]);
    expect(enc1("PCMU", 32767)).toBe(0x80);
    expect(enc1("PCMU", -32768)).toBe(0x00);
    expect([dec1("PCMU", 0x80), dec1("PCMU", 0x00)]).toEqual([32124, -32124]);
    // Polarity: positive samples have the sign bit set in µ-law (codes 0x80-0xFF).
    expect(enc1("PCMU", 1000) & 0x80).toBe(0x80);
    expect(enc1("PCMU", -1000) & 0x80).toBe(0);
  });

  test("A-law: zero is 0xD5 (decodes to 8), extremes 0xAA / 0x2A decode to ±32256, even bits inverted", () => {
    expect(enc1("PCMA", 0)).toBe(0xd5);
    expect([dec1("PCMA", 0xd5), dec1("PCMA", 0x55)]).toEqual([8, -8]);
    expect(enc1("PCMA", 32767)).toBe(0xaa);
    expect(enc1("PCMA", -32768)).toBe(0x2a);
    expect([dec1("PCMA", 0xaa), dec1("PCMA", 0x2a)]).toEqual([32256, -32256]);
    expect(enc1("PCMA", 1000) & 0x80).toBe(0x80);
    expect(SILENCE).toEqual({ PCMU: 0xff, PCMA: 0xd5 });
  });

  for (const law of ["PCMU", "PCMA"] as const) {
    test(`${law}: all 65,536 samples quantize to an adjacent reconstruction level (G.711 error bound)`, () => {
      const levels = [...new Set(law === "PCMU" ? MULAW_DECODE : ALAW_DECODE)].sort((a, b) => a - b);
      const all = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);
      const back = decodeG711(law, encodeG711(law, all));
      let worst = 0;
      for (let i = 0; i < all.length; i++) {
        const x = all[i] as number;
        const y = back[i] as number;
        // The two reconstruction levels around x (clipped at the outermost ones).
        let hi = levels.findIndex((l) => l >= x);
        if (hi < 0) hi = levels.length - 1;
        const lo = Math.max(0, levels[hi] === x ? hi : hi - 1);
        if (y !== levels[lo] && y !== levels[hi]) throw new Error(`${law}: ${x} → ${y}, not ${levels[lo]} or ${levels[hi]}`);
        const gap = Math.max(1, (levels[hi] as number) - (levels[lo] as number));
        if (x >= (levels[0] as number) && x <= (levels.at(-1) as number)) worst = Math.max(worst, Math.abs(x - y) / gap);
      }
      // Never further than one interval, and the encoder is monotonic.
      expect(worst).toBeLessThanOrEqual(1);
      for (let i = 1; i < back.length; i++) expect(back[i] as number).toBeGreaterThanOrEqual(back[i - 1] as number);
    });
  }
});

describe("transcoding tables", () => {
  test("PCMU → PCMA → PCMU keeps every code within one step of its level", () => {
    for (let c = 0; c < 256; c++) {
      const back = ALAW_TO_MULAW[MULAW_TO_ALAW[c] as number] as number;
      expect(Math.abs((MULAW_DECODE[back] as number) - (MULAW_DECODE[c] as number))).toBeLessThanOrEqual(Math.max(16, Math.abs(MULAW_DECODE[c] as number) / 8));
    }
  });

  test("silence maps to silence, payloads transcode byte for byte", () => {
    expect(MULAW_TO_ALAW[0xff]).toBe(0xd5);
    expect(ALAW_TO_MULAW[0xd5]).toBe(0xff);
    const tone = encodeG711(
      "PCMU",
      Int16Array.from({ length: 160 }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000))),
    );
    const a = transcodeG711("PCMU", "PCMA", tone);
    expect(a.length).toBe(160);
    expect(transcodeG711("PCMU", "PCMU", tone)).toEqual(tone);
  });
});
