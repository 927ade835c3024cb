/**
 * Transfers on a real FreeSWITCH call being recorded on its A-leg: the
 * A-leg is transferred (uuid_transfer) to a new bridge, so the old callee
 * leaves and a new one joins. The SRS gets partial metadata updates naming
 * who left and who joined; label 2 carries the new callee's voice after.
 */
import { expect, test } from "bun:test";
import { nthReport, realFreeswitchSuite, siprecEvent, started } from "../support/freeswitch/suite.ts";
import { toneProfile, voicedBetween } from "../support/freeswitch/wav-check.ts";

realFreeswitchSuite("transfers", (ctx) => {
  test("uuid_transfer of the recorded A-leg to a new bridge: a partial update (old callee disassociated, new one associated), label 2 carries the new callee", async () => {
    const rig = await ctx.rig();
    const { phone, aLeg } = await ctx.fs.call("bridge-660", { toneHz: 440 });
    let b = "";
    for (let i = 0; i < 50 && !/^[0-9a-f-]{36}$/.test(b); i++, await Bun.sleep(100)) b = await ctx.fs.getVar(aLeg, "bridge_uuid");
    await siprecEvent(ctx.fs, "start", aLeg);
    await started(rig, ctx.fs, aLeg);
    await Bun.sleep(1500);
    expect(await ctx.fs.esl.api(`uuid_transfer ${aLeg} bridge-880 XML default`)).toStartWith("+OK");
    let b2 = "";
    for (let i = 0; i < 50 && (!/^[0-9a-f-]{36}$/.test(b2) || b2 === b); i++, await Bun.sleep(100)) b2 = await ctx.fs.getVar(aLeg, "bridge_uuid");
    expect(b2).not.toBe(b);
    await Bun.sleep(2000);
    await ctx.fs.esl.api(`uuid_kill ${phone}`);
    const report = await nthReport(rig, 1);
    const md = rig.metadata(report);
    expect(md.length).toBeGreaterThanOrEqual(2);
    const update = md.slice(1).join("\n");
    expect(update).toContain("<datamode>partial</datamode>");
    expect(update).toContain("disassociate-time");
    expect(update).toContain("tone-880");
    const callee = toneProfile(rig.wav(report, "2"), [440, 660, 880]);
    const caller = toneProfile(rig.wav(report, "1"), [440, 660, 880]);
    expect(caller.tone).toBe(440);
    // 660 Hz before the transfer, 880 Hz after it.
    expect(callee.windows.filter((w) => w.atMs < 1200 && w.hz !== 0).every((w) => w.hz === 660)).toBe(true);
    const after = callee.windows.filter((w) => w.atMs > callee.ms - 1500 && w.atMs < callee.ms - 300 && w.hz !== 0);
    expect(after.length).toBeGreaterThan(5);
    expect(after.every((w) => w.hz === 880)).toBe(true);
    expect(voicedBetween(caller, 0, caller.ms)).toBeGreaterThan(caller.ms - 800);
  }, 40_000);
});
