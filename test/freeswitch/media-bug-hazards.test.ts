/**
 * The media-bug tap's hazards on a real FreeSWITCH (issue #16): FreeSWITCH
 * writes into a pipe the daemon reads, so a daemon that stops reading must
 * never harm a call. Each call's own audio is checked where the far party
 * hears it (a recording of the phone leg's read side): no gap, whatever the
 * daemon does.
 * - the daemon stalled (SIGSTOP) 1 s, 10 s and 60 s while 10 calls record:
 *   no gap in any call; every recording resumes, the audio the daemon
 *   could not read in time reported as a gap (siprec::gap, siprec_gap_ms);
 * - the daemon SIGKILLed: calls unaffected; the restarted daemon takes its
 *   dead predecessor's uuid_record off each call (no leaked media bug) and
 *   records again;
 * - a pipe nobody opened (or none at all): FreeSWITCH's uuid_record never
 *   blocks the ESL connection or the call.
 */
import { expect, test } from "bun:test";
import { constants, closeSync, existsSync, mkdtempSync, openSync, readSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DaemonRig } from "../support/freeswitch/daemon-rig.ts";
import type { RealFreeswitch } from "../support/freeswitch/instance.ts";
import { nthReport, realFreeswitchSuite, started } from "../support/freeswitch/suite.ts";
import { toneProfile, voicedBetween } from "../support/freeswitch/wav-check.ts";

interface Call {
  readonly phone: string;
  readonly aLeg: string;
  /** What the phone hears (the A-leg's 660 Hz): the call's audio as its far party gets it. */
  readonly heard: string;
}

/** A call recorded by the daemon, with the far party's hearing recorded by FreeSWITCH itself. */
async function recordedCall(fs: RealFreeswitch, rig: DaemonRig, i: number): Promise<Call> {
  const { phone, aLeg } = await fs.call("record-660", { toneHz: 440 });
  const heard = join(rig.dir, `heard-${i}.wav`);
  const r = await fs.esl.api(`uuid_record ${phone} start ${heard} 0 {RECORD_READ_ONLY=true,record_sample_rate=8000}`);
  if (!r.startsWith("+OK")) throw new Error(`uuid_record on the phone: ${r}`);
  return { phone, aLeg, heard };
}

/** The longest silence (ms) between the first and the last sound of a recording: 0 for a call whose audio never stopped. */
function longestGapMs(wav: string): number {
  const w = toneProfile(wav, [660]).windows;
  const first = w.findIndex((x) => x.hz !== 0);
  const last = w.findLastIndex((x) => x.hz !== 0);
  let run = 0;
  let worst = 0;
  for (let i = first; i <= last; i++) {
    run = w[i]!.hz === 0 ? run + 100 : 0;
    worst = Math.max(worst, run);
  }
  return worst;
}

async function hangUpAll(fs: RealFreeswitch, calls: readonly Call[]): Promise<void> {
  for (const c of calls) await fs.esl.api(`uuid_record ${c.phone} stop all`);
  for (const c of calls) await fs.esl.api(`uuid_kill ${c.phone}`);
}

const gapsOf = (fs: RealFreeswitch, uuid: string): number =>
  fs.esl.custom("siprec::gap", uuid).reduce((sum, e) => sum + Number(e.get("SIPREC-Gap-Ms") ?? "0"), 0);

