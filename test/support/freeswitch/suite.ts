/**
 * One describe block per test file on a real FreeSWITCH: starts it once,
 * gives each test a fresh daemon rig, and after each test hangs every call
 * up and checks nothing is left. Skipped (with one printed line per run)
 * when no install is found.
 */
import { afterAll, afterEach, beforeAll, describe, expect } from "bun:test";
import { RealFreeswitch, freeswitchOrSkip } from "./instance.ts";
import { DaemonRig, type RigOptions, type SrsReport } from "./daemon-rig.ts";
import { type ToneProfile, toneProfile } from "./wav-check.ts";

export interface SuiteContext {
  readonly fs: RealFreeswitch;
  /** A daemon + SRS for this test, closed after it. */
  rig(o?: RigOptions): Promise<DaemonRig>;
  /** Kills FreeSWITCH (every call dies) and starts it again on the same ports: `fs` is the new one. */
  restartFreeswitch(): Promise<RealFreeswitch>;
}

export function realFreeswitchSuite(name: string, body: (ctx: SuiteContext) => void): void {
  const install = freeswitchOrSkip();
  if (install === undefined) {
    // Only the tests are listed as skipped (no hooks to skip).
    const none = (): never => {
      throw new Error("no FreeSWITCH install");
    };
    describe.skip(`real FreeSWITCH: ${name}`, () =>
      body({
        get fs(): RealFreeswitch {
          return none();
        },
        rig: none,
        restartFreeswitch: none,
      }));
    return;
  }
  describe(`real FreeSWITCH: ${name}`, () => {
    let fs: RealFreeswitch | undefined;
    let rigs: DaemonRig[] = [];
    beforeAll(async () => {
      fs = await RealFreeswitch.start(install);
    }, 60_000);
    afterAll(async () => {
      await fs?.stop();
    }, 30_000);
    afterEach(async () => {
      for (const r of rigs) await r.close();
      rigs = [];
      if (fs === undefined) return;
      await fs.esl.api("hupall NORMAL_CLEARING");
      expect(await waitNoChannels(fs)).toEqual([]);
    }, 30_000);
    body({
      get fs(): RealFreeswitch {
        if (fs === undefined) throw new Error("FreeSWITCH did not start");
        return fs;
      },
      restartFreeswitch: async () => {
        if (fs === undefined) throw new Error("FreeSWITCH did not start");
        const ports = fs.ports;
        await fs.kill();
        fs = await RealFreeswitch.start(install, ports);
        return fs;
      },
      rig: async (o) => {
        if (fs === undefined) throw new Error("FreeSWITCH did not start");
        const r = await DaemonRig.start(fs, o);
        rigs.push(r);
        return r;
      },
    });
  });
}

/** Channels FreeSWITCH still has after a short wait (tap legs included); [] when clean. */
export async function waitNoChannels(fs: RealFreeswitch, ms = 5000): Promise<string[]> {
  const end = Date.now() + ms;
  for (;;) {
    const left = await fs.channels();
    if (left.length === 0 || Date.now() > end) return left.map((c) => c.name);
    await Bun.sleep(100);
  }
}

/** Waits for the SRS to have written `n` reports; returns the newest. */
export async function nthReport(r: DaemonRig, n: number, ms = 10_000): Promise<SrsReport> {
  await r.until(() => r.reports().length >= n, ms, `SRS report #${n}`);
  return r.reports()[n - 1]!;
}

/** Hangs the call up from its phone leg and returns the SRS's report with each party's tone profile (labels 1 and 2). */
export async function hangUpAndProfiles(r: DaemonRig, fs: RealFreeswitch, phone: string): Promise<{ report: SrsReport; one: ToneProfile; two: ToneProfile }> {
  await fs.esl.api(`uuid_kill ${phone}`);
  const report = await nthReport(r, 1);
  return { report, one: toneProfile(r.wav(report, "1")), two: toneProfile(r.wav(report, "2")) };
}

/** The recording's CUSTOM siprec::started for `uuid`, awaited. */
export async function started(r: DaemonRig, fs: RealFreeswitch, uuid: string, count = 1, ms = 10_000): Promise<void> {
  await r.until(() => fs.esl.custom("siprec::started", uuid).length >= count, ms, `siprec::started #${count} for ${uuid}`);
}

/** A CUSTOM siprec::<action> for `uuid`, the way an IVR or fs_cli sends it (README). */
export async function siprecEvent(fs: RealFreeswitch, action: "start" | "stop" | "pause" | "resume", uuid: string, extra = ""): Promise<void> {
  const r = await fs.esl.api(`uuid_broadcast ${uuid} event::Event-Name=CUSTOM,Event-Subclass=siprec::${action},SIPREC-Target-UUID=${uuid}${extra} aleg`);
  if (!r.startsWith("+OK")) throw new Error(`siprec::${action}: ${r}`);
}
