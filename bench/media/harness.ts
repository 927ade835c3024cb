/**
 * The media-path bench's parts: the C load tool (rtp-load.c: tap-leg
 * sender, SRS sink, reference relay), a compiled daemon with its config, an
 * SRS whose answers point every stream at the C sink, process figures from
 * /proc. All on 127.0.0.1.
 */
import type { MemoryReport } from "../../src/daemon/memory-report.ts";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cryptoIds } from "../../src/platform/crypto-ids.ts";
import { systemClock } from "../../src/platform/system-clock.ts";
import type { RtpSocketPort } from "../../src/rtp/rtp-socket-port.ts";
import { loadLibxml } from "../../src/siprec/metadata/libxml.ts";
import { openSipStack } from "../../src/sip/stack.ts";
import { fileRecordingSink } from "../../src/srs/file-recording-sink.ts";
import { SRS_ACCEPT, SrsServer } from "../../src/srs/server.ts";

export const ROOT = new URL("../..", import.meta.url).pathname;
export const TOOL = join(ROOT, ".bench/rtp-load");
const TICKS = 100; // USER_HZ on Linux

/** Builds the C tool (a fresh clone has no .bench/). */
export function buildTool(): void {
  mkdirSync(join(ROOT, ".bench"), { recursive: true });
  const cc = Bun.spawnSync(["cc", "-O2", "-o", TOOL, join(ROOT, "bench/media/rtp-load.c"), "-lm"], { stderr: "pipe" });
  if (cc.exitCode !== 0) throw new Error(`cc: ${cc.stderr.toString()}`);
}

export interface ProcFigures {
  readonly cpuS: number;
  readonly rssKiB: number;
}

export function proc(pid: number): ProcFigures {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return {
    cpuS: (Number(stat[11]) + Number(stat[12])) / TICKS,
    rssKiB: Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0),
  };
}

export async function until(pred: () => boolean, ms: number, what: string | (() => string)): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${typeof what === "string" ? what : what()}`);
    await Bun.sleep(20);
  }
}

export interface SinkResult {
  readonly received: number;
  readonly streams: number;
  readonly lost: number;
  readonly lossyStreams: number;
  readonly maxStreamLoss: number;
  readonly p50us: number;
  readonly p99us: number;
}

/** Reads a child's stdout until it prints `ready`; resolves with the rest it prints. */
async function readyThenRest(p: ReturnType<typeof Bun.spawn>, what: string): Promise<{ rest: Promise<string> }> {
  const r = (p.stdout as ReadableStream<Uint8Array>).getReader();
  let s = "";
  while (!s.includes("ready")) {
    const chunk = await r.read();
    if (chunk.done) throw new Error(`${what} exited before it was ready`);
    s += new TextDecoder().decode(chunk.value);
  }
  // Wrapped: an async function returning a bare promise would wait for it.
  const rest = (async () => {
    for (;;) {
      const chunk = await r.read();
      if (chunk.done) return s;
      s += new TextDecoder().decode(chunk.value);
    }
  })();
  return { rest };
}

/** The SRS's RTP: counts per SSRC from now until `stop()` (at most an hour). */
export async function startSink(port: number, plain: boolean): Promise<{ steady(): void; stop(): Promise<SinkResult> }> {
  const p = Bun.spawn([TOOL, "sink", String(port), "3600", plain ? "plain" : "srtp"], { stdout: "pipe", stderr: "inherit" });
  const { rest } = await readyThenRest(p, "sink");
  return {
    /** Latency counts from now: the set-up burst is over (loss counting goes on). */
    steady: () => p.kill("SIGUSR1"),
    async stop() {
      p.kill("SIGTERM");
      const t = await rest;
      const n = (k: string): number => Number(new RegExp(`${k} ([\\d.]+)`).exec(t)?.[1] ?? Number.NaN);
      if (Number.isNaN(n("received"))) throw new Error(`sink printed: ${t}`);
      return {
        received: n("received"),
        streams: n("streams"),
        lost: n("lost"),
        lossyStreams: n("lossy_streams"),
        maxStreamLoss: n("max_stream_loss"),
        p50us: n("p50_us"),
        p99us: n("p99_us"),
      };
    },
  };
}

/** FreeSWITCH's tap legs: each "src dst" pair sends 50 packets/s from its own port. */
export function startLegs(dir: string, pairs: readonly (readonly [number, number])[]): { stop(): Promise<void> } {
  const file = join(dir, `legs-${pairs.length}-${Date.now()}.txt`);
  writeFileSync(file, pairs.map(([s, d]) => `${s} ${d}`).join("\n"));
  const p = Bun.spawn([TOOL, "legs", file, "50", "3600"], { stdout: "ignore", stderr: "inherit" });
  return {
    async stop() {
      p.kill("SIGTERM");
      await p.exited;
    },
  };
}

/** FreeSWITCH's media-bug recordings: 640 bytes into each pipe every 20 ms. */
export function startPipes(dir: string, paths: readonly string[]): { stop(): Promise<void> } {
  const file = join(dir, `pipes-${paths.length}-${Date.now()}.txt`);
  writeFileSync(file, paths.join("\n"));
  const p = Bun.spawn([TOOL, "pipes", file, "3600"], { stdout: "ignore", stderr: "inherit" });
  return {
    async stop() {
      p.kill("SIGTERM");
      await p.exited;
    },
  };
}

/** The reference relay on the daemon's socket layout; resolves once its sockets are bound. */
export async function startRelay(dir: string, pairs: readonly (readonly [number, number])[]): Promise<ReturnType<typeof Bun.spawn>> {
  const file = join(dir, `relay-${pairs.length}.txt`);
  writeFileSync(file, pairs.map(([s, d]) => `${s} ${d}`).join("\n"));
  const p = Bun.spawn([TOOL, "relay", file], { stdout: "pipe", stderr: "inherit" });
  await readyThenRest(p, "relay");
  return p;
}

/** Every answered stream points at the sink (RTP on `port`, RTCP on port + 1): the SRS does SIP only. */
function sinkSockets(port: number): RtpSocketPort {
  const ep = (p: number) => ({ port: p, send: () => true, close: () => {} });
  return { inUse: 0, open: async () => ({ rtp: ep(port), rtcp: ep(port + 1) }) };
}

/** A `siprec srs` (the engine, TCP) whose SDP answers send every stream to the C sink. */
export async function openSinkSrs(sinkPort: number, dir: string): Promise<SrsServer> {
  const stack = await openSipStack({
    role: "srs",
    host: "127.0.0.1",
    listenPort: 0,
    protocols: ["tcp"],
    clock: systemClock,
    ids: cryptoIds,
    accept: SRS_ACCEPT,
    userAgent: "siprec-srs",
  });
  return new SrsServer(
    { host: "127.0.0.1", lenient: true, maxRecordings: 5000, clock: systemClock, ids: cryptoIds, lib: await loadLibxml() },
    { stack, sockets: sinkSockets(sinkPort), sink: fileRecordingSink(join(dir, "recordings")) },
  );
}

/** The daemon's memory report (GET /debug/memory; src/daemon/memory-report.ts). */
export async function daemonMemory(controlPort: number): Promise<MemoryReport> {
  const r = await fetch(`http://127.0.0.1:${controlPort}/debug/memory`);
  if (!r.ok) throw new Error(`GET /debug/memory: ${r.status}`);
  return (await r.json()) as MemoryReport;
}

