import { describe, expect, test } from "bun:test";
import { TapOnlyRepair } from "./tap-only-repair.ts";
import { ManualClock } from "../../test/support/manual-clock.ts";
import { ok } from "../lib/result.ts";
import type { Logger } from "../lib/log.ts";

const CALL = "327f0dfa-fd7e-4caf-8d4f-7763a90079bb";
const quiet: Logger = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, child: () => quiet } as unknown as Logger;

function rig() {
  const sent: string[] = [];
  const removed: string[] = [];
  const esl = {
    api: async (c: string) => (sent.push(c), ok("+OK Success\n")),
    bgapi: async () => ok({ jobUuid: "", body: "" }),
    command: async () => ok(undefined),
  };
  const counts = { repaired: 0 };
  const r = new TapOnlyRepair({
    esl: esl as never,
    clock: new ManualClock(),
    log: quiet,
    probeDir: "/tmp/",
    removeProbe: (p) => removed.push(p),
    onRepaired: () => counts.repaired++,
  });
  return { r, sent, removed, counts };
}

const flush = () => new Promise((res) => setTimeout(res, 0));

describe("TapOnlyRepair (FreeSWITCH's tap-only flag after another media bug)", () => {
  test("a customer's session_record on a natively tapped channel: our own probe bug is added and removed at once, then deleted", async () => {
    const { r, sent, removed, counts } = rig();
    r.bugStarted(CALL, "session_record", "/var/lib/freeswitch/recordings/customer.wav");
    await flush();
    expect(sent.length).toBe(2);
    expect(sent[0]).toMatch(new RegExp(`^uuid_record ${CALL} start /tmp/siprec-tap-repair-${CALL}-\\d+\\.r8$`));
    expect(sent[1]).toBe(sent[0]!.replace(" start ", " stop "));
    expect(removed).toEqual([sent[0]!.split(" ")[3]!]);
    expect(counts.repaired).toBe(1);
  });

  test("our probe's own MEDIA_BUG_START, eavesdrop bugs (ours or a supervisor's) and bad uuids start nothing", async () => {
    const { r, sent } = rig();
    r.bugStarted(CALL, "session_record", `/tmp/siprec-tap-repair-${CALL}-1.r8`);
    r.bugStarted(CALL, "eavesdrop", CALL);
    r.bugStarted("x; hupall", "session_record", "/a.wav");
    await flush();
    expect(sent).toEqual([]);
  });

  test("one repair at a time per call", async () => {
    const { r, sent } = rig();
    r.bugStarted(CALL, "session_record", "/a.wav");
    r.bugStarted(CALL, "displace", "/b.wav");
    await flush();
    expect(sent.length).toBe(2);
  });

  test("a probe folder that cannot go into a command line (spaces) is refused, nothing sent", async () => {
    const sent: string[] = [];
    const esl = { api: async (c: string) => (sent.push(c), ok("+OK\n")) };
    new TapOnlyRepair({ esl: esl as never, clock: new ManualClock(), log: quiet, probeDir: "/tmp/my dir" }).bugStarted(CALL, "session_record", "/a.wav");
    await flush();
    expect(sent).toEqual([]);
  });
});
