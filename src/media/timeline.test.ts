import { describe, expect, test } from "bun:test";
import { encodeG711 } from "./g711.ts";
import { Timeline } from "./timeline.ts";

/** A 160-sample PCMU packet whose samples all decode to about `v`. */
const packet = (v: number) => encodeG711("PCMU", new Int16Array(160).fill(v));

function whole(t: Timeline, keep: number): Int16Array {
  const parts: Int16Array[] = [];
  for (let p = t.drain(keep, 1000); p.length > 0; p = t.drain(keep, 1000)) parts.push(p);
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) out.set(p, at), (at += p.length);
  return out;
}

describe("Timeline", () => {
  test("drained in pieces while packets arrive, the audio is the same as kept whole, and memory holds only the window", () => {
    const kept = new Timeline();
    const streamed = new Timeline();
    const chunks: Int16Array[] = [];
    for (let i = 0; i < 3000; i++) {
      if (i % 50 === 0) chunks.push(streamed.drain(8000));
      // Every 7th packet lost, every 11th a packet late by 3 places (inside the window).
      if (i % 7 === 3) continue;
      const seq = i % 11 === 5 && i > 3 ? i - 3 : i;
      for (const t of [kept, streamed]) t.add(1000 + seq * 160, "PCMU", packet(((seq % 50) + 1) * 100));
      expect(streamed.held).toBeLessThan(8000 + 160 * 60);
    }
    chunks.push(whole(streamed, 0));
    const joined = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) joined.set(c, at), (at += c.length);
    expect(joined.length).toBe(kept.length);
    expect(joined).toEqual(kept.pcm());
    expect(streamed.late).toBe(0);
  });

  test("a packet for a place already drained is late, not written; a pause at the end is silence made in pieces, not one allocation", () => {
    const t = new Timeline();
    for (let i = 0; i < 100; i++) t.add(i * 160, "PCMU", packet(1000));
    expect(t.drain(0).length).toBe(16_000);
    t.add(50 * 160, "PCMU", packet(1000));
    expect(t.late).toBe(1);
    t.padTo(16_000 + 8000 * 3600);
    expect(t.held).toBe(8000 * 3600);
    const piece = t.drain(0, 8000);
    expect(piece.length).toBe(8000);
    expect(piece.every((x) => x === 0)).toBe(true);
    expect(t.length).toBe(16_000 + 8000 * 3600);
  });

  test("without drains pcm() is the whole stream, silence where packets were lost", () => {
    const t = new Timeline();
    t.add(0, "PCMU", packet(1000));
    t.add(320, "PCMU", packet(1000));
    const pcm = t.pcm();
    expect(pcm.length).toBe(480);
    expect(pcm.subarray(160, 320).every((x) => x === 0)).toBe(true);
    expect(Math.abs((pcm[0] as number) - 1000)).toBeLessThan(40);
  });
});
