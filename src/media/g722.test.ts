import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { G722Decoder, G722Encoder } from "./g722.ts";
import { goertzelPower } from "./tone.ts";
import { checkSignal } from "../../test/support/g722-signal.ts";

const sha256 = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

function encodeAll(pcm: Int16Array): Uint8Array {
  const enc = new G722Encoder();
  const out = new Uint8Array(pcm.length / 2);
  for (let i = 0; i < pcm.length; i += 320) expect(enc.encode(pcm.subarray(i, i + 320), out, i / 2)).toBe(160);
  return out;
}

function decodeAll(code: Uint8Array): Int16Array {
  const dec = new G722Decoder();
  const out = new Int16Array(code.length * 2);
  for (let i = 0; i < code.length; i += 160) out.set(dec.decode(code.subarray(i, i + 160)), i * 2);
  return out;
}

describe("G.722 (64 kbit/s)", () => {
  // Digests of spandsp's g722_encode/g722_decode (0d2e6ac65e, bit-exact with the ITU-T
  // reference) on the same signal, by test/integration/helpers/g722-check.c; the
  // integration test compares against the installed libspandsp live.
  const SPANDSP = {
    input: "a93c881871eb47022977246682967c27489d2b052f1aa123cd24bbb6ad07db9a",
    encoded: "49a17339a36f1c14f4157545577c621b553b8f147c632794c05227ebe5a3b00a",
    decoded: "c8e9de8188b0a74f54b2e7954942ec5ed8cb2336a3ce68b75e990cd8de80aa1a",
  };

  test("encodes and decodes bit-exactly as spandsp does, clipping levels included", () => {
    const pcm = checkSignal();
    expect(sha256(new Uint8Array(pcm.buffer))).toBe(SPANDSP.input);
    const code = encodeAll(pcm);
    expect(sha256(code)).toBe(SPANDSP.encoded);
    expect(sha256(new Uint8Array(decodeAll(code).buffer))).toBe(SPANDSP.decoded);
  });

  test("a stream is continuous: one call or many packet-sized calls give the same octets", () => {
    const pcm = checkSignal().subarray(0, 16000);
    const whole = new Uint8Array(8000);
    new G722Encoder().encode(pcm, whole);
    expect(encodeAll(pcm)).toEqual(whole);
  });

  test("a 1 kHz and a 6 kHz tone come back as themselves (both sub-bands carry audio)", () => {
    for (const hz of [1000, 6000]) {
      const pcm = Int16Array.from({ length: 16000 }, (_, i) => Math.round(10000 * Math.sin((2 * Math.PI * hz * i) / 16000)));
      const back = decodeAll(encodeAll(pcm)).subarray(1600);
      const tone = goertzelPower(back, 16000, hz);
      const other = goertzelPower(back, 16000, hz === 1000 ? 6000 : 1000);
      expect(tone).toBeGreaterThan(other * 1000);
      // Energy is kept within 1 dB.
      const rms = Math.sqrt(back.reduce((a, x) => a + x * x, 0) / back.length);
      expect(rms / (10000 / Math.SQRT2)).toBeGreaterThan(0.89);
      expect(rms / (10000 / Math.SQRT2)).toBeLessThan(1.12);
    }
  });

  test("silence encodes to a steady code and decodes to near silence", () => {
    const back = decodeAll(encodeAll(new Int16Array(3200)));
    expect(Math.max(...back.map(Math.abs))).toBeLessThan(64);
  });
});
