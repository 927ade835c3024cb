/**
 * #15 item 2 against a real FreeSWITCH: the SRS dies mid-call (SIGKILL) and
 * the group has a backup. FreeSWITCH is told (siprec::failed with
 * SIPREC-Interrupted, siprec_interrupted, then siprec::started and, at the
 * end, siprec_gap_ms), and the backup holds the rest of the call with both
 * parties' tones.
 */
import { expect, test } from "bun:test";
import { BIN } from "../support/siprec-bin.ts";
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { realFreeswitchSuite, started } from "../support/freeswitch/suite.ts";
import { toneProfile, voicedBetween } from "../support/freeswitch/wav-check.ts";

realFreeswitchSuite("srs loss", (ctx) => {
  test("the SRS SIGKILLed mid-call: siprec::failed (transport-lost) and siprec_interrupted at once, the group's backup records the rest with both tones, siprec_gap_ms at the end", async () => {
    const dir = mkdtempSync(join(tmpdir(), "siprec-fs-backup-"));
    const backup = Bun.spawn([BIN, "srs", "--listen", "127.0.0.1:0", "--transport", "tcp", "--dir", dir], { stdout: "pipe", stderr: "pipe" });
    try {
      const reader = backup.stdout.getReader();
      let out = "";
      while (!/listening on tcp 127\.0\.0\.1:(\d+)/.test(out)) out += new TextDecoder().decode((await reader.read()).value ?? new Uint8Array());
      const port = Number(/listening on tcp 127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
      const rig = await ctx.rig({
        extra: [
          "[[srs]]",
          'name = "backup"',
          `uri = "sip:srs@127.0.0.1:${port}"`,
          'transport = "tcp"',
          'group = "default"',
          "priority = 200",
          "options_interval = 0",
        ],
      });
      const { phone, aLeg } = await ctx.fs.call("record-660", { toneHz: 440 });
      await started(rig, ctx.fs, aLeg);
      await Bun.sleep(1500);
      const killedAt = Date.now();
      await rig.stopSrs("SIGKILL");
      await rig.until(() => ctx.fs.esl.custom("siprec::failed", aLeg).length === 1, 5000, "siprec::failed for the lost SRS");
      expect(Date.now() - killedAt).toBeLessThan(2000);
      expect(ctx.fs.esl.custom("siprec::failed", aLeg)[0]!.get("SIPREC-Interrupted")).toBe("transport-lost");
      await rig.until(() => ctx.fs.esl.custom("siprec::started", aLeg).length === 2, 5000, "siprec::started on the backup");
      expect(await ctx.fs.getVar(aLeg, "siprec_interrupted")).toBe("transport-lost");
      await Bun.sleep(2500);
      await ctx.fs.esl.api(`uuid_kill ${phone}`);
      await rig.until(() => ctx.fs.esl.custom("siprec::stopped", aLeg).length === 1, 5000, "siprec::stopped");
      const gap = Number(ctx.fs.esl.custom("siprec::stopped", aLeg)[0]!.get("SIPREC-Gap-Ms"));
      expect(gap).toBeGreaterThanOrEqual(0);
      expect(gap).toBeLessThan(6000);
      const folderOf = () =>
        readdirSync(dir)
          .map((f) => join(dir, f))
          .find((f) => JSON.parse(readFileSync(join(f, "report.json"), "utf8")).complete === true);
      await rig.until(() => folderOf() !== undefined, 5000, "the backup's recording");
      const folder = folderOf() as string;
      for (const [label, hz] of [
        ["1", 440],
        ["2", 660],
      ] as const) {
        const p = toneProfile(join(folder, `label-${label}.wav`));
        expect(p.tone).toBe(hz);
        expect(voicedBetween(p, 0, p.ms)).toBeGreaterThan(1500);
      }
    } finally {
      backup.kill("SIGTERM");
      await backup.exited;
    }
  }, 40_000);
});
