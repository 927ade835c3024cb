/**
 * The daemon under load: the compiled `dist/siprec daemon` in its own
 * process, FreeSWITCH played by the emulator (captured ESL frames, tap legs
 * over real SIP sending the captured RTP at 20 ms) and `siprec srs` as the
 * SRS, both in this process, all on 127.0.0.1.
 * - latency: 30 calls one after another; from the siprec::start event
 *   leaving "FreeSWITCH" to the SIPREC INVITE reaching the SRS, and to the
 *   recording being up (siprec::started back at FreeSWITCH). The INVITE
 *   waits for both tap legs to carry RTP (originate, SIP, first packet), so
 *   this is the whole set-up path.
 * - load: 50 calls recorded at once (100 tap legs in, 100 streams out,
 *   5,000 packets/s each way); the daemon's CPU and RSS per recording,
 *   against the same daemon idle (the baseline of this run).
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Figure, median, percentile } from "./stats.ts";
import { openSrs } from "../src/srs/open-srs.ts";
import { cryptoIds } from "../src/platform/crypto-ids.ts";
import { systemClock } from "../src/platform/system-clock.ts";
import { loadLibxml } from "../src/siprec/metadata/libxml.ts";
import { FsEmulator } from "../test/support/fs-emulator.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const TICKS = 100; // USER_HZ on Linux

function proc(pid: number): { cpuS: number; rssKiB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  const cpuS = (Number(stat[11]) + Number(stat[12])) / TICKS;
  return { cpuS, rssKiB: Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) };
}

const uuid = (n: number, side: number): string => `${side.toString(16).padStart(8, "0")}-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;

async function until(pred: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(5);
  }
}

export async function run(): Promise<Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), "siprec-bench-daemon-"));
  const fs = await FsEmulator.start();
  const srs = await openSrs({
    host: "127.0.0.1",
    port: 0,
    transports: ["tcp"],
    dir: join(dir, "recordings"),
    lenient: true,
    clock: systemClock,
    ids: cryptoIds,
    lib: await loadLibxml(),
  });
  const config = join(dir, "siprec.toml");
  writeFileSync(
    config,
    [
      "[freeswitch]",
      'host = "127.0.0.1"',
      `port = ${fs.port}`,
      'event_format = "plain"',
      "[tap]",
      'address = "127.0.0.1"',
      "sip_port = 0",
      "rtp_port_min = 43000",
      "rtp_port_max = 44999",
      'method = "legs"',
      "[[srs]]",
      'name = "local"',
      `uri = "sip:srs@127.0.0.1:${srs.portOf("tcp")}"`,
      'transport = "tcp"',
      "options_interval = 0",
      "[recording]",
      'rtp_address = "127.0.0.1"',
      "[state]",
      `path = "${join(dir, "state.db")}"`,
      "[log]",
      'level = "warn"',
      'format = "json"',
    ].join("\n"),
  );
  const daemon = Bun.spawn([join(ROOT, "dist/siprec"), "daemon", "-c", config], { stdout: "ignore", stderr: "inherit" });
  const started = (a: string): boolean => fs.fired.some((e) => e.get("Event-Subclass") === "siprec::started" && e.get("SIPREC-Target-UUID") === a);
  try {
    await until(() => fs.commands.some((c) => c.startsWith("event plain ")), 10_000, "the daemon's subscription");
    // Latency, one call at a time.
    const toInvite: number[] = [];
    const toUp: number[] = [];
    for (let n = 0; n < 30; n++) {
      const [a, b] = [uuid(n, 0xa), uuid(n, 0xb)];
      const t0 = Date.now();
      const p0 = performance.now();
      fs.playCallStart(a, b);
      await until(() => started(a), 10_000, `call ${n} to start`);
      toUp.push(performance.now() - p0);
      fs.playCallEnd(a, b);
      await until(() => srs.finished.length === n + 1, 10_000, `call ${n} to end`);
      const events = srs.finished[n]!.events as { atMs: number; what: string }[];
      toInvite.push(events.find((e) => e.what === "INVITE received")!.atMs - t0);
    }
    // Load: 50 at once.
    const idle0 = proc(daemon.pid);
    await Bun.sleep(2000);
    const idle1 = proc(daemon.pid);
    const N = 50;
    const calls = Array.from({ length: N }, (_, n) => [uuid(1000 + n, 0xa), uuid(1000 + n, 0xb)] as const);
    for (const [a, b] of calls) fs.playCallStart(a, b);
    await until(() => calls.every(([a]) => started(a)), 30_000, "50 recordings to start");
    await Bun.sleep(1000);
    const load0 = proc(daemon.pid);
    const w0 = performance.now();
    await Bun.sleep(5000);
    const load1 = proc(daemon.pid);
    const windowS = (performance.now() - w0) / 1000;
    const before = srs.finished.length;
    for (const [a, b] of calls) fs.playCallEnd(a, b);
    await until(() => srs.finished.length === before + N, 20_000, "50 recordings to end");
    const streams = srs.finished.slice(before).flatMap((r) => r.streams as { packets: number; whilePaused: number }[]);
    const fallbacks = fs.fired.filter((e) => e.get("Event-Subclass") === "siprec::started" && e.has("SIPREC-Fallback")).length;
    const idleCpu = ((idle1.cpuS - idle0.cpuS) / 2) * 100;
    const loadCpu = ((load1.cpuS - load0.cpuS) / windowS) * 100;
    return [
      {
        bench: "daemon",
        metric: "start event -> INVITE at SRS p50",
        value: median(toInvite),
        unit: "ms",
        note: "originate + tap SIP + first tap RTP + INVITE",
      },
      { bench: "daemon", metric: "start event -> INVITE at SRS p99", value: percentile(toInvite, 99), unit: "ms" },
      { bench: "daemon", metric: "start event -> recording up p50", value: median(toUp), unit: "ms", note: "siprec::started back at FreeSWITCH" },
      { bench: "daemon", metric: "start event -> recording up p99", value: percentile(toUp, 99), unit: "ms" },
      { bench: "daemon", metric: "CPU idle", value: idleCpu, unit: "% of a core" },
      { bench: "daemon", metric: `CPU with ${N} recordings`, value: loadCpu, unit: "% of a core", note: `${N * 2} tap legs in, ${N * 2} SRS streams out` },
      { bench: "daemon", metric: "CPU per recording", value: (loadCpu - idleCpu) / N, unit: "% of a core" },
      { bench: "daemon", metric: "RSS idle", value: idle1.rssKiB, unit: "KiB" },
      {
        bench: "daemon",
        metric: "RSS per active recording",
        value: Math.round((load1.rssKiB - idle1.rssKiB) / N),
        unit: "KiB",
        note: `RSS ${load1.rssKiB} KiB with ${N}`,
      },
      { bench: "daemon", metric: "recordings that fell back to mixed", value: fallbacks, unit: `of ${30 + N}` },
      {
        bench: "daemon",
        metric: "SRS packets per stream (5 s+)",
        value: median(streams.map((s) => s.packets)),
        unit: "packets",
        note: `min ${Math.min(...streams.map((s) => s.packets))}`,
      },
    ];
  } finally {
    daemon.kill("SIGTERM");
    await daemon.exited;
    await srs.stop();
    fs.stop();
  }
}
