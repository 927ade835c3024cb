/**
 * The recorder on a real FreeSWITCH (an install found as the tests find
 * it: $SIPREC_FREESWITCH, /usr/local/freeswitch, /opt/freeswitch; skipped
 * with one line without one), both tap methods side by side in one run:
 * N concurrent calls unrecorded (the baseline), then the same N recorded
 * in separate streams with [tap] method = "legs", then "media-bug" (8 kHz,
 * 16 kHz toward a G.722 SRS, and [recording] ptime = 40):
 * - FreeSWITCH CPU per call, and what recording adds to it;
 * - the daemon's CPU and RSS per recording (against the same daemon idle);
 * - the total cost of recording a call (FreeSWITCH's extra + the daemon's),
 *   the goal being the C module's +0.42% of a core per call;
 * - set-up: siprec::start from the dialplan → INVITE at the SRS, p50/p99;
 * - added latency: a tone's first voiced packet in the call → the first
 *   voiced packet of that party's stream at the SRS (onset.ts), p50/p99.
 * N = BENCH_FS_CALLS (default 30), each phase measured over BENCH_FS_SECONDS
 * (default 10); BENCH_FS_ONSET calls per method for the latency (default 10).
 */
import { readFileSync } from "node:fs";
import { type Figure, median, percentile } from "./stats.ts";
import { RealFreeswitch, findFreeswitch } from "../test/support/freeswitch/instance.ts";
import { DaemonRig } from "../test/support/freeswitch/daemon-rig.ts";
import { onsetLatencies } from "./freeswitch/onset.ts";

const CALLS = Number(process.env["BENCH_FS_CALLS"] ?? 30);
const SECONDS = Number(process.env["BENCH_FS_SECONDS"] ?? 10);
const ONSET = Number(process.env["BENCH_FS_ONSET"] ?? 10);
/** The daemon's SRS-facing RTP ports in DaemonRig's config. */
const DAEMON_RTP: readonly [number, number] = [38000, 39999];

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

interface MethodFigures {
  readonly fsPerCall: number;
  readonly daemonPerRec: number;
  readonly rssPerRec: number;
  readonly setup: number[];
  readonly onset: number[];
  readonly fallbacks: number;
}

/** N recorded calls with one tap method: FreeSWITCH's and the daemon's CPU, RSS, set-up and onset latency. */
async function measure(fs: RealFreeswitch, method: "legs" | "media-bug", idleFs: number, recording: string[] = []): Promise<MethodFigures> {
  const rig = await DaemonRig.start(fs, { tapMethod: method, ...(recording.length > 0 ? { recording } : {}) });
  try {
    const daemonPid = rig.daemonPid as number;
    const idleRss = rssKiB(daemonPid);
    const idleCpu = await cpuPercent(daemonPid, 2);
    const recorded: string[] = [];
    // Each call's caller number names it in the metadata (participant AOR sip:<number>@...).
    const numbers = new Map<string, string>();
    for (let i = 0; i < CALLS; i++) {
      const number = String(5550000 + i);
      const { aLeg } = await fs.call("record-660", { toneHz: 440, callerNumber: number });
      recorded.push(aLeg);
      numbers.set(aLeg, number);
    }
    await rig.until(() => recorded.every((u) => fs.esl.custom("siprec::started", u).length === 1), 60_000, "every recording up");
    await Bun.sleep(1000);
    const [fsCpu, daemonCpu] = await Promise.all([cpuPercent(fs.pid, SECONDS), cpuPercent(daemonPid, SECONDS)]);
    const rss = rssKiB(daemonPid);
    const fallbacks = recorded.filter((u) => fs.esl.custom("siprec::started", u)[0]?.get("SIPREC-Fallback") !== undefined).length;
    await hangUpAll(fs);
    await rig.until(() => rig.reports().length === CALLS, 30_000, "every SRS report");
    // siprec::start (FreeSWITCH's clock, µs) → INVITE received at the SRS (same host's clock, ms).
    const setup: number[] = [];
    const reports = rig.reports();
    for (const u of recorded) {
      const startUs = Number(fs.esl.custom("siprec::start", u)[0]?.get("Event-Date-Timestamp") ?? Number.NaN);
      const aor = `"sip:${numbers.get(u) ?? "?"}@`;
      const r = reports.find((x) => x.metadataVersions > 0 && readFileSync(`${x.folder}/metadata-1.xml`, "utf8").includes(aor));
      const invite = r?.events.find((e) => e.what.startsWith("INVITE"))?.atMs;
      if (invite !== undefined && Number.isFinite(startUs)) setup.push(invite - startUs / 1000);
    }
    // The onset detector reads G.711 payloads: not measured for the wideband run.
    const onset = ONSET > 0 && !recording.some((l) => l.startsWith("codecs")) ? await onsetLatencies(fs, rig, ONSET, DAEMON_RTP) : [];
    return {
      fsPerCall: (fsCpu - idleFs) / CALLS,
      daemonPerRec: (daemonCpu - idleCpu) / CALLS,
      rssPerRec: (rss - idleRss) / CALLS,
      setup,
      onset,
      fallbacks,
    };
  } finally {
    await rig.close();
    await hangUpAll(fs);
  }
}

