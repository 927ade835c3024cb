import { expect, test } from "bun:test";
import { ManualClock } from "./manual-clock.ts";
import { FixedIds } from "./fixed-ids.ts";

test("ManualClock fires due timers in deadline order, including ones set while firing", () => {
  const c = new ManualClock();
  const fired: string[] = [];
  c.setTimer(300, () => fired.push("c"));
  c.setTimer(100, () => {
    fired.push(`a@${c.now()}`);
    c.setTimer(50, () => fired.push(`b@${c.now()}`));
  });
  const cancelled = c.setTimer(200, () => fired.push("never"));
  c.clearTimer(cancelled);
  c.advance(250);
  expect(fired).toEqual(["a@100", "b@150"]);
  expect(c.now()).toBe(250);
  c.advance(50);
  expect(fired.at(-1)).toBe("c");
  expect(c.pendingCount).toBe(0);
});

test("FixedIds is deterministic and not constant", () => {
  expect(new FixedIds(7).bytes(8)).toEqual(new FixedIds(7).bytes(8));
  expect(new Set(new FixedIds().bytes(32)).size).toBeGreaterThan(8);
  expect(new FixedIds(3).uint32()).not.toBe(new FixedIds(4).uint32());
});
