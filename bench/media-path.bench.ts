/**
 * The media path as it runs in production (issue #14): the compiled daemon
 * with N concurrent recordings, FreeSWITCH's tap legs placed over real SIP
 * by the emulator and their RTP (50 packets/s per leg, each from its own
 * port) played by a C sender, the SRS's RTP received by a C sink; against
 * the C relay on the same socket layout, measured in the same run.
 * - separate streams at each N (plain RTP), the same with SRTP toward the
 *   SRS, mixed streams; 500 recordings held for BENCH_MEDIA_LONG_SECONDS (60);
 * - per step: packets lost at the sink (sequence gaps per stream), daemon
 *   CPU and RSS per recording (over the daemon idle), p50/p99 latency from
 *   the sender through the daemon to the sink (two loopback hops; the C
 *   relay's figure is the floor);
 * - the highest N each holds with 0 loss, and the ratio;
 * - set-up: 50 calls/s for 20 s, siprec::start → INVITE at the SRS.
 * BENCH_MEDIA_STEPS, BENCH_MEDIA_SECONDS (10) shorten or widen it;
 * The default tap (media-bug: one pipe per recording, a C writer playing
 * FreeSWITCH's recording threads) through the same daemon and sink: plain
 * and SRTP, and with [recording] ptime = 40 (two 20 ms writes a packet)
 * (BENCH_MEDIA_ONLY sections media-bug, media-bug-srtp, media-bug-ptime40; its latency
 * is not measurable here: the send time does not survive PCM → G.711).
 * BENCH_MEDIA_ONLY picks sections; BENCH_DAEMON_LOG sets the daemon's log level.
 */
import type { Figure } from "./stats.ts";
import { benchDir, buildTool, daemonMemory, openSinkSrs, proc, startDaemon, until } from "./media/harness.ts";
import type { MemoryReport } from "../src/daemon/memory-report.ts";
import { freePort } from "../test/support/sip-stack.ts";
import { type DaemonRig, daemonStep, LEG_PORT_BASE, LEG_PORTS, lossless, relayStep, SINK_PORT, SIP_TIMER_M_S, type StepResult } from "./media/steps.ts";
import { setupRate } from "./media/setup-rate.ts";
import { FsEmulator } from "../test/support/fs-emulator.ts";

const list = (v: string | undefined, d: number[]): number[] => (v === undefined ? d : v.split(",").map(Number));
const STEPS = list(process.env["BENCH_MEDIA_STEPS"], [50, 200, 500, 1000, 1500, 2000]);
const SECONDS = Number(process.env["BENCH_MEDIA_SECONDS"] ?? 10);
const LONG_SECONDS = Number(process.env["BENCH_MEDIA_LONG_SECONDS"] ?? 60);
/** BENCH_MEDIA_SETTLE=0: read memory right after the measurement window instead of after SIP Timer M. */
const SETTLE = process.env["BENCH_MEDIA_SETTLE"] !== "0";
/** BENCH_MEDIA_ONLY=relay,separate,srtp,mixed,media-bug,media-bug-srtp,media-bug-ptime40,setup runs only those sections. */
const ONLY = process.env["BENCH_MEDIA_ONLY"]?.split(",");

type Tap = "legs" | "media-bug";

async function rig(
  streams: "separate" | "mixed",
  srtp: boolean,
  tap: Tap,
  ptime: number,
): Promise<{ r: DaemonRig; idleCpuPct: number; idleRssKiB: number; idleMemory: MemoryReport; stop(): Promise<void> }> {
  const fs = await FsEmulator.start({ tapRtp: { kind: "external", port: (i) => LEG_PORT_BASE + (i % LEG_PORTS) }, records: "external" });
  const dir = benchDir("media");
  const srs = await openSinkSrs(SINK_PORT, dir);
  const controlPort = await freePort();
  const d = { dir, proc: startDaemon({ eslPort: fs.port, srsPort: srs.transports.get("tcp")!.local.port, srtp, streams, tap, ptime, controlPort }, dir) };
  await until(() => fs.commands.some((c) => c.startsWith("event plain ")), 10_000, "the daemon's subscription");
  await Bun.sleep(500);
  const a = proc(d.proc.pid);
  await Bun.sleep(2000);
  const b = proc(d.proc.pid);
  const idleMemory = await daemonMemory(controlPort);
  return {
    r: { fs, srs, pid: d.proc.pid, dir: d.dir, streams, srtp, tap, controlPort, calls: 0, started: new Map(), firedRead: 0 },
    idleCpuPct: ((b.cpuS - a.cpuS) / 2) * 100,
    idleRssKiB: b.rssKiB,
    idleMemory,
    async stop() {
      d.proc.kill("SIGTERM");
      await d.proc.exited;
      await srs.stop();
      fs.stop();
    },
  };
}

const ms = (us: number): string => (us / 1000).toFixed(2);

