/**
 * [tap] method = "media-bug" on a real FreeSWITCH: one stereo uuid_record
 * per call into the daemon's pipe, no tap legs. Each party's tone on its
 * label whatever the call's codec (FreeSWITCH decodes Opus and G.722), a
 * mixed stream with both, pause and hold, and a customer's own recording
 * before and after ours both hearing both parties.
 */
import { expect, test } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { hangUpAndProfiles, nthReport, realFreeswitchSuite, siprecEvent, started } from "../support/freeswitch/suite.ts";
import { toneProfile, toneShares, voicedBetween } from "../support/freeswitch/wav-check.ts";

realFreeswitchSuite("media-bug tap", (ctx) => {
  for (const codec of ["PCMU", "PCMA", "G722", "OPUS"] as const) {
    test(`${codec} call: separate streams from one uuid_record, each party's tone on its label, no tap-leg channels`, async () => {
      const rig = await ctx.rig({ tapMethod: "media-bug" });
      const { phone, aLeg } = await ctx.fs.call("record-660", { toneHz: 440, codec });
      expect((await ctx.fs.getVar(aLeg, "read_codec")).toUpperCase()).toBe(codec);
      await started(rig, ctx.fs, aLeg, 1, 15_000);
      const ev = ctx.fs.esl.custom("siprec::started", aLeg)[0]!;
      expect(ev.get("SIPREC-Streams")).toBe("separate");
      expect(ev.get("SIPREC-Fallback")).toBeUndefined();
      // Only the call's own two channels: the media-bug tap adds none.
      expect((await ctx.fs.channels()).map((c) => c.uuid).sort()).toEqual([phone, aLeg].sort());
      const bugs = await ctx.fs.esl.api(`uuid_buglist ${aLeg}`);
      expect(bugs).toContain("session_record");
      await Bun.sleep(2500);
      const { one: a, two: b } = await hangUpAndProfiles(rig, ctx.fs, phone);
      expect([a.tone, b.tone]).toEqual([440, 660]);
      expect(Math.min(a.purity, b.purity)).toBeGreaterThan(0.95);
      expect(Math.min(a.voicedMs, b.voicedMs)).toBeGreaterThan(2200);
      // The pipe is gone with the recording.
      await rig.until(() => readdirSync(join(rig.dir, "tap")).length === 0, 5000, "the pipe to be removed");
    }, 40_000);
  }

  test("[recording] ptime = 40: the SRS gets 40 ms packets (two of FreeSWITCH's 20 ms writes each) with each party's tone", async () => {
    const rig = await ctx.rig({ tapMethod: "media-bug", recording: ["ptime = 40"] });
    const { phone, aLeg } = await ctx.fs.call("record-660", { toneHz: 440 });
    await started(rig, ctx.fs, aLeg, 1, 15_000);
    await Bun.sleep(2500);
    const { one: a, two: b } = await hangUpAndProfiles(rig, ctx.fs, phone);
    expect([a.tone, b.tone]).toEqual([440, 660]);
    expect(Math.min(a.voicedMs, b.voicedMs)).toBeGreaterThan(2200);
    const report = await nthReport(rig, 1);
    for (const s of report.streams) {
      expect(s.codec).toBe("PCMU");
      // 40 ms of PCMU is 320 bytes: every packet carries two of FreeSWITCH's 20 ms frames.
      expect(s.packets).toBeGreaterThan(50);
      expect(s.payloadBytes / s.packets).toBe(320);
    }
  }, 40_000);

  test("mixed stream on request: one label with both tones", async () => {
    const rig = await ctx.rig({ tapMethod: "media-bug" });
    const { phone, aLeg } = await ctx.fs.call("record-mixed-660", { toneHz: 440 });
    await started(rig, ctx.fs, aLeg);
    expect(ctx.fs.esl.custom("siprec::started", aLeg)[0]?.get("SIPREC-Streams")).toBe("mixed");
    await Bun.sleep(2000);
    await ctx.fs.esl.api(`uuid_kill ${phone}`);
    const report = await nthReport(rig, 1);
    expect(report.streams.map((s) => s.label)).toEqual(["1"]);
    const [at440, at660] = toneShares(rig.wav(report, "1"), [440, 660]);
    expect(Math.min(at440!, at660!)).toBeGreaterThan(0.3);
  }, 40_000);

  test("a customer's own uuid_record before and after ours: all three hear both parties", async () => {
    const rig = await ctx.rig({ tapMethod: "media-bug" });
    const { phone, aLeg } = await ctx.fs.call("tone-660", { toneHz: 440 });
    const before = join(rig.dir, "customer-before.wav");
    const after = join(rig.dir, "customer-after.wav");
    expect(await ctx.fs.esl.api(`uuid_record ${aLeg} start ${before}`)).toStartWith("+OK");
    await Bun.sleep(300);
    expect((await rig.control("POST", "/recordings", { uuid: aLeg, srs: "default" })).status).toBeLessThan(300);
    await started(rig, ctx.fs, aLeg);
    await Bun.sleep(300);
    expect(await ctx.fs.esl.api(`uuid_record ${aLeg} start ${after}`)).toStartWith("+OK");
    await Bun.sleep(2500);
    await ctx.fs.esl.api(`uuid_kill ${phone}`);
    const report = await nthReport(rig, 1);
    expect([toneProfile(rig.wav(report, "1")).tone, toneProfile(rig.wav(report, "2")).tone]).toEqual([440, 660]);
    await rig.until(() => existsSync(before) && existsSync(after), 5000, "the customer's recordings");
    for (const f of [before, after]) {
      const [at440, at660] = toneShares(f, [440, 660]);
      expect(Math.min(at440!, at660!)).toBeGreaterThan(0.2);
    }
  }, 40_000);

  test("pause (PCI) and hold: silence where paused, the inactive re-INVITE, audio again after", async () => {
    const rig = await ctx.rig({ tapMethod: "media-bug" });
    const { phone, aLeg } = await ctx.fs.call("record-660", { toneHz: 440 });
    await started(rig, ctx.fs, aLeg);
    await Bun.sleep(1000);
    await siprecEvent(ctx.fs, "pause", aLeg);
    await Bun.sleep(1500);
    await siprecEvent(ctx.fs, "resume", aLeg);
    await Bun.sleep(1000);
    await ctx.fs.esl.api(`uuid_hold ${aLeg}`);
    await Bun.sleep(1000);
    await ctx.fs.esl.api(`uuid_hold off ${aLeg}`);
    await Bun.sleep(1000);
    await ctx.fs.esl.api(`uuid_kill ${phone}`);
    const report = await nthReport(rig, 1);
    expect(report.pauses.length).toBeGreaterThanOrEqual(2);
    for (const s of report.streams) expect(s.whilePaused).toBe(0);
    const a = toneProfile(rig.wav(report, "1"));
    expect(a.tone).toBe(440);
    // About 5.5 s of call, of which 1.5 s paused and 1 s held.
    expect(a.voicedMs).toBeGreaterThan(2200);
    expect(a.voicedMs).toBeLessThan(4200);
  }, 40_000);

  test('pause_mode = "detach": our uuid_record leaves the call while paused (no media bug of ours) and a new one records after resume', async () => {
    const rig = await ctx.rig({ tapMethod: "media-bug", recording: ['pause_mode = "detach"'] });
    const { phone, aLeg } = await ctx.fs.call("record-660", { toneHz: 440 });
    await started(rig, ctx.fs, aLeg);
    await Bun.sleep(1000);
    await siprecEvent(ctx.fs, "pause", aLeg);
    await rig.until(() => ctx.fs.esl.custom("siprec::paused", aLeg).length === 1, 5000, "siprec::paused");
    await Bun.sleep(300);
    expect(await ctx.fs.esl.api(`uuid_buglist ${aLeg}`)).not.toContain("session_record");
    await Bun.sleep(1000);
    await siprecEvent(ctx.fs, "resume", aLeg);
    await Bun.sleep(1500);
    expect(await ctx.fs.esl.api(`uuid_buglist ${aLeg}`)).toContain("session_record");
    await ctx.fs.esl.api(`uuid_kill ${phone}`);
    const report = await nthReport(rig, 1);
    for (const s of report.streams) expect(s.whilePaused).toBe(0);
    const a = toneProfile(rig.wav(report, "1"));
    expect(a.tone).toBe(440);
    expect(voicedBetween(a, a.ms - 1400, a.ms - 200)).toBeGreaterThan(900);
    await rig.until(() => readdirSync(join(rig.dir, "tap")).length === 0, 5000, "no pipe left");
  }, 40_000);
});
