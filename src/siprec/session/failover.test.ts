import { describe, expect, test } from "bun:test";
import { DEFAULT_FAILOVER_ON, failoverOrder, failsOver } from "./failover.ts";

describe("failover policy (failover.ts)", () => {
  test("skip codes: classes and numbers; 408 and 503 always move on", () => {
    expect([failsOver(503, ["5xx"]), failsOver(486, [488]), failsOver(408, []), failsOver(603, ["6xx"]), failsOver(503, [])]).toEqual([
      true,
      false,
      true,
      true,
      true,
    ]);
    expect([480, 488, 500, 600, 420].map((s) => failsOver(s, DEFAULT_FAILOVER_ON))).toEqual([true, true, true, true, true]);
    expect([401, 403, 486].map((s) => failsOver(s, DEFAULT_FAILOVER_ON))).toEqual([false, false, false]);
  });

  test("a group's servers by priority, config order on ties; other groups left out", () => {
    const srs = [
      { name: "c", group: "g", priority: 2 },
      { name: "x", group: "other", priority: 0 },
      { name: "a", group: "g", priority: 1 },
      { name: "b", group: "g", priority: 1 },
    ];
    expect(failoverOrder(srs, "g").map((s) => s.name)).toEqual(["a", "b", "c"]);
    expect(failoverOrder(srs, "none")).toEqual([]);
  });
});