function figure(kind: string, s: StepResult, idleRssKiB: number | undefined): Figure {
  const rss = idleRssKiB === undefined ? "" : `, RSS/rec ${Math.round((s.rssKiB - idleRssKiB) / s.n)} KiB`;
  const fb = s.fallbacks === 0 ? "" : `, ${s.fallbacks} fell back to mixed`;
  return {
    bench: "media-path",
    metric: `${kind} ${s.n} recordings`,
    value: s.cpuPctPerRecording,
    unit: "% core/rec",
    note: `cpu ${s.cpuPct.toFixed(0)}%, lost ${s.sink.lost} (${s.sink.lossyStreams} of ${s.sink.streams}/${s.expectedStreams} streams), ${kind.includes("SRTP") ? "latency n/a (the sink cannot read the encrypted send time)" : kind.includes("media-bug") ? "latency n/a (the send time does not survive PCM → G.711; see bench/freeswitch)" : `p50 ${ms(s.sink.p50us)} ms, p99 ${ms(s.sink.p99us)} ms`}${rss}${fb}`,
  };
}

/**
 * Where one recording's memory is (GET /debug/memory with N up, less idle,
 * over N, both after a full collection): the JavaScript heap, array
 * buffers, and the object types that grew most per recording.
 */
function memoryFigure(kind: string, s: StepResult, m: MemoryReport, idle: MemoryReport): Figure {
  const n = s.n;
  const per = (a: number, b: number): number => (a - b) / n;
  const types = Object.entries(m.objectTypes)
    .map(([t, c]) => [t, per(c, idle.objectTypes[t] ?? 0)] as const)
    .filter(([, c]) => c >= 1)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .map(([t, c]) => `${t} ${c.toFixed(0)}`)
    .join(", ");
  return {
    bench: "media-path",
    metric: `${kind} ${n} recordings: RSS per recording (after GC, ${s.memoryAfterS ?? 0} s up)`,
    value: per(m.rssBytes, idle.rssBytes) / 1024,
    unit: "KiB",
    note: `heap ${(per(m.heapBytes, idle.heapBytes) / 1024).toFixed(0)} KiB (${per(m.objects, idle.objects).toFixed(0)} objects: ${types}), array buffers ${(per(m.arrayBufferBytes, idle.arrayBufferBytes) / 1024).toFixed(0)} KiB, outside the heap ${(per(m.extraBytes, idle.extraBytes) / 1024).toFixed(0)} KiB`,
  };
}

/**
 * One more recording's memory between two steps of the same daemon (both
 * after a full collection, with their recordings up): what the target
 * "RSS per active recording" asks. The figure over the cold daemon also
 * carries the one-off cost of the first recordings (the JIT's compiled
 * code, ~25 KiB per recording at 200 in a heap snapshot; runtime pools).
 */
function marginalMemoryFigure(kind: string, s0: StepResult, m0: MemoryReport, s1: StepResult, m1: MemoryReport): Figure {
  const [n0, n1] = [s0.n, s1.n];
  const per = (a: number, b: number): number => (a - b) / (n1 - n0) / 1024;
  return {
    bench: "media-path",
    metric: `${kind} ${n0} → ${n1} recordings: RSS per added recording (${s1.memoryAfterS ?? 0} s up)`,
    value: per(m1.rssBytes, m0.rssBytes),
    unit: "KiB",
    note: `heap ${per(m1.heapBytes, m0.heapBytes).toFixed(0)} KiB live of ${per(m1.heapCapacityBytes, m0.heapCapacityBytes).toFixed(0)} KiB the collector holds, outside the heap ${per(m1.extraBytes, m0.extraBytes).toFixed(0)} KiB, array buffers ${per(m1.arrayBufferBytes, m0.arrayBufferBytes).toFixed(0)} KiB (target <= 150 KiB RSS)`,
  };
}

async function daemonSeries(
  kind: string,
  streams: "separate" | "mixed",
  srtp: boolean,
  steps: number[],
  figures: Figure[],
  tap: Tap = "legs",
  ptime = 20,
): Promise<StepResult[]> {
  const g = await rig(streams, srtp, tap, ptime);
  const out: StepResult[] = [];
  try {
    figures.push({ bench: "media-path", metric: `${kind}: daemon idle`, value: g.idleCpuPct, unit: "% core", note: `RSS ${g.idleRssKiB} KiB` });
    for (const n of steps) {
      // A step that fails ends the series; the steps before it keep their figures.
      // The plain separate sections read memory in a long call's steady state (after SIP Timer M) up to 500.
      const settle = SETTLE && !srtp && streams === "separate" && n <= 500 ? SIP_TIMER_M_S + 3 : 0;
      const s = await daemonStep(g.r, n, SECONDS, g.idleCpuPct, settle).catch((e: unknown) => {
        figures.push({ bench: "media-path", metric: `${kind} ${n} recordings: FAILED`, value: 0, unit: "", note: e instanceof Error ? e.message : String(e) });
        return undefined;
      });
      if (s === undefined) return out;
      const prev = out.at(-1);
      out.push(s);
      figures.push(figure(kind, s, g.idleRssKiB));
      if (s.memory !== undefined) figures.push(memoryFigure(kind, s, s.memory, g.idleMemory));
      if (s.memory !== undefined && prev?.memory !== undefined && prev.memoryAfterS === s.memoryAfterS)
        figures.push(marginalMemoryFigure(kind, prev, prev.memory, s, s.memory));
    }
    if ((kind === "separate" || kind === "media-bug separate") && LONG_SECONDS > 0) {
      const s = await daemonStep(g.r, 500, LONG_SECONDS, g.idleCpuPct);
      figures.push({ ...figure(`${kind} ${LONG_SECONDS} s:`, s, g.idleRssKiB), value: s.sink.lost, unit: "packets lost" });
    }
  } finally {
    await g.stop();
  }
  return out;
}

