/**
 * Calls in each codec FreeSWITCH negotiates here, recorded with tap legs
 * and the default offer (PCMU, PCMA): G.711 calls record separate streams;
 * so do G.722 calls (the forker decodes their native taps' G.722 and makes
 * G.711 of it); Opus calls, whose native taps carry a codec the forker
 * cannot decode, fall back to one mixed stream (FreeSWITCH's `eavesdrop`
 * transcodes) and say so in SIPREC-Fallback.
 */
import { expect, test } from "bun:test";
import { hangUpAndProfiles, nthReport, realFreeswitchSuite, started } from "../support/freeswitch/suite.ts";
import { toneProfile, toneShares } from "../support/freeswitch/wav-check.ts";

realFreeswitchSuite("codecs", (ctx) => {
  for (const codec of ["PCMU", "PCMA", "G722"] as const) {
    test(`${codec} call: separate streams, each party's tone on its label`, async () => {
      const rig = await ctx.rig();
      const { phone, aLeg } = await ctx.fs.call("record-660", { toneHz: 440, codec });
      expect(await ctx.fs.getVar(aLeg, "read_codec")).toBe(codec);
      await started(rig, ctx.fs, aLeg);
      expect(ctx.fs.esl.custom("siprec::started", aLeg)[0]?.get("SIPREC-Streams")).toBe("separate");
      expect(ctx.fs.esl.custom("siprec::started", aLeg)[0]?.get("SIPREC-Fallback")).toBeUndefined();
      await Bun.sleep(2500);
      const { one: a, two: b } = await hangUpAndProfiles(rig, ctx.fs, phone);
      expect([a.tone, b.tone]).toEqual([440, 660]);
      expect(Math.min(a.purity, b.purity)).toBeGreaterThan(0.95);
    }, 40_000);
  }

  for (const codec of ["OPUS"] as const) {
    test(`${codec} call: the native taps cannot be decoded by the forker, so one mixed stream (FreeSWITCH transcodes) with SIPREC-Fallback`, async () => {
      const rig = await ctx.rig();
      const { phone, aLeg } = await ctx.fs.call("record-660", { toneHz: 440, codec });
      expect((await ctx.fs.getVar(aLeg, "read_codec")).toUpperCase()).toBe(codec);
      await started(rig, ctx.fs, aLeg, 1, 15_000);
      const ev = ctx.fs.esl.custom("siprec::started", aLeg)[0]!;
      expect(ev.get("SIPREC-Streams")).toBe("mixed");
      expect(ev.get("SIPREC-Fallback") ?? "").not.toBe("");
      await Bun.sleep(2500);
      await ctx.fs.esl.api(`uuid_kill ${phone}`);
      const report = await nthReport(rig, 1);
      expect(report.streams.map((s) => s.label)).toEqual(["1"]);
      const p = toneProfile(rig.wav(report, "1"), [440, 660]);
      expect(p.voicedMs).toBeGreaterThan(1800);
      const [at440, at660] = toneShares(rig.wav(report, "1"), [440, 660]);
      expect(Math.min(at440!, at660!)).toBeGreaterThan(0.2);
    }, 40_000);
  }
});
