import { describe, expect, test } from "bun:test";
import { ManualClock } from "../../../test/support/manual-clock.ts";
import { RtcpHeard, RtcpWatchdog } from "./rtcp-watchdog.ts";

function rig(intervals = 3) {
  const clock = new ManualClock();
  const fb = new RtcpHeard();
  const silent: { quietMs: number; intervalMs: number }[] = [];
  const w = new RtcpWatchdog({ clock, intervals, feedback: () => fb, silent: (quietMs, intervalMs) => silent.push({ quietMs, intervalMs }) });
  /** The SRS reports every `every` ms for `forMs`. */
  const reports = (every: number, forMs: number) => {
    for (let t = 0; t < forMs; t += every) {
      clock.advance(every);
      fb.heard(clock.now());
    }
  };
  return { clock, fb, silent, w, reports };
}

describe("RTCP watchdog (RFC 3550 §6.3.5 timeout)", () => {
  test("an SRS that reports every 5 s and then stops is noticed after 3 of its intervals, not before", () => {
    const r = rig();
    r.w.arm();
    r.reports(5000, 60_000);
    expect(r.silent).toEqual([]);
    const stoppedAt = r.clock.now();
    r.clock.advance(14_000);
    expect(r.silent).toEqual([]);
    r.clock.advance(1_100);
    expect(r.silent.length).toBe(1);
    expect(r.silent[0]!.intervalMs).toBe(5000);
    expect(r.silent[0]!.quietMs).toBeGreaterThanOrEqual(15_000);
    expect(r.clock.now() - stoppedAt).toBeLessThan(16_500);
  });

  test("this process stalled (SIGSTOP) for 10 s: the late check accuses nobody, the reports waiting in the socket count; a really silent SRS is still noticed one interval later", () => {
    const r = rig();
    r.w.arm();
    r.reports(1000, 10_000);
    r.clock.jump(10_000); // the daemon stood still; the SRS kept reporting into the socket
    expect(r.silent).toEqual([]);
    r.fb.heard(r.clock.now()); // read once the process runs again
    r.reports(1000, 10_000);
    expect(r.silent).toEqual([]);
    // The same stall with an SRS that really went quiet: noticed, a second later than on time.
    const dead = rig();
    dead.w.arm();
    dead.reports(1000, 10_000);
    dead.clock.jump(10_000);
    expect(dead.silent).toEqual([]);
    dead.clock.advance(1000);
    expect(dead.silent.length).toBe(1);
    expect(dead.silent[0]!.quietMs).toBeGreaterThanOrEqual(11_000);
  });

  test("the interval is the SRS's own: reports every 1 s time out after about 3 s; every 10 s not before 30 s", () => {
    const fast = rig();
    fast.w.arm();
    fast.reports(1000, 20_000);
    fast.clock.advance(2_500);
    expect(fast.silent).toEqual([]);
    fast.clock.advance(1_500);
    expect(fast.silent.length).toBe(1);

    const slow = rig();
    slow.w.arm();
    slow.reports(10_000, 100_000);
    slow.clock.advance(25_000);
    expect(slow.silent).toEqual([]);
    slow.clock.advance(6_000);
    expect(slow.silent.length).toBe(1);
  });

  test("reports that stop before the first look are enough to learn the interval: a 300 ms SRS quiet after 1.2 s is noticed about 3 s later, not 15 s", () => {
    const r = rig();
    r.w.arm();
    r.reports(300, 1200);
    r.clock.advance(1800);
    expect(r.silent).toEqual([]);
    r.clock.advance(1500);
    expect(r.silent.length).toBe(1);
    expect(r.silent[0]!.intervalMs).toBe(1000);
  });

  test("an SRS reporting on two streams at once every 5 s has a 5 s interval, not the milliseconds between its two reports", () => {
    const r = rig();
    r.w.arm();
    for (let t = 0; t < 60_000; t += 5000) {
      r.clock.advance(4995);
      r.fb.heard(r.clock.now());
      r.clock.advance(5);
      r.fb.heard(r.clock.now());
    }
    expect(r.w.intervalMs()).toBe(5000);
    r.clock.advance(7_400);
    expect(r.silent).toEqual([]);
  });

  test("an SRS that never sends RTCP is never accused; nor one whose only reports came before arming", () => {
    const r = rig();
    r.w.arm();
    r.clock.advance(600_000);
    expect(r.silent).toEqual([]);
    r.reports(5000, 20_000);
    r.w.disarm();
    r.w.arm();
    r.clock.advance(600_000);
    expect(r.silent).toEqual([]);
  });

  test("disarmed (paused, held) it stays quiet however long; 0 intervals turns it off", () => {
    const r = rig();
    r.w.arm();
    r.reports(5000, 20_000);
    r.w.disarm();
    r.clock.advance(600_000);
    expect(r.silent).toEqual([]);
    const off = rig(0);
    off.w.arm();
    off.reports(5000, 20_000);
    off.clock.advance(600_000);
    expect(off.silent).toEqual([]);
  });
});