realFreeswitchSuite("media-bug tap hazards", (ctx) => {
  for (const stallS of [1, 10, 60]) {
    test(`the daemon stalled (SIGSTOP) ${stallS} s with 10 calls recorded: no call hears a gap; every recording resumes with the unread audio reported as a gap`, async () => {
      const rig = await ctx.rig({ tapMethod: "media-bug" });
      const calls: Call[] = [];
      for (let i = 0; i < 10; i++) calls.push(await recordedCall(ctx.fs, rig, i));
      for (const c of calls) await started(rig, ctx.fs, c.aLeg, 1, 15_000);
      await Bun.sleep(1000);
      const pid = rig.daemonPid as number;
      process.kill(pid, "SIGSTOP");
      await Bun.sleep(stallS * 1000);
      process.kill(pid, "SIGCONT");
      await Bun.sleep(2500);
      await hangUpAll(ctx.fs, calls);
      for (const c of calls) {
        await rig.until(() => existsSync(c.heard), 5000, "the far party's recording");
        expect({ call: c.aLeg, gapMs: longestGapMs(c.heard) }).toEqual({ call: c.aLeg, gapMs: 0 });
        // The daemon says what it could not send: the stall less the newest 200 ms it kept.
        const gap = gapsOf(ctx.fs, c.aLeg);
        expect(gap).toBeGreaterThan(stallS * 1000 - 800);
        expect(gap).toBeLessThan(stallS * 1000 + 800);
        await rig.until(() => ctx.fs.esl.custom("siprec::stopped", c.aLeg).length > 0, 10_000, "siprec::stopped");
        expect(Number(ctx.fs.esl.custom("siprec::stopped", c.aLeg)[0]?.get("SIPREC-Gap-Ms"))).toBe(gap);
        expect(ctx.fs.esl.custom("siprec::failed", c.aLeg)).toEqual([]);
      }
      // Counted for monitoring too: the sum of what every recording reported.
      const metrics = await (await fetch(`http://127.0.0.1:${rig.controlPort}/metrics`)).text();
      const total = Number(/^siprec_tap_gap_ms_total (\d+)$/m.exec(metrics)?.[1]);
      expect(total).toBe(calls.reduce((sum, c) => sum + gapsOf(ctx.fs, c.aLeg), 0));
      await rig.until(() => rig.reports().length >= 10, 15_000, "10 SRS reports");
      for (const report of rig.reports()) {
        // Recording resumed: both parties in the last 2 s before the hangup.
        for (const label of ["1", "2"]) {
          const p = toneProfile(rig.wav(report, label));
          expect(voicedBetween(p, p.ms - 2300, p.ms - 300)).toBeGreaterThan(1500);
        }
      }
    }, 120_000);
  }

  test("the daemon SIGKILLed: calls unaffected; the restarted daemon takes the dead one's uuid_record off each call and records it again", async () => {
    const rig = await ctx.rig({ tapMethod: "media-bug" });
    const calls: Call[] = [];
    for (let i = 0; i < 3; i++) calls.push(await recordedCall(ctx.fs, rig, i));
    for (const c of calls) await started(rig, ctx.fs, c.aLeg);
    const oldBugs = await Promise.all(calls.map((c) => ctx.fs.esl.api(`uuid_buglist ${c.aLeg}`)));
    for (const b of oldBugs) expect(b).toContain("session_record");
    await Bun.sleep(500);
    await rig.stopDaemon("SIGKILL");
    await Bun.sleep(1500);
    rig.startDaemon();
    for (const c of calls) await started(rig, ctx.fs, c.aLeg, 2, 15_000);
    for (const [i, c] of calls.entries()) {
      const bugs = await ctx.fs.esl.api(`uuid_buglist ${c.aLeg}`);
      const paths = [...bugs.matchAll(/\/[^\s"<>]+\.r8/g)].map((m) => m[0]);
      const old = [...oldBugs[i]!.matchAll(/\/[^\s"<>]+\.r8/g)].map((m) => m[0]);
      // Exactly one recording of ours on the call: the new one.
      expect(new Set(paths).size).toBe(1);
      expect(old.some((p) => paths.includes(p))).toBe(false);
      expect(Number(ctx.fs.esl.custom("siprec::started", c.aLeg)[1]?.get("SIPREC-Gap-Ms") ?? "0")).toBeGreaterThan(1000);
    }
    await Bun.sleep(1500);
    await hangUpAll(ctx.fs, calls);
    for (const c of calls) {
      await rig.until(() => existsSync(c.heard), 5000, "the far party's recording");
      expect(longestGapMs(c.heard)).toBe(0);
    }
    // The dead daemon's dialogs ended (BYE from the new one) and the calls recorded again: two reports per call.
    await rig.until(() => rig.reports().length >= 6, 15_000, "6 SRS reports");
    const again = rig.reports().filter((r) => r.streams.every((s) => s.durationMs > 1000));
    expect(again.length).toBeGreaterThanOrEqual(3);
  }, 90_000);

  test("a pipe nobody opened: uuid_record waits in FreeSWITCH's background job, never in the ESL connection or the call; freeing the pipe ends it. No pipe at all: answered at once", async () => {
    const rig = await ctx.rig();
    const c = await recordedCall(ctx.fs, rig, 0);
    const dir = mkdtempSync(join(tmpdir(), "siprec-fifo-"));
    const fifo = join(dir, "nobody.r8");
    expect(Bun.spawnSync(["mkfifo", fifo]).exitCode).toBe(0);
    const job = ctx.fs.esl.bgapi(`uuid_record ${c.aLeg} start ${fifo} 0 {RECORD_STEREO=true}`);
    await Bun.sleep(500);
    // The ESL connection answers at once while FreeSWITCH's job waits for a reader.
    const t0 = performance.now();
    expect(await ctx.fs.esl.api("status")).toContain("UP");
    expect(performance.now() - t0).toBeLessThan(500);
    await Bun.sleep(1500);
    // A reader opening the pipe (what the daemon's release does with a pipe it did not make or no longer wants) frees the job.
    const fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    // Drained until the call is gone, as the daemon drains its own pipes until FreeSWITCH has let go.
    const chunk = Buffer.alloc(65536);
    const drain = setInterval(() => {
      try {
        while (readSync(fd, chunk) > 0);
      } catch {
        // EAGAIN: nothing more for now
      }
    }, 20);
    const body = await Promise.race([job, Bun.sleep(5000).then(() => "still waiting")]);
    expect(body).not.toBe("still waiting");
    await ctx.fs.esl.api(`uuid_record ${c.aLeg} stop all`);
    // No pipe at the path: FreeSWITCH answers at once (it writes an ordinary file there, making the folders):
    // the daemon only ever names a pipe it already holds open.
    const missing = join(dir, "no-such-dir", "x.r8");
    const t1 = performance.now();
    expect(await ctx.fs.esl.api(`uuid_record ${c.aLeg} start ${missing} 0 {RECORD_MIN_SEC=0}`)).toStartWith("+OK");
    expect(performance.now() - t1).toBeLessThan(500);
    await ctx.fs.esl.api(`uuid_record ${c.aLeg} stop ${missing}`);
    await hangUpAll(ctx.fs, [c]);
    await rig.until(() => existsSync(c.heard), 5000, "the far party's recording");
    expect(longestGapMs(c.heard)).toBe(0);
    await nthReport(rig, 1);
    // The reader stays until the call is gone: a recording thread of FreeSWITCH's that (re)opens the pipe
    // with no reader blocks in open(), and FreeSWITCH then cannot tear the channel down (seen twice).
    for (let i = 0; i < 150 && (await ctx.fs.channels()).length > 0; i++) await Bun.sleep(100);
    clearInterval(drain);
    closeSync(fd);
  }, 60_000);
});