const best = (xs: StepResult[]): number => Math.max(0, ...xs.filter(lossless).map((s) => s.n));

/** One section's failure is a figure; the others still run and print. */
async function section<T>(figures: Figure[], name: string, fallback: T, f: () => Promise<T>): Promise<T> {
  if (
    ONLY !== undefined &&
    !ONLY.includes(
      name
        .replace(/^separate\+SRTP$/, "srtp")
        .replace(/^media-bug separate$/, "media-bug")
        .replace(/^media-bug separate\+SRTP$/, "media-bug-srtp")
        .replace(/^media-bug separate, ptime 40$/, "media-bug-ptime40")
        .replace(/^C relay$/, "relay")
        .replace(/^set-up rate$/, "setup"),
    )
  )
    return fallback;
  try {
    return await f();
  } catch (e) {
    figures.push({ bench: "media-path", metric: `${name}: FAILED`, value: 0, unit: "", note: e instanceof Error ? e.message : String(e) });
    return fallback;
  }
}

export async function run(): Promise<Figure[]> {
  buildTool();
  const figures: Figure[] = [];
  const dir = benchDir("relay");
  const relay = await section(figures, "C relay", [] as StepResult[], async () => {
    const out: StepResult[] = [];
    for (const n of STEPS) {
      const s = await relayStep(dir, n, SECONDS);
      out.push(s);
      figures.push(figure("C relay", s, undefined));
    }
    return out;
  });
  const upTo1000 = STEPS.filter((n) => n <= 1000);
  const sep = await section(figures, "separate", [] as StepResult[], () => daemonSeries("separate", "separate", false, STEPS, figures));
  await section(figures, "separate+SRTP", [], () => daemonSeries("separate+SRTP", "separate", true, upTo1000, figures));
  await section(figures, "mixed", [], () => daemonSeries("mixed", "mixed", false, upTo1000, figures));
  // The default tap: one pipe per recording (a C writer plays FreeSWITCH's recording threads), the same SRS streams.
  const bug = await section(figures, "media-bug separate", [] as StepResult[], () =>
    daemonSeries("media-bug separate", "separate", false, STEPS, figures, "media-bug"),
  );
  await section(figures, "media-bug separate+SRTP", [], () => daemonSeries("media-bug separate+SRTP", "separate", true, upTo1000, figures, "media-bug"));
  // [recording] ptime = 40: the media-bug tap packs two of FreeSWITCH's 20 ms writes into a packet (half the packets).
  const bug40 = await section(figures, "media-bug separate, ptime 40", [] as StepResult[], () =>
    daemonSeries("media-bug separate, ptime 40", "separate", false, upTo1000, figures, "media-bug", 40),
  );
  const c = best(relay);
  const ours = best(sep);
  figures.push({ bench: "media-path", metric: "C relay: most recordings lossless", value: c, unit: "recordings", note: `${c * 100} packets/s in and out` });
  figures.push({
    bench: "media-path",
    metric: "daemon: most recordings lossless",
    value: ours,
    unit: "recordings",
    note: `${ours * 100} packets/s in and out`,
  });
  figures.push({
    bench: "media-path",
    metric: "ratio daemon / C relay (lossless)",
    value: c === 0 ? 0 : ours / c,
    unit: "x",
    note: "target >= 0.8; capped by the steps",
  });
  figures.push({ bench: "media-path", metric: "media-bug daemon: most recordings lossless", value: best(bug), unit: "recordings" });
  figures.push({
    bench: "media-path",
    metric: "ratio media-bug daemon / C relay (lossless)",
    value: c === 0 ? 0 : best(bug) / c,
    unit: "x",
    note: "target >= 0.8; the default tap, capped by the steps",
  });
  for (const d of bug40) {
    const twenty = bug.find((s) => s.n === d.n);
    if (twenty !== undefined)
      figures.push({
        bench: "media-path",
        metric: `CPU media-bug ptime 40 / ptime 20 at ${d.n}`,
        value: d.cpuPctPerRecording / twenty.cpuPctPerRecording,
        unit: "x",
      });
  }
  for (const n of [200, 500]) {
    const r = relay.find((s) => s.n === n);
    for (const [name, series] of [
      ["legs", sep],
      ["media-bug", bug],
    ] as const) {
      const d = series.find((s) => s.n === n);
      if (d !== undefined && r !== undefined)
        figures.push({ bench: "media-path", metric: `CPU daemon (${name}) / C relay at ${n}`, value: d.cpuPctPerRecording / r.cpuPctPerRecording, unit: "x" });
    }
  }
  figures.push(...(await section(figures, "set-up rate", [] as Figure[], setupRate)));
  return figures;
}
