import { describe, expect, test } from "bun:test";
import { ManualClock } from "../../../test/support/manual-clock.ts";
import type { RequestResult } from "./client-request.ts";
import { ConnectionProbe, PROBE_DEADLINE_MS } from "./connection-probe.ts";

const answered: RequestResult = { kind: "final", res: { kind: "response", status: 200, reason: "OK", headers: [], body: new Uint8Array(), bodyOffset: 0 } };

describe("ConnectionProbe (a lost connection is not a lost dialog)", () => {
  test("an answer keeps the dialog, even a 405; no connection ends it", async () => {
    const clock = new ManualClock();
    expect(await new ConnectionProbe(clock, async () => answered).run()).toBe(false);
    expect(await new ConnectionProbe(clock, async () => ({ kind: "transport", reason: "refused" })).run()).toBe(true);
  });

  test("no answer: gone at the deadline, not after Timer F", async () => {
    const clock = new ManualClock();
    const probe = new ConnectionProbe(clock, () => new Promise<RequestResult>(() => {}));
    let gone: boolean | undefined;
    void probe.run().then((g) => (gone = g));
    expect(probe.active).toBe(true);
    clock.advance(PROBE_DEADLINE_MS - 1);
    await Promise.resolve();
    expect(gone).toBeUndefined();
    clock.advance(1);
    await Bun.sleep(0);
    expect([gone, probe.active]).toEqual([true, false]);
  });

  test("the probe's own connection lost too (a second loss during it): gone at once", async () => {
    const clock = new ManualClock();
    const probe = new ConnectionProbe(clock, () => new Promise<RequestResult>(() => {}));
    const first = probe.run();
    expect(await probe.run()).toBe(false);
    expect(await first).toBe(true);
  });
});