export async function run(): Promise<Figure[]> {
  const install = findFreeswitch();
  if ("skip" in install) {
    console.log(`freeswitch     ${install.skip.replace("real-FreeSWITCH tests skipped", "bench skipped")}`);
    return [];
  }
  const fs = await RealFreeswitch.start(install);
  try {
    const idle = await cpuPercent(fs.pid, 2);
    for (let i = 0; i < CALLS; i++) await fs.call("tone-660", { toneHz: 440 });
    await Bun.sleep(1000);
    const plain = ((await cpuPercent(fs.pid, SECONDS)) - idle) / CALLS;
    await hangUpAll(fs);
    const legs = await measure(fs, "legs", idle);
    const bug = await measure(fs, "media-bug", idle);
    // Wideband: G722 offered first, so the reference SRS takes it and FreeSWITCH records at 16 kHz.
    const wide = await measure(fs, "media-bug", idle, ['codecs = ["G722", "PCMU"]']);
    // Two of FreeSWITCH's 20 ms writes a packet toward the SRS: half the daemon's packets, 20 ms more at the SRS.
    const bug40 = await measure(fs, "media-bug", idle, ["ptime = 40"]);
    const b = "freeswitch";
    const figures: Figure[] = [
      {
        bench: b,
        metric: "FreeSWITCH CPU per call, unrecorded",
        value: plain,
        unit: "% core",
        note: `${CALLS} calls, ${SECONDS} s, FreeSWITCH ${install.version.split("+")[0]}`,
      },
    ];
    for (const [name, m] of [
      ["legs", legs],
      ["media-bug", bug],
      ["media-bug 16 kHz → G.722", wide],
      ["media-bug ptime 40", bug40],
    ] as const) {
      const extra = m.fsPerCall - plain;
      figures.push(
        {
          bench: b,
          metric: `${name}: FreeSWITCH CPU per call, recorded`,
          value: m.fsPerCall,
          unit: "% core",
          note: `×${(m.fsPerCall / plain).toFixed(2)} unrecorded`,
        },
        { bench: b, metric: `${name}: FreeSWITCH's extra per call`, value: extra, unit: "% core" },
        { bench: b, metric: `${name}: daemon CPU per recording`, value: m.daemonPerRec, unit: "% core" },
        { bench: b, metric: `${name}: recording's total cost per call`, value: extra + m.daemonPerRec, unit: "% core", note: "goal ≤ 0.42 (the C module)" },
        { bench: b, metric: `${name}: daemon RSS per recording`, value: m.rssPerRec, unit: "KiB" },
        {
          bench: b,
          metric: `${name}: set-up siprec::start → INVITE p50`,
          value: median(m.setup),
          unit: "ms",
          note: `${m.setup.length} calls, ${m.fallbacks} fallbacks`,
        },
        { bench: b, metric: `${name}: set-up siprec::start → INVITE p99`, value: percentile(m.setup, 99), unit: "ms" },
      );
      if (m.onset.length > 0)
        figures.push(
          { bench: b, metric: `${name}: added latency (tone onset → SRS) p50`, value: median(m.onset), unit: "ms", note: `${m.onset.length} calls` },
          { bench: b, metric: `${name}: added latency (tone onset → SRS) p99`, value: percentile(m.onset, 99), unit: "ms", note: "goal ≤ 60" },
        );
    }
    const total = (m: MethodFigures): number => m.fsPerCall - plain + m.daemonPerRec;
    figures.push({ bench: b, metric: "media-bug / legs: total cost per call", value: total(bug) / total(legs), unit: "x" });
    figures.push({ bench: b, metric: "media-bug / legs: FreeSWITCH's extra per call", value: (bug.fsPerCall - plain) / (legs.fsPerCall - plain), unit: "x" });
    figures.push({ bench: b, metric: "media-bug 16 kHz / 8 kHz: total cost per call", value: total(wide) / total(bug), unit: "x" });
    figures.push({ bench: b, metric: "media-bug ptime 40 / ptime 20: daemon per recording", value: bug40.daemonPerRec / bug.daemonPerRec, unit: "x" });
    return figures;
  } finally {
    await fs.stop();
  }
}
