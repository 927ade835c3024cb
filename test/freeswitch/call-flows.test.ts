/**
 * What happens during a real FreeSWITCH call that is being recorded:
 * pause/resume in every pause mode (no audio of the paused span reaches
 * the SRS, the timeline stays true), hold and unhold from either party,
 * DTMF from either party as RFC 4733 on that party's stream (or dropped).
 * The phone plays 440 Hz, FreeSWITCH's side (or the bridged callee) 660 Hz.
 */
import { expect, test } from "bun:test";
import { nthReport, realFreeswitchSuite, siprecEvent, started } from "../support/freeswitch/suite.ts";
import { toneProfile, voicedBetween } from "../support/freeswitch/wav-check.ts";

realFreeswitchSuite("pause, hold and DTMF", (ctx) => {
  for (const mode of ["inactive", "drop", "silence", "detach"] as const) {
    test(`pause_mode = "${mode}": nothing of the paused span reaches the SRS, audio before and after, the timeline keeps the pause's length`, async () => {
      const rig = await ctx.rig({ recording: [`pause_mode = "${mode}"`] });
      const { phone, aLeg } = await ctx.fs.call("record-660", { toneHz: 440 });
      await started(rig, ctx.fs, aLeg);
      await Bun.sleep(1500);
      await siprecEvent(ctx.fs, "pause", aLeg);
      await rig.until(() => ctx.fs.esl.custom("siprec::paused", aLeg).length === 1, 5000, "siprec::paused");
      expect(await ctx.fs.getVar(aLeg, "siprec_status")).toBe("paused");
      await Bun.sleep(2000);
      await siprecEvent(ctx.fs, "resume", aLeg);
      await rig.until(() => ctx.fs.esl.custom("siprec::resumed", aLeg).length === 1, 8000, "siprec::resumed");
      await Bun.sleep(1500);
      await ctx.fs.esl.api(`uuid_kill ${phone}`);
      const report = await nthReport(rig, 1);
      for (const label of ["1", "2"]) {
        const p = toneProfile(rig.wav(report, label));
        expect(p.tone).toBe(label === "1" ? 440 : 660);
        // ~1.5 s voiced, ~2 s paused, ~1.5 s voiced: the WAV keeps the pause's length.
        expect(p.ms).toBeGreaterThan(4300);
        expect(voicedBetween(p, 300, 1200)).toBeGreaterThanOrEqual(800);
        expect(voicedBetween(p, 1900, 3200)).toBe(0);
        expect(voicedBetween(p, p.ms - 1000, p.ms - 200)).toBeGreaterThanOrEqual(600);
        // The SRS counts packets between reading the pause re-INVITE (TCP) and the resume: one datagram sent
        // just before the gate closed can be read after it. The paused span itself is silent (above).
        expect(report.streams.find((s) => s.label === label)?.whilePaused).toBeLessThanOrEqual(1);
      }
      if (mode === "inactive" || mode === "detach") expect(report.pauses.length).toBeGreaterThanOrEqual(1);
      else expect(report.pauses).toEqual([]);
    }, 40_000);
  }

  for (const holder of ["phone", "aLeg"] as const) {
    test(`hold and unhold by ${holder === "phone" ? "the caller" : "FreeSWITCH's side"}: mirrored to the SRS, both parties recorded again after unhold`, async () => {
      const rig = await ctx.rig();
      const { phone, aLeg } = await ctx.fs.call("record-660", { toneHz: 440 });
      await started(rig, ctx.fs, aLeg);
      await Bun.sleep(1500);
      const who = holder === "phone" ? phone : aLeg;
      expect(await ctx.fs.esl.api(`uuid_hold ${who}`)).toStartWith("+OK");
      await rig.until(() => ctx.fs.esl.named("CHANNEL_HOLD", aLeg).length >= 1 || ctx.fs.esl.named("CHANNEL_HOLD", phone).length >= 1, 5000, "CHANNEL_HOLD");
      await Bun.sleep(1500);
      expect(await ctx.fs.esl.api(`uuid_hold off ${who}`)).toStartWith("+OK");
      await Bun.sleep(2000);
      await ctx.fs.esl.api(`uuid_kill ${phone}`);
      const report = await nthReport(rig, 1);
      expect(report.pauses.length).toBeGreaterThanOrEqual(1);
      for (const label of ["1", "2"]) {
        const p = toneProfile(rig.wav(report, label));
        expect(p.tone).toBe(label === "1" ? 440 : 660);
        expect(voicedBetween(p, 300, 1200)).toBeGreaterThanOrEqual(800);
        expect(voicedBetween(p, p.ms - 1200, p.ms - 200)).toBeGreaterThanOrEqual(700);
      }
    }, 40_000);
  }

  /** A bridged call and the callee's own leg (the inbound one on the external profile). */
  async function bridged(): Promise<{ phone: string; a: string; b: string; callee: string }> {
    const { phone, aLeg } = await ctx.fs.call("bridge-660", { toneHz: 440 });
    let b = "";
    for (let i = 0; i < 50 && !/^[0-9a-f-]{36}$/.test(b); i++, await Bun.sleep(100)) b = await ctx.fs.getVar(aLeg, "bridge_uuid");
    const callee = await ctx.fs.legWith(await ctx.fs.getVar(b, "sip_call_id"), b);
    return { phone, a: aLeg, b, callee };
  }

  for (const dtmf of ["forward", "drop"] as const) {
    test(`DTMF from either party of a bridged call (RFC 2833 into FreeSWITCH), dtmf = "${dtmf}": ${dtmf === "forward" ? "RFC 4733 on that party's stream" : "nothing reaches the SRS"}`, async () => {
      const rig = await ctx.rig({ recording: [`dtmf = "${dtmf}"`] });
      const { phone, a, callee } = await bridged();
      await siprecEvent(ctx.fs, "start", a);
      await started(rig, ctx.fs, a);
      await Bun.sleep(800);
      await ctx.fs.esl.api(`uuid_send_dtmf ${phone} 12@200`);
      await rig.until(() => ctx.fs.esl.named("DTMF", a).length >= 2, 5000, "the caller's digits at the A-leg");
      await Bun.sleep(500);
      await ctx.fs.esl.api(`uuid_send_dtmf ${callee} 3@200`);
      await rig.until(
        () => ctx.fs.esl.events.some((e) => e.get("Event-Name") === "DTMF" && e.get("Unique-ID") !== a && e.get("DTMF-Digit") === "3"),
        5000,
        "the callee's digit at the B-leg",
      );
      await Bun.sleep(800);
      await ctx.fs.esl.api(`uuid_kill ${phone}`);
      const report = await nthReport(rig, 1);
      const packets = (label: string) => report.streams.find((s) => s.label === label)?.dtmfPackets ?? -1;
      if (dtmf === "drop") expect([packets("1"), packets("2")]).toEqual([0, 0]);
      else {
        // Two digits from the caller on label 1, one from the callee on label 2 (each event: several packets, the end three times).
        expect(packets("1")).toBeGreaterThanOrEqual(2 * 4);
        expect(packets("2")).toBeGreaterThanOrEqual(4);
        expect(packets("2")).toBeLessThan(packets("1"));
      }
    }, 40_000);
  }
});
