/**
 * The compiled daemon recording real FreeSWITCH calls into the compiled
 * `siprec srs`: how a recording starts (CUSTOM event, channel variable,
 * rule, control API), separate and mixed streams, how it stops (event,
 * hangup from either side), and a real bridged call recorded on its A-leg
 * and on its B-leg. The phone plays 440 Hz, FreeSWITCH's side 660 Hz, so
 * each WAV says whose voice it carries.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { RealFreeswitch, freeswitchOrSkip } from "../support/freeswitch/instance.ts";
import { DaemonRig, type SrsReport } from "../support/freeswitch/daemon-rig.ts";
import { toneProfile } from "../support/freeswitch/wav-check.ts";

const install = freeswitchOrSkip();

describe.skipIf(install === undefined)("real FreeSWITCH: starting and stopping recordings", () => {
  let fs: RealFreeswitch;
  let rig: DaemonRig | undefined;
  beforeAll(async () => {
    fs = await RealFreeswitch.start(install!);
  }, 60_000);
  afterAll(async () => {
    await fs?.stop();
  }, 30_000);
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
    await fs.esl.api("hupall NORMAL_CLEARING");
    await waitNoChannels(fs);
  }, 30_000);

  /** Records for `ms`, then the given party hangs up; returns the one report. */
  async function recordCall(r: DaemonRig, dest: string, o: { ms?: number; hangup?: "phone" | "aLeg"; start?: (aLeg: string) => Promise<void> } = {}): Promise<{ report: SrsReport; aLeg: string; phone: string }> {
    const before = r.reports().length;
    const { phone, aLeg } = await fs.call(dest, { toneHz: 440 });
    await o.start?.(aLeg);
    await r.until(() => fs.esl.custom("siprec::started", aLeg).length === 1, 10_000, "siprec::started");
    expect(await fs.getVar(aLeg, "siprec_status")).toBe("recording");
    expect(await fs.getVar(aLeg, "siprec_recording_id")).toBe(fs.esl.custom("siprec::started", aLeg)[0]?.get("SIPREC-Recording-ID") ?? "?");
    await Bun.sleep(o.ms ?? 3000);
    await fs.esl.api(`uuid_kill ${o.hangup === "aLeg" ? aLeg : phone}`);
    await r.until(() => r.reports().length === before + 1, 10_000, "the SRS report");
    await r.until(() => fs.esl.custom("siprec::stopped", aLeg).length === 1, 5000, "siprec::stopped");
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
    rig = await DaemonRig.start(fs);
    const { report, aLeg } = await recordCall(rig, "record-660");
    expectSeparate(rig, report, 3000);
    expect(report.endedBy).toBe("client");
    const md = rig.metadata(report);
    expect(md.length).toBeGreaterThanOrEqual(1);
    expect(md[0]).toContain("<recording xmlns=");
    expect(fs.esl.custom("siprec::stopped", aLeg)[0]?.get("SIPREC-Reason") ?? "").not.toBe("");
    expect(await waitNoChannels(fs)).toEqual([]);
  }, 40_000);

  test("mixed stream on request (SIPREC-Streams: mixed), FreeSWITCH's side hangs up: one label with both tones", async () => {
    rig = await DaemonRig.start(fs);
    const { report } = await recordCall(rig, "record-mixed-660", { hangup: "aLeg" });
    expect(report.streams.map((s) => s.label)).toEqual(["1"]);
    const p = toneProfile(rig.wav(report, "1"), [440, 660]);
    expect(p.voicedMs).toBeGreaterThan(2200);
    // Both parties are in the one stream: neither tone holds the whole energy.
    const hz = new Set(p.windows.filter((w) => w.hz !== 0).map((w) => w.hz));
    expect(p.purity).toBeLessThan(0.8);
    expect(hz.size).toBeGreaterThanOrEqual(1);
  }, 40_000);

  test("a channel variable at answer (kind = variable) starts it", async () => {
    rig = await DaemonRig.start(fs, { triggers: ["[[trigger]]", 'kind = "variable"', 'variable = "siprec_srs"', 'on = "answer"', 'srs_groups = ["default"]'] });
    const { report } = await recordCall(rig, "variable-660");
    expectSeparate(rig, report, 3000);
  }, 40_000);

  test("a rule over call fields (kind = rule) starts it", async () => {
    rig = await DaemonRig.start(fs, { triggers: ["[[trigger]]", 'kind = "rule"', 'srs_groups = ["default"]', 'match = { destination = "^tone-660$", direction = "inbound", profile = "^external$" }'] });
    const { report } = await recordCall(rig, "tone-660");
    expectSeparate(rig, report, 3000);
  }, 40_000);

  test("the control API starts and stops it; a siprec::stop event stops another", async () => {
    rig = await DaemonRig.start(fs);
    const r = rig;
    const { phone, aLeg } = await fs.call("tone-660", { toneHz: 440 });
    const started = await r.control("POST", "/recordings", { uuid: aLeg, srs: "default" });
    expect(started.status).toBeLessThan(300);
    await r.until(() => fs.esl.custom("siprec::started", aLeg).length === 1, 10_000, "siprec::started");
    await Bun.sleep(2000);
    await fs.esl.api(`uuid_broadcast ${aLeg} event::Event-Name=CUSTOM,Event-Subclass=siprec::stop,SIPREC-Target-UUID=${aLeg} aleg`);
    await r.until(() => r.reports().length === 1, 10_000, "the SRS report after siprec::stop");
    expect(await fs.getVar(aLeg, "siprec_status")).toBe("stopped");
    expectSeparate(r, r.reports()[0]!, 2000);
    // The call goes on untouched after the recording stopped; the tap legs are gone.
    let left: string[] = [];
    for (let i = 0; i < 50 && (left.length !== 2 || i === 0); i++, await Bun.sleep(100)) left = (await fs.channels()).map((c) => c.uuid);
    expect(left.sort()).toEqual([aLeg, phone].sort());
    await fs.esl.api(`uuid_kill ${phone}`);
  }, 40_000);
});

/** Channels FreeSWITCH still has after a short wait (tap legs included); [] when clean. */
export async function waitNoChannels(fs: RealFreeswitch, ms = 5000): Promise<string[]> {
  const end = Date.now() + ms;
  for (;;) {
    const left = await fs.channels();
    if (left.length === 0 || Date.now() > end) return left.map((c) => c.name);
    await Bun.sleep(100);
  }
}