export const benchDir = (what: string): string => mkdtempSync(join(tmpdir(), `siprec-bench-${what}-`));

export interface DaemonSetup {
  readonly eslPort: number;
  readonly srsPort: number;
  readonly srtp: boolean;
  readonly streams: "separate" | "mixed";
  readonly tap: "legs" | "media-bug";
  /** [recording] ptime (20 when absent): the media-bug tap's packets toward the SRS. */
  readonly ptime?: number;
  /** The control API's port (GET /debug/memory). */
  readonly controlPort: number;
}

/**
 * The compiled daemon in its own process: tap RTP on 16000-23999 (4,000 legs: 2,000 separate-stream
 * recordings with room for the step before to finish releasing), SRS streams on 24000-31999 (4,000 pairs).
 */
export function startDaemon(s: DaemonSetup, dir: string): ReturnType<typeof Bun.spawn> {
  const config = join(dir, "siprec.toml");
  writeFileSync(
    config,
    [
      "[freeswitch]",
      'host = "127.0.0.1"',
      `port = ${s.eslPort}`,
      'event_format = "plain"',
      "[tap]",
      'address = "127.0.0.1"',
      "sip_port = 0",
      "rtp_port_min = 16000",
      "rtp_port_max = 23999",
      `method = "${s.tap}"`,
      `pipe_dir = "${join(dir, "tap")}"`,
      // The C sender starts once every leg is answered: a leg must not time out waiting for it.
      "answer_timeout_ms = 60000",
      "[[srs]]",
      'name = "sink"',
      `uri = "sip:srs@127.0.0.1:${s.srsPort}"`,
      'transport = "tcp"',
      "options_interval = 0",
      "[recording]",
      'rtp_address = "127.0.0.1"',
      `streams = "${s.streams}"`,
      `ptime = ${s.ptime ?? 20}`,
      `srtp = "${s.srtp ? "require" : "off"}"`,
      // SDES keys over TCP on loopback: the bench measures the cipher, not the key exchange.
      ...(s.srtp ? ['srtp_over_plain = "warn"'] : []),
      "rtp_port_min = 24000",
      "rtp_port_max = 31999",
      "[control]",
      "enabled = true",
      'address = "127.0.0.1"',
      `port = ${s.controlPort}`,
      "[state]",
      `path = "${join(dir, "state.db")}"`,
      "[log]",
      `level = "${process.env["BENCH_DAEMON_LOG"] ?? "error"}"`,
      'format = "json"',
    ].join("\n"),
  );
  // BENCH_DAEMON_PROFILE=DIR: the daemon from source under Bun's sampling profiler (markdown written at exit).
  const prof = process.env["BENCH_DAEMON_PROFILE"];
  const argv =
    prof === undefined
      ? [join(ROOT, "dist/siprec")]
      : [process.execPath, "--cpu-prof", "--cpu-prof-md", `--cpu-prof-dir=${prof}`, "--cpu-prof-interval=200", join(ROOT, "src/main.ts")];
  return Bun.spawn([...argv, "daemon", "-c", config], { stdout: "ignore", stderr: "inherit" });
}
