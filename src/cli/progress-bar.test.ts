import { expect, test } from "bun:test";
import { clock, progressLine } from "./progress-bar.ts";

test("progress line: bar, percentage and the time left at the rate so far", () => {
  expect(progressLine("call", 0, 100, 0, 10)).toBe("call [..........]   0%");
  expect(progressLine("call", 25, 100, 5000, 10)).toBe("call [###.......]  25%  0:15 left");
  expect(progressLine("call", 100, 100, 9000, 10)).toBe("call [##########] 100%  0:00 left");
  expect(progressLine("x", 5, 0, 10, 4)).toBe("x [####] 100%  0:00 left");
  expect(clock(3_725_000)).toBe("1:02:05");
  expect(clock(-5)).toBe("0:00");
});
