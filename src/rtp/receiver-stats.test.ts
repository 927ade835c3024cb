import { describe, expect, test } from "bun:test";
import { ReceiverStats } from "./receiver-stats.ts";

describe("RTP receiver statistics (RFC 3550 A.1, A.3, A.8, §6.4.1)", () => {
  test("a clean 20 ms stream across the sequence wrap: nothing lost, no jitter, extended sequence counts the cycle", () => {
    const s = new ReceiverStats(8000);
    for (let i = 0; i < 100; i++) s.packet((65500 + i) & 0xffff, 1000 + i * 160, i * 20);
    expect([s.received, s.expected, s.lost, s.jitterMs]).toEqual([100, 100, 0, 0]);
    expect(s.extendedHighestSeq).toBe(65536 + ((65500 + 99) & 0xffff));
    expect(s.block(7, 2000)).toEqual({ ssrc: 7, fractionLost: 0, cumulativeLost: 0, highestSeq: 65536 + 63, jitter: 0, lsr: 0, dlsr: 0 });
  });

  test("loss: cumulative since the start, the fraction since the previous report (A.3)", () => {
    const s = new ReceiverStats(8000);
    for (let seq = 0; seq < 50; seq++) if (seq % 5 !== 4) s.packet(seq, seq * 160, seq * 20); // 10 of 50 lost (the last one, 49, too)
    expect([s.expected, s.received, s.lost]).toEqual([49, 40, 9]);
    expect(s.block(1, 1000)).toMatchObject({ fractionLost: Math.floor((9 * 256) / 49), cumulativeLost: 9 });
    for (let seq = 50; seq < 100; seq++) s.packet(seq, seq * 160, seq * 20); // none lost now, but 49 turns out lost
    expect(s.block(1, 2000)).toMatchObject({ fractionLost: Math.floor(256 / 51), cumulativeLost: 10 });
    // Duplicates make more arrive than expected: the fraction is 0, never negative; cumulative may go below 0.
    for (let i = 0; i < 20; i++) s.packet(99, 99 * 160, 2000);
    expect(s.block(1, 3000)).toMatchObject({ fractionLost: 0, cumulativeLost: -10 });
  });

  test("late and reordered packets do not move the highest sequence back or count as a wrap", () => {
    const s = new ReceiverStats(8000);
    for (const seq of [10, 11, 13, 12, 14, 3]) s.packet(seq, seq * 160, seq * 20);
    expect([s.extendedHighestSeq, s.expected, s.lost]).toEqual([14, 5, 0]);
  });

  test("jitter: packets alternately 10 ms early and late converge towards the mean deviation (A.8), in timestamp units in the block", () => {
    const s = new ReceiverStats(8000);
    for (let i = 0; i < 500; i++) s.packet(i, i * 160, i * 20 + (i % 2 === 0 ? 0 : 10));
    expect(s.jitterMs).toBeGreaterThan(9.5);
    expect(s.jitterMs).toBeLessThanOrEqual(10);
    expect(s.block(1, 10_000).jitter).toBe(Math.floor((s.jitterMs / 1000) * 8000));
    // Event packets (one timestamp for a whole digit) can be left out of the jitter.
    const e = new ReceiverStats(8000);
    for (let i = 0; i < 50; i++) e.packet(i, 4000, i * 20, false);
    expect(e.jitterMs).toBe(0);
  });

  test("LSR is the middle 32 bits of the last SR's NTP time, DLSR the delay since it in 1/65536 s", () => {
    const s = new ReceiverStats(8000);
    s.packet(1, 160, 0);
    s.senderReport(0x12345678, 0x9abcdef0, 1000);
    expect(s.block(9, 1500)).toMatchObject({ lsr: 0x56789abc, dlsr: 32768 });
  });
});
