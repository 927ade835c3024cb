/**
 * The recorder on a real FreeSWITCH (an install found as the tests find
 * it: $SIPREC_FREESWITCH, /usr/local/freeswitch, /opt/freeswitch; skipped
 * with one line without one). In one run: N concurrent calls unrecorded,
 * then the same N calls recorded (separate streams) by the compiled daemon
 * into the compiled `siprec srs`:
 * - FreeSWITCH CPU per call, unrecorded and recorded (the tap legs' cost),
 *   and their ratio;
 * - the daemon's CPU and RSS per recording (RSS against the same daemon
 *   idle, measured in this run);
 * - set-up latency: siprec::start fired by FreeSWITCH's dialplan
 *   (Event-Date-Timestamp) to the SIPREC INVITE at the SRS, p50/p99.
 * N = BENCH_FS_CALLS (default 30), each phase measured over BENCH_FS_SECONDS (default 10).
 */
import { readFileSync } from "node:fs";
import { type Figure, median, percentile } from "./stats.ts";
import { RealFreeswitch, findFreeswitch } from "../test/support/freeswitch/instance.ts";
import { DaemonRig } from "../test/support/freeswitch/daemon-rig.ts";

const CALLS = Number(process.env["BENCH_FS_CALLS"] ?? 30);
const SECONDS = Number(process.env["BENCH_FS_SECONDS"] ?? 10);

function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(f[11]) + Number(f[12])) / 100;
}

function rssKiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
}

/** CPU % of one core that `pid` used over `seconds`. */
async function cpuPercent(pid: number, seconds: number): Promise<number> {
  const c0 = cpuSeconds(pid);
  const t0 = performance.now();
  await Bun.sleep(seconds * 1000);
  return ((cpuSeconds(pid) - c0) / ((performance.now() - t0) / 1000)) * 100;
}

async function hangUpAll(fs: RealFreeswitch): Promise<void> {
  await fs.esl.api("hupall NORMAL_CLEARING");
  for (let i = 0; i < 100 && (await fs.channels()).length > 0; i++) await Bun.sleep(100);
}

export async function run(): Promise<Figure[]> {
  const install = findFreeswitch();
  if ("skip" in install) {
    console.log(`freeswitch     ${install.skip.replace("real-FreeSWITCH tests skipped", "bench skipped")}`);
    return [];
  }
  const fs = await RealFreeswitch.start(install);
  const rig = await DaemonRig.start(fs);
  try {
    const idle = await cpuPercent(fs.pid, 2);
    const calls: string[] = [];
    for (let i = 0; i < CALLS; i++) calls.push((await fs.call("tone-660", { toneHz: 440 })).aLeg);
    await Bun.sleep(1000);
    const plain = (await cpuPercent(fs.pid, SECONDS)) - idle;
    await hangUpAll(fs);

    const daemonPid = rig.daemonPid!;
    const daemonIdleRss = rssKiB(daemonPid);
    const daemonIdleCpu = await cpuPercent(daemonPid, 2);
    const recorded: string[] = [];
    for (let i = 0; i < CALLS; i++) recorded.push((await fs.call("record-660", { toneHz: 440 })).aLeg);
    await rig.until(() => recorded.every((u) => fs.esl.custom("siprec::started", u).length === 1), 60_000, "every recording up");
    const sipCallIds = new Map<string, string>();
    for (const u of recorded) sipCallIds.set(u, await fs.getVar(u, "sip_call_id"));
    await Bun.sleep(1000);
    const [fsRec, daemonCpu] = await Promise.all([cpuPercent(fs.pid, SECONDS), cpuPercent(daemonPid, SECONDS)]);
    const daemonRss = rssKiB(daemonPid);
    await hangUpAll(fs);
    await rig.until(() => rig.reports().length === CALLS, 30_000, "every SRS report");

    // siprec::start (FreeSWITCH's clock, µs) → INVITE received at the SRS (same host's clock, ms).
    const latency: number[] = [];
    const reports = rig.reports();
    for (const u of recorded) {
      const startUs = Number(fs.esl.custom("siprec::start", u)[0]?.get("Event-Date-Timestamp") ?? NaN);
      // The metadata names the recorded call by its SIP Call-ID.
      const callId = sipCallIds.get(u) ?? "?";
      const r = reports.find((x) => x.metadataVersions > 0 && readFileSync(`${x.folder}/metadata-1.xml`, "utf8").includes(callId));
      const invite = r?.events.find((e) => e.what.startsWith("INVITE"))?.atMs;
      if (invite !== undefined && Number.isFinite(startUs)) latency.push(invite - startUs / 1000);
    }
    const perCall = (x: number) => x / CALLS;
    const fsRecPerCall = perCall(fsRec - idle);
    return [
      {
        bench: "freeswitch",
        metric: `FreeSWITCH CPU per call, unrecorded`,
        value: perCall(plain),
        unit: "% core",
        note: `${CALLS} calls, ${SECONDS} s, FreeSWITCH ${install.version.split("+")[0]}`,
      },
      { bench: "freeswitch", metric: `FreeSWITCH CPU per call, recorded`, value: fsRecPerCall, unit: "% core", note: "native tap legs" },
      { bench: "freeswitch", metric: "FreeSWITCH recorded / unrecorded", value: fsRecPerCall / perCall(plain), unit: "x" },
      {
        bench: "freeswitch",
        metric: "daemon CPU per recording",
        value: perCall(daemonCpu - daemonIdleCpu),
        unit: "% core",
        note: `idle ${daemonIdleCpu.toFixed(2)}%`,
      },
      {
        bench: "freeswitch",
        metric: "recording's total cost per call",
        value: fsRecPerCall - perCall(plain) + perCall(daemonCpu - daemonIdleCpu),
        unit: "% core",
        note: "FreeSWITCH's extra + the daemon's",
      },
      {
        bench: "freeswitch",
        metric: "daemon RSS per recording",
        value: (daemonRss - daemonIdleRss) / CALLS,
        unit: "KiB",
        note: `idle ${Math.round(daemonIdleRss / 1024)} MiB`,
      },
      { bench: "freeswitch", metric: "set-up: siprec::start → INVITE p50", value: median(latency), unit: "ms", note: `${latency.length} calls` },
      { bench: "freeswitch", metric: "set-up: siprec::start → INVITE p99", value: percentile(latency, 99), unit: "ms" },
    ];
  } finally {
    await rig.close();
    await fs.stop();
  }
}
