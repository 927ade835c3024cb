/**
 * The compiled daemon recording real FreeSWITCH calls into the compiled
 * `siprec srs`: how a recording starts (CUSTOM event, channel variable,
 * rule, control API), separate and mixed streams, how it stops (event,
 * hangup from either side), and a real bridged call recorded on its A-leg
 * and on its B-leg. The phone plays 440 Hz, FreeSWITCH's side 660 Hz, so
 * each WAV says whose voice it carries.
 */
import { expect, test } from "bun:test";
import type { DaemonRig, SrsReport } from "../support/freeswitch/daemon-rig.ts";
import { nthReport, realFreeswitchSuite, started } from "../support/freeswitch/suite.ts";
import { toneProfile, toneShares } from "../support/freeswitch/wav-check.ts";

realFreeswitchSuite("starting and stopping recordings", (ctx) => {
  /** Records for `ms`, then the given party hangs up; returns the one report. */
  async function recordCall(
    r: DaemonRig,
    dest: string,
    o: { ms?: number; hangup?: "phone" | "aLeg"; start?: (aLeg: string) => Promise<void> } = {},
  ): Promise<{ report: SrsReport; aLeg: string; phone: string }> {
    const before = r.reports().length;
    const { phone, aLeg } = await ctx.fs.call(dest, { toneHz: 440 });
    await o.start?.(aLeg);
    await r.until(() => ctx.fs.esl.custom("siprec::started", aLeg).length === 1, 10_000, "siprec::started");
    expect(await ctx.fs.getVar(aLeg, "siprec_status")).toBe("recording");
    expect(await ctx.fs.getVar(aLeg, "siprec_recording_id")).toBe(ctx.fs.esl.custom("siprec::started", aLeg)[0]?.get("SIPREC-Recording-ID") ?? "?");
    await Bun.sleep(o.ms ?? 3000);
    await ctx.fs.esl.api(`uuid_kill ${o.hangup === "aLeg" ? aLeg : phone}`);
    await r.until(() => r.reports().length === before + 1, 10_000, "the SRS report");
    await r.until(() => ctx.fs.esl.custom("siprec::stopped", aLeg).length === 1, 5000, "siprec::stopped");
    return { report: r.reports()[before]!, aLeg, phone };
  }

  function expectSeparate(r: DaemonRig, report: SrsReport, ms: number): void {
    expect(report.streams.map((s) => s.label).sort()).toEqual(["1", "2"]);
    const caller = toneProfile(r.wav(report, "1"));
    const callee = toneProfile(r.wav(report, "2"));
    expect([caller.tone, callee.tone]).toEqual([440, 660]);
    expect(caller.purity).toBeGreaterThan(0.95);
    expect(callee.purity).toBeGreaterThan(0.95);
    for (const p of [caller, callee]) {
      expect(p.ms).toBeGreaterThan(ms - 600);
      expect(p.ms).toBeLessThan(ms + 1500);
      expect(p.voicedMs).toBeGreaterThan(ms - 800);
    }
  }

  test("CUSTOM siprec::start from the dialplan, separate streams, the phone hangs up: label 1 the caller, label 2 FreeSWITCH's side, no channel left", async () => {
    const rig = await ctx.rig();
    const { report, aLeg } = await recordCall(rig, "record-660");
    expectSeparate(rig, report, 3000);
    expect(report.endedBy).toBe("client");
    const md = rig.metadata(report);
    expect(md.length).toBeGreaterThanOrEqual(1);
    expect(md[0]).toContain("<recording xmlns=");
    expect(ctx.fs.esl.custom("siprec::stopped", aLeg)[0]?.get("SIPREC-Reason") ?? "").not.toBe("");
  }, 40_000);

  test("mixed stream on request (SIPREC-Streams: mixed), FreeSWITCH's side hangs up: one label with both tones", async () => {
    const rig = await ctx.rig();
    const { report } = await recordCall(rig, "record-mixed-660", { hangup: "aLeg" });
    expect(report.streams.map((s) => s.label)).toEqual(["1"]);
    const p = toneProfile(rig.wav(report, "1"), [440, 660]);
    expect(p.voicedMs).toBeGreaterThan(2200);
    // Both parties are in the one stream: each tone holds a good part of the energy, neither all of it.
    const [at440, at660] = toneShares(rig.wav(report, "1"), [440, 660]);
    expect(at440).toBeGreaterThan(0.2);
    expect(at660).toBeGreaterThan(0.2);
    expect(at440! + at660!).toBeGreaterThan(0.8);
  }, 40_000);

  test("a channel variable at answer (kind = variable) starts it", async () => {
    const rig = await ctx.rig({ triggers: ["[[trigger]]", 'kind = "variable"', 'variable = "siprec_srs"', 'on = "answer"', 'srs_groups = ["default"]'] });
    const { report } = await recordCall(rig, "variable-660");
    expectSeparate(rig, report, 3000);
  }, 40_000);

  test("a channel variable at bridge (kind = variable, on = bridge) starts it when the call is bridged", async () => {
    const rig = await ctx.rig({ triggers: ["[[trigger]]", 'kind = "variable"', 'variable = "siprec_srs"', 'on = "bridge"', 'srs_groups = ["default"]'] });
    const { report } = await recordCall(rig, "variable-bridge-660");
    expectSeparate(rig, report, 3000);
  }, 40_000);

  test("a rule over call fields (kind = rule) starts it", async () => {
    const rig = await ctx.rig({
      triggers: [
        "[[trigger]]",
        'kind = "rule"',
        'srs_groups = ["default"]',
        'match = { destination = "^tone-660$", direction = "inbound", profile = "^external$" }',
      ],
    });
    const { report } = await recordCall(rig, "tone-660");
    expectSeparate(rig, report, 3000);
  }, 40_000);

  test("the control API starts and stops it; a siprec::stop event stops another", async () => {
    const rig = await ctx.rig();
    const r = rig;
    const { phone, aLeg } = await ctx.fs.call("tone-660", { toneHz: 440 });
    const started = await r.control("POST", "/recordings", { uuid: aLeg, srs: "default" });
    expect(started.status).toBeLessThan(300);
    await r.until(() => ctx.fs.esl.custom("siprec::started", aLeg).length === 1, 10_000, "siprec::started");
    await Bun.sleep(2000);
    await ctx.fs.esl.api(`uuid_broadcast ${aLeg} event::Event-Name=CUSTOM,Event-Subclass=siprec::stop,SIPREC-Target-UUID=${aLeg} aleg`);
    await r.until(() => r.reports().length === 1, 10_000, "the SRS report after siprec::stop");
    expect(await ctx.fs.getVar(aLeg, "siprec_status")).toBe("stopped");
    expectSeparate(r, r.reports()[0]!, 2000);
    // The call goes on untouched after the recording stopped; the tap legs are gone.
    let left: string[] = [];
    for (let i = 0; i < 50 && (left.length !== 2 || i === 0); i++, await Bun.sleep(100)) left = (await ctx.fs.channels()).map((c) => c.uuid);
    expect(left.sort()).toEqual([aLeg, phone].sort());
    await ctx.fs.esl.api(`uuid_kill ${phone}`);
  }, 40_000);

  /** phone (440 Hz) → A-leg → bridge → B-leg → callee (660 Hz): returns the four uuids once the bridge is up. */
  async function bridgedCall(): Promise<{ phone: string; a: string; b: string }> {
    const { phone, aLeg } = await ctx.fs.call("bridge-660", { toneHz: 440 });
    let b = "";
    for (let i = 0; i < 50 && !/^[0-9a-f-]{36}$/.test(b); i++, await Bun.sleep(100)) b = await ctx.fs.getVar(aLeg, "bridge_uuid");
    expect(b).toMatch(/^[0-9a-f-]{36}$/);
    return { phone, a: aLeg, b };
  }

  test("a real bridged call recorded on its A-leg (CUSTOM event by ESL): label 1 the caller, label 2 the bridged callee", async () => {
    const rig = await ctx.rig();
    const { phone, a } = await bridgedCall();
    await ctx.fs.esl.api(`uuid_broadcast ${a} event::Event-Name=CUSTOM,Event-Subclass=siprec::start,SIPREC-Target-UUID=${a} aleg`);
    await started(rig, ctx.fs, a);
    await Bun.sleep(3000);
    await ctx.fs.esl.api(`uuid_kill ${phone}`);
    const report = await nthReport(rig, 1);
    expectSeparate(rig, report, 3000);
    // The metadata names both parties: the phone's From and the bridged callee.
    const md = rig.metadata(report).join("\n");
    expect(md).toContain("tone-660");
  }, 40_000);

  test("the same call recorded on its B-leg (an outbound channel): label 1 is still the caller, label 2 the callee", async () => {
    const rig = await ctx.rig();
    const { phone, b } = await bridgedCall();
    expect((await rig.control("POST", "/recordings", { uuid: b, srs: "default" })).status).toBeLessThan(300);
    await started(rig, ctx.fs, b);
    await Bun.sleep(3000);
    await ctx.fs.esl.api(`uuid_kill ${phone}`);
    expectSeparate(rig, await nthReport(rig, 1), 3000);
  }, 40_000);
});
