/**
 * Faults around a real FreeSWITCH call being recorded: the Event Socket
 * cut mid-call, FreeSWITCH killed and started again, the daemon SIGKILLed
 * and restarted, a tap leg killed, a wrong ESL password, the SRS down
 * (soft-fail and recording-required).
 */
import { expect, test } from "bun:test";
import { nthReport, realFreeswitchSuite, siprecEvent, started, waitNoChannels } from "../support/freeswitch/suite.ts";
import { toneProfile, voicedBetween } from "../support/freeswitch/wav-check.ts";
import { TcpProxy } from "../support/tcp-proxy.ts";

const groupId = (xml: string): string => /<group group_id="([^"]+)"/.exec(xml)?.[1] ?? "";

realFreeswitchSuite("faults", (ctx) => {
  test("the Event Socket connection is cut mid-call: the recording goes on without a gap, the daemon reconnects and resynchronises, the hangup still ends it", async () => {
    const proxy = TcpProxy.start(ctx.fs.ports.esl);
    try {
      const rig = await ctx.rig({ eslPort: proxy.port });
      const { phone, aLeg } = await ctx.fs.call("record-660", { toneHz: 440 });
      await started(rig, ctx.fs, aLeg);
      await Bun.sleep(1000);
      proxy.cut();
      await rig.until(() => rig.logLines("connected to FreeSWITCH").length >= 2, 10_000, "the reconnect");
      await Bun.sleep(1500);
      expect(await ctx.fs.getVar(aLeg, "siprec_status")).toBe("recording");
      await ctx.fs.esl.api(`uuid_kill ${phone}`);
      const report = await nthReport(rig, 1);
      for (const label of ["1", "2"]) {
        const p = toneProfile(rig.wav(report, label));
        expect(p.tone).toBe(label === "1" ? 440 : 660);
        expect(voicedBetween(p, 0, p.ms)).toBeGreaterThan(p.ms - 500);
      }
      expect(proxy.connections).toBe(2);
    } finally {
      proxy.stop();
    }
  }, 40_000);

  test("FreeSWITCH killed mid-call and started again: the recording ends cleanly at the SRS (no orphan dialog), the daemon reconnects and records the next call", async () => {
    const rig = await ctx.rig();
    const { aLeg } = await ctx.fs.call("record-660", { toneHz: 440 });
    await started(rig, ctx.fs, aLeg);
    await Bun.sleep(1000);
    const fs2 = await ctx.restartFreeswitch();
    const first = await nthReport(rig, 1, 15_000);
    expect(first.endedBy).toBe("client");
    await rig.until(() => rig.logLines("connected to FreeSWITCH").length >= 2, 15_000, "the reconnect to the new FreeSWITCH");
    const next = await fs2.call("record-660", { toneHz: 440 });
    await started(rig, fs2, next.aLeg);
    await Bun.sleep(1500);
    await fs2.esl.api(`uuid_kill ${next.phone}`);
    const second = await nthReport(rig, 2);
    expect([toneProfile(rig.wav(second, "1")).tone, toneProfile(rig.wav(second, "2")).tone]).toEqual([440, 660]);
  }, 60_000);

  test("the daemon SIGKILLed mid-call and restarted: the orphaned SRS dialog gets its BYE, the old tap legs are hung up, the call is recorded again in the same metadata group", async () => {
    const rig = await ctx.rig();
    const { phone, aLeg } = await ctx.fs.call("record-660", { toneHz: 440 });
    await started(rig, ctx.fs, aLeg);
    await Bun.sleep(1000);
    const oldTaps = (await ctx.fs.channels()).filter((c) => c.name.includes("/tap@")).map((c) => c.uuid);
    expect(oldTaps.length).toBe(2);
    await rig.stopDaemon("SIGKILL");
    rig.startDaemon();
    const orphan = await nthReport(rig, 1, 15_000);
    expect(orphan.endedBy).toBe("client");
    await started(rig, ctx.fs, aLeg, 2, 15_000);
    // The restarted daemon hangs the old legs up (uuid_kill, asynchronous in FreeSWITCH): gone within 5 s, two new ones left.
    let taps: string[] = [];
    for (let i = 0; i < 50; i++, await Bun.sleep(100)) {
      taps = (await ctx.fs.channels()).filter((c) => c.name.includes("/tap@")).map((c) => c.uuid);
      if (taps.length === 2 && !taps.some((t) => oldTaps.includes(t))) break;
    }
    expect(taps.filter((t) => oldTaps.includes(t))).toEqual([]);
    expect(taps.length).toBe(2);
    await Bun.sleep(1500);
    await ctx.fs.esl.api(`uuid_kill ${phone}`);
    const again = await nthReport(rig, 2);
    expect(groupId(rig.metadata(again)[0] ?? "")).toBe(groupId(rig.metadata(orphan)[0] ?? "x"));
    expect([toneProfile(rig.wav(again, "1")).tone, toneProfile(rig.wav(again, "2")).tone]).toEqual([440, 660]);
  }, 60_000);

  test("a tap leg killed (uuid_kill) mid-recording is originated again; the SRS session carries on and hears that party afterwards", async () => {
    const rig = await ctx.rig();
    const { phone, aLeg } = await ctx.fs.call("record-660", { toneHz: 440 });
    await started(rig, ctx.fs, aLeg);
    await Bun.sleep(1000);
    const taps = (await ctx.fs.channels()).filter((c) => c.name.includes("/tap@"));
    expect(taps.length).toBe(2);
    await ctx.fs.esl.api(`uuid_kill ${taps[0]!.uuid}`);
    await rig.until(() => rig.logLines("tap leg restored").length === 1, 10_000, "the tap leg restored");
    await Bun.sleep(1500);
    await ctx.fs.esl.api(`uuid_kill ${phone}`);
    const report = await nthReport(rig, 1);
    expect(rig.reports().length).toBe(1);
    for (const label of ["1", "2"]) {
      const p = toneProfile(rig.wav(report, label));
      expect(p.tone).toBe(label === "1" ? 440 : 660);
      expect(voicedBetween(p, p.ms - 1200, p.ms - 200)).toBeGreaterThanOrEqual(800);
    }
  }, 40_000);

  test("a wrong ESL password: the daemon exits 1 with one clear line, no retry loop", async () => {
    const rig = await ctx.rig({ password: "not-the-password", noWait: true });
    expect(await Promise.race([rig.daemonExited(), Bun.sleep(10_000).then(() => -1)])).toBe(1);
    expect(rig.daemonLog).toContain("FreeSWITCH rejected the ESL password");
  }, 20_000);

  test("the SRS down with on_failure = continue: siprec::failed, siprec_status=failed, the call goes on untouched", async () => {
    const rig = await ctx.rig({ recording: ["setup_timeout_ms = 3000"] });
    await rig.stopSrs();
    const { phone, aLeg } = await ctx.fs.call("record-660", { toneHz: 440 });
    await rig.until(() => ctx.fs.esl.custom("siprec::failed", aLeg).length === 1, 10_000, "siprec::failed");
    expect(await ctx.fs.getVar(aLeg, "siprec_status")).toBe("failed");
    await Bun.sleep(500);
    const left = (await ctx.fs.channels()).map((c) => c.uuid).sort();
    expect(left).toEqual([aLeg, phone].sort());
  }, 30_000);

  test('the SRS down with on_failure = "hangup": the call is hung up with the configured cause after the announcement', async () => {
    const rig = await ctx.rig({
      recording: [
        "setup_timeout_ms = 3000",
        'on_failure = "hangup"',
        'hangup_cause = "NORMAL_TEMPORARY_FAILURE"',
        'failure_announcement = "tone_stream://%(500,0,1000)"',
        "failure_announcement_seconds = 1",
      ],
    });
    await rig.stopSrs();
    const { aLeg } = await ctx.fs.call("record-660", { toneHz: 440 });
    await rig.until(() => ctx.fs.esl.custom("siprec::failed", aLeg).length === 1, 10_000, "siprec::failed");
    await rig.until(() => ctx.fs.esl.named("CHANNEL_HANGUP_COMPLETE", aLeg).length === 1, 10_000, "the call hung up");
    const hangup = ctx.fs.esl.named("CHANNEL_HANGUP_COMPLETE", aLeg)[0]!;
    expect(hangup.get("Hangup-Cause")).toBe("NORMAL_TEMPORARY_FAILURE");
    // The announcement (a 500 ms tone) played first. FreeSWITCH runs sched_hangup on a one-second
    // tick, so the hangup comes after the tone and at most failure_announcement_seconds (+ a tick) later.
    const failedUs = Number(ctx.fs.esl.custom("siprec::failed", aLeg)[0]?.get("Event-Date-Timestamp"));
    const afterMs = (Number(hangup.get("Event-Date-Timestamp")) - failedUs) / 1000;
    expect(afterMs).toBeGreaterThan(450);
    expect(afterMs).toBeLessThan(2500);
    expect(await waitNoChannels(ctx.fs)).toEqual([]);
  }, 30_000);

  test("FreeSWITCH refuses the tap originate (-ERR): siprec::failed with the cause, the call untouched, no recording left hanging", async () => {
    const rig = await ctx.rig({ recording: ["setup_timeout_ms = 3000"], tapProfile: "no-such-profile" });
    const { phone, aLeg } = await ctx.fs.call("record-660", { toneHz: 440 });
    await rig.until(() => ctx.fs.esl.custom("siprec::failed", aLeg).length === 1, 10_000, "siprec::failed");
    expect(ctx.fs.esl.custom("siprec::failed", aLeg)[0]?.get("SIPREC-Reason") ?? "").toMatch(/originate|tap/i);
    expect((await ctx.fs.channels()).map((c) => c.uuid).sort()).toEqual([aLeg, phone].sort());
    const list = (await rig.control("GET", "/recordings")).json as { recordings?: { status: string }[] } | { status: string }[];
    const rows = Array.isArray(list) ? list : (list.recordings ?? []);
    expect(rows.filter((r) => r.status !== "failed" && r.status !== "stopped")).toEqual([]);
  }, 30_000);

  test("siprec events for calls never recorded, and for uuids FreeSWITCH does not know: one log line each, nothing started", async () => {
    const rig = await ctx.rig();
    const startedBefore = ctx.fs.esl.custom("siprec::started").length;
    const { aLeg } = await ctx.fs.call("tone-660", { toneHz: 440 });
    await siprecEvent(ctx.fs, "pause", aLeg);
    await siprecEvent(ctx.fs, "stop", aLeg);
    await ctx.fs.esl.api("sendevent CUSTOM\nEvent-Subclass: siprec::start\nSIPREC-Target-UUID: 00000000-0000-4000-8000-000000000000");
    await rig.until(() => rig.logLines("siprec event for a call that is not being recorded").length >= 2, 5000, "the log lines");
    await Bun.sleep(500);
    expect(ctx.fs.esl.custom("siprec::started").length).toBe(startedBefore);
    expect((await ctx.fs.channels()).filter((c) => c.name.includes("/tap@"))).toEqual([]);
  }, 30_000);

  test("FreeSWITCH answering slowly: 300 ms on every ESL reply still records; past command_timeout_ms the daemon logs the timeout; once FreeSWITCH is quick again (after a reconnect) it records the next call; nothing is left half-made", async () => {
    const proxy = TcpProxy.start(ctx.fs.ports.esl);
    try {
      const rig = await ctx.rig({ eslPort: proxy.port });
      proxy.delayMs = 300;
      const slow = await ctx.fs.call("record-660", { toneHz: 440 });
      await started(rig, ctx.fs, slow.aLeg, 1, 15_000);
      await Bun.sleep(1000);
      await ctx.fs.esl.api(`uuid_kill ${slow.phone}`);
      await nthReport(rig, 1);
      proxy.delayMs = 8000; // past the daemon's command_timeout_ms (5 s by default)
      const stuck = await ctx.fs.call("record-660", { toneHz: 440 });
      await rig.until(
        () =>
          /ESL_TIMEOUT|timed out|timeout/i.test(
            rig.daemonLog
              .split("\n")
              .filter((l) => l.includes('"level":"warn"') || l.includes('"level":"error"'))
              .join("\n"),
          ),
        20_000,
        "the daemon to notice the slow replies",
      );
      proxy.delayMs = 0;
      proxy.cut();
      await ctx.fs.esl.api(`uuid_kill ${stuck.phone}`);
      await rig.until(() => rig.logLines("connected to FreeSWITCH").length >= 2, 15_000, "a fresh connection");
      await Bun.sleep(1500);
      const quick = await ctx.fs.call("record-660", { toneHz: 440 });
      await started(rig, ctx.fs, quick.aLeg, 1, 15_000);
      await Bun.sleep(1000);
      await ctx.fs.esl.api(`uuid_kill ${quick.phone}`);
      await rig.until(() => rig.reports().length >= 2, 15_000, "the quick call's report");
      await Bun.sleep(1000);
      const rows = ((await rig.control("GET", "/recordings")).json as { recordings: { status: string; callUuid?: string }[] }).recordings;
      expect(rows.filter((r) => r.status !== "stopped" && r.status !== "failed")).toEqual([]);
    } finally {
      proxy.stop();
    }
  }, 90_000);
});
