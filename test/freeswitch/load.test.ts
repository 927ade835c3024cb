/**
 * 50 concurrent real calls recorded at once (separate streams): 200
 * FreeSWITCH channels counting the tap legs. Every recording reaches the
 * SRS, every WAV carries the right party on the right label.
 */
import { expect, test } from "bun:test";
import { realFreeswitchSuite } from "../support/freeswitch/suite.ts";
import { toneProfile } from "../support/freeswitch/wav-check.ts";

const CALLS = 50;

realFreeswitchSuite("load", (ctx) => {
  test(`${CALLS} concurrent calls recorded: ${CALLS} reports, every WAV with its party's tone`, async () => {
    const rig = await ctx.rig();
    const calls: { phone: string; aLeg: string }[] = [];
    for (let i = 0; i < CALLS; i++) calls.push(await ctx.fs.call("record-660", { toneHz: 440 }));
    await rig.until(() => calls.every((c) => ctx.fs.esl.custom("siprec::started", c.aLeg).length === 1), 30_000, `${CALLS} siprec::started`);
    // `show channels` reads FreeSWITCH's channel database, which lags new channels under load: poll it.
    let taps = (await ctx.fs.channels()).filter((c) => c.name.includes("/tap@"));
    for (let i = 0; i < 50 && taps.length < 2 * CALLS; i++) {
      await Bun.sleep(100);
      taps = (await ctx.fs.channels()).filter((c) => c.name.includes("/tap@"));
    }
    expect(taps.length).toBe(2 * CALLS);
    await Bun.sleep(3000);
    for (const c of calls) await ctx.fs.esl.api(`uuid_kill ${c.phone}`);
    await rig.until(() => rig.reports().length === CALLS, 30_000, `${CALLS} SRS reports`);
    const bad: string[] = [];
    for (const r of rig.reports()) {
      const [a, b] = [toneProfile(rig.wav(r, "1")), toneProfile(rig.wav(r, "2"))];
      if (a.tone !== 440 || b.tone !== 660 || Math.min(a.purity, b.purity) < 0.9 || Math.min(a.voicedMs, b.voicedMs) < 2500)
        bad.push(`${r.callId}: ${a.tone}/${b.tone} purity ${a.purity.toFixed(2)}/${b.purity.toFixed(2)} voiced ${a.voicedMs}/${b.voicedMs}`);
    }
    expect(bad).toEqual([]);
    // FreeSWITCH is told of every end (siprec::stopped), once per call.
    await rig.until(() => calls.every((c) => ctx.fs.esl.custom("siprec::stopped", c.aLeg).length >= 1), 10_000, "every siprec::stopped");
    expect(calls.filter((c) => ctx.fs.esl.custom("siprec::stopped", c.aLeg).length !== 1)).toEqual([]);
  }, 120_000);
});
