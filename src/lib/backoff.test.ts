import { expect, test } from "bun:test";
import { backoffMs } from "./backoff.ts";

test("back-off doubles from the initial wait, caps at the maximum, and jitter keeps 80-100 % of the step", () => {
  const b = { initialMs: 250, maxMs: 2000 };
  expect([0, 1, 2, 3, 4, 10, 1000].map((a) => backoffMs(b, a))).toEqual([250, 500, 1000, 2000, 2000, 2000, 2000]);
  expect(backoffMs(b, 1, 0)).toBe(400);
  expect(backoffMs(b, 1, 0.999999)).toBe(500);
  expect(backoffMs(b, -3)).toBe(250);
});
