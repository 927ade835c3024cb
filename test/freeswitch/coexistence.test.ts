/**
 * The recorder never harms a recording FreeSWITCH makes itself: FreeSWITCH
 * 1.10.12 computes its "only native taps" flag from the media bugs present
 * before a new one (switch_core_media_bug_add), so a customer's own
 * `uuid_record` / `record_session` started after our native taps would get
 * no read side: the caller recorded as silence. The daemon sees the
 * customer's MEDIA_BUG_START and makes FreeSWITCH recompute the flag.
 * Also: tap legs stay out of CDRs (process_cdr=false).
 */
import { expect, test } from "bun:test";
import { readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dominantFrequency } from "../../src/media/tone.ts";
import { nthReport, realFreeswitchSuite, started } from "../support/freeswitch/suite.ts";
import { toneProfile } from "../support/freeswitch/wav-check.ts";

/** Left/right of a headerless 16-bit stereo .r8 file: voiced share and dominant tone of each. */
function stereoChannels(path: string): { left: { hz: number; rms: number }; right: { hz: number; rms: number } } {
  const b = readFileSync(path);
  const n = Math.floor(b.length / 4);
  const l = new Int16Array(n);
  const r = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    l[i] = b.readInt16LE(i * 4);
    r[i] = b.readInt16LE(i * 4 + 2);
  }
  const rms = (x: Int16Array) => Math.sqrt(x.reduce((a, v) => a + v * v, 0) / Math.max(1, x.length));
  return { left: { hz: dominantFrequency(l, 8000, [440, 660]), rms: rms(l) }, right: { hz: dominantFrequency(r, 8000, [440, 660]), rms: rms(r) } };
}

realFreeswitchSuite("coexistence with FreeSWITCH's own recording", (ctx) => {
  for (const when of ["after", "before"] as const) {
    test(`a customer's stereo uuid_record started ${when} our native taps records both parties; our recording is whole too`, async () => {
      const rig = await ctx.rig();
      const { phone, aLeg } = await ctx.fs.call(when === "after" ? "record-660" : "tone-660", { toneHz: 440 });
      const file = join(rig.dir, "customer.r8");
      const customerRecord = async () => {
        await ctx.fs.esl.api(`uuid_setvar ${aLeg} RECORD_STEREO true`);
        expect(await ctx.fs.esl.api(`uuid_record ${aLeg} start ${file}`)).toStartWith("+OK");
      };
      if (when === "after") {
        await started(rig, ctx.fs, aLeg);
        await Bun.sleep(300);
        await customerRecord();
      } else {
        await customerRecord();
        await Bun.sleep(300);
        expect((await rig.control("POST", "/recordings", { uuid: aLeg, srs: "default" })).status).toBeLessThan(300);
        await started(rig, ctx.fs, aLeg);
      }
      await Bun.sleep(2500);
      await ctx.fs.esl.api(`uuid_record ${aLeg} stop ${file}`);
      // The tap legs are FreeSWITCH channels that must not look like calls in CDRs.
      const taps = (await ctx.fs.channels()).filter((c) => c.name.includes("/tap@"));
      expect(taps.length).toBe(2);
      for (const t of taps) expect(await ctx.fs.getVar(t.uuid, "process_cdr")).toBe("false");
      await ctx.fs.esl.api(`uuid_kill ${phone}`);
      await Bun.sleep(300);
      const c = stereoChannels(file);
      expect(c.left.rms).toBeGreaterThan(1000);
      expect(c.right.rms).toBeGreaterThan(1000);
      expect([c.left.hz, c.right.hz]).toEqual([440, 660]);
      // The repair ran for the customer's bug only (not for our own taps), and left no probe file.
      const repairs = rig.logLines("another media bug on a natively tapped channel: FreeSWITCH's tap-only flag recomputed");
      expect(repairs.map((l) => [l["function"], l["ok"]])).toEqual(when === "after" ? [["session_record", true]] : []);
      const metrics = await (await fetch(`http://127.0.0.1:${rig.controlPort}/metrics`)).text();
      expect(metrics).toContain(`siprec_tap_only_repairs_total ${when === "after" ? 1 : 0}`);
      expect(readdirSync(tmpdir()).filter((f) => f.startsWith(`siprec-tap-repair-${aLeg}`))).toEqual([]);
      const report = await nthReport(rig, 1);
      expect([toneProfile(rig.wav(report, "1")).tone, toneProfile(rig.wav(report, "2")).tone]).toEqual([440, 660]);
    }, 40_000);
  }
});
