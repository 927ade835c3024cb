import { describe, expect, test } from "bun:test";
import { CapturePacer, type PacedPacket } from "./capture-pacer.ts";
import { ManualClock } from "../../test/support/manual-clock.ts";

const packets = (timesMs: number[], label = "1"): PacedPacket[] => timesMs.map((t, i) => ({ label, timeUs: 1_000_000 + t * 1000, bytes: Uint8Array.of(i) }));

describe("replay pacing (capture-pacer.ts) on the manual clock", () => {
  test("each packet goes at its captured offset from the first; a gap stays a gap", () => {
    const clock = new ManualClock();
    const pacer = new CapturePacer({ clock, speed: 1 });
    const at: number[] = [];
    pacer.play(packets([0, 20, 40, 1040]), () => at.push(clock.now()));
    for (let i = 0; i < 120; i++) clock.advance(10);
    expect(at).toEqual([0, 20, 40, 1040]);
    expect(pacer.sent).toBe(4);
  });

  test("speed 2 halves the offsets; flows are merged in capture order", () => {
    const clock = new ManualClock();
    const pacer = new CapturePacer({ clock, speed: 2 });
    const got: string[] = [];
    pacer.play([...packets([0, 40], "1"), ...packets([20, 60], "2")], (p) => got.push(`${p.label}@${clock.now()}`));
    for (let i = 0; i < 10; i++) clock.advance(5);
    expect(got).toEqual(["1@0", "2@10", "1@20", "2@30"]);
  });

  test("a late timer does not stretch the call: everything due by now goes in one turn", () => {
    // A clock whose one pending timer fires only when the test says, however late.
    let now = 0;
    let pending: (() => void) | undefined;
    const clock = { now: () => now, wallNow: () => now, setTimer: (_ms: number, fire: () => void) => ((pending = fire), 1), clearTimer: () => {} };
    const pacer = new CapturePacer({ clock, speed: 1 });
    const at: number[] = [];
    pacer.play(packets([0, 20, 40, 60, 80]), () => at.push(now));
    expect(at).toEqual([0]);
    now = 65; // the event loop was busy: the 20 ms timer fires 45 ms late
    pending?.();
    expect(at).toEqual([0, 65, 65, 65]);
    now = 80;
    pending?.();
    expect(at).toEqual([0, 65, 65, 65, 80]);
  });

  test("max duration cuts the call at its capture time; cues fire before the packet of their time; progress ends at the total", async () => {
    const clock = new ManualClock();
    const progress: [number, number][] = [];
    const cues: number[] = [];
    const pacer = new CapturePacer({
      clock,
      speed: 1,
      maxDurationMs: 50,
      cues: [{ timeUs: 1_000_000 + 30_000, fire: () => cues.push(clock.now()) }],
      onProgress: (d, t) => progress.push([d, t]),
    });
    const at: number[] = [];
    pacer.play(packets([0, 20, 40, 60, 80]), () => at.push(clock.now()));
    for (let i = 0; i < 20; i++) clock.advance(10);
    await pacer.finished;
    expect(at).toEqual([0, 20, 40]);
    expect(cues).toEqual([40]);
    expect(progress.at(-1)).toEqual([50_000, 50_000]);
  });

  test("stop ends it at once: no more packets, finished resolves", async () => {
    const clock = new ManualClock();
    const pacer = new CapturePacer({ clock, speed: 1 });
    let n = 0;
    pacer.play(packets([0, 20, 40]), () => n++);
    pacer.stop();
    clock.advance(100);
    await pacer.finished;
    expect(n).toBe(1);
  });
});
