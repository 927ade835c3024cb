/**
 * One load step of the media-path bench: N recordings through the compiled
 * daemon's real tap path (the emulator places the SIP tap legs, the C sender
 * plays their RTP from each leg's own port, the daemon forks it to the SRS
 * whose answers point at the C sink), or the same legs through the C relay.
 */
import type { SrsServer } from "../../src/srs/server.ts";
import type { FsEmulator } from "../../test/support/fs-emulator.ts";
import type { MemoryReport } from "../../src/daemon/memory-report.ts";
import { daemonMemory, proc, type SinkResult, startLegs, startPipes, startRelay, startSink, until } from "./harness.ts";

export const SINK_PORT = 7000;
/** The C sender's leg ports (below the ephemeral range), leg i from LEG_PORT_BASE + i % LEG_PORTS. */
export const LEG_PORT_BASE = 12000;
export const LEG_PORTS = 4000;
const RELAY_PORT_BASE = 8000;

export interface StepResult {
  readonly n: number;
  readonly cpuPctPerRecording: number;
  readonly cpuPct: number;
  readonly rssKiB: number;
  readonly sink: SinkResult;
  readonly expectedStreams: number;
  /** Recordings that started on something other than the asked-for streams (fallback to mixed). */
  readonly fallbacks: number;
  readonly setupS: number;
  /** The daemon's memory report with the N recordings up (daemon steps). */
  readonly memory?: MemoryReport;
  /** Seconds the recordings were up, at least, when `memory` was read. */
  readonly memoryAfterS?: number;
}

export interface DaemonRig {
  readonly fs: FsEmulator;
  readonly srs: SrsServer;
  readonly pid: number;
  readonly dir: string;
  readonly streams: "separate" | "mixed";
  readonly srtp: boolean;
  readonly tap: "legs" | "media-bug";
  readonly controlPort: number;
  /** Calls placed so far (uuids stay unique across steps). */
  calls: number;
  /** siprec::started seen so far, by the recorded call's uuid, and how far fs.fired was read. */
  readonly started: Map<string, boolean>;
  firedRead: number;
}

const uuid = (n: number, side: number): string => `${side.toString(16).padStart(8, "0")}-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;

function readStarted(r: DaemonRig): void {
  for (; r.firedRead < r.fs.fired.length; r.firedRead++) {
    const e = r.fs.fired[r.firedRead]!;
    if (e.get("Event-Subclass") === "siprec::started") r.started.set(e.get("SIPREC-Target-UUID") ?? "", e.has("SIPREC-Fallback"));
  }
}

async function window(pid: number, seconds: number): Promise<{ cpuPct: number; rssKiB: number }> {
  const a = proc(pid);
  const t0 = performance.now();
  await Bun.sleep(seconds * 1000);
  const b = proc(pid);
  return { cpuPct: ((b.cpuS - a.cpuS) / ((performance.now() - t0) / 1000)) * 100, rssKiB: b.rssKiB };
}

/**
 * An INVITE client transaction stays 32 s after its 2xx, holding the 200 OK (RFC 6026 §8.4: on a 2xx
 * it "MUST transition to the "Accepted" state, pass the 2xx response to the TU, and set Timer M to
 * 64*T1"): a recording's memory is read after that (`settleS` since its set-up) when the step asks for
 * the steady state of a long call.
 */
export const SIP_TIMER_M_S = 32;

/** N recordings at once through the daemon for `seconds` of measurement; memory read `settleS` after set-up at the earliest. */
export async function daemonStep(r: DaemonRig, n: number, seconds: number, idleCpuPct: number, settleS = 0): Promise<StepResult> {
  const t0 = performance.now();
  const calls = Array.from({ length: n }, (_, i) => [uuid(r.calls + i, 0xa), uuid(r.calls + i, 0xb)] as const);
  r.calls += n;
  const legsBefore = r.fs.legs.legs.length;
  const perCall = r.streams === "separate" ? 2 : 1;
  // The send time the C sender puts in a packet does not survive the media-bug tap's PCM → G.711.
  const sink = await startSink(SINK_PORT, !r.srtp && r.tap === "legs");
  let sender: { stop(): Promise<void> } | undefined;
  let setupS = 0;
  let w: { cpuPct: number; rssKiB: number };
  let s: SinkResult;
  try {
    for (const [a, b] of calls) r.fs.playCallStart(a, b);
    const mine = new Set(calls.map(([a]) => a));
    if (r.tap === "media-bug") {
      // One pipe per recording, whatever the streams: the C writer plays FreeSWITCH's recording threads.
      const paths = () => [...r.fs.records.externalPaths].filter(([, c]) => mine.has(c)).map(([p]) => p);
      await until(
        () => paths().length >= n,
        180_000,
        () => `${n} uuid_records (${paths().length} so far)`,
      );
      sender = startPipes(r.dir, paths());
    } else {
      // This step's legs that are up: a late re-originate of an earlier step's leg (its call gone) hangs up at once.
      const legs = () => r.fs.legs.legs.slice(legsBefore).filter((l) => mine.has(l.plan.callUuid) && l.state === "up" && l.remotePort !== undefined);
      await until(
        () => legs().length >= n * perCall,
        180_000,
        () => `${n * perCall} tap legs answered (${legs().length} so far)`,
      );
      sender = startLegs(
        r.dir,
        legs().map((l) => [l.rtpPort, l.remotePort!] as const),
      );
    }
    await until(
      () => {
        readStarted(r);
        return calls.every(([a]) => r.started.has(a));
      },
      180_000,
      () => `${n} recordings started (${calls.filter(([a]) => r.started.has(a)).length} so far)`,
    );
    setupS = (performance.now() - t0) / 1000;
    await Bun.sleep(1000);
    sink.steady();
    w = await window(r.pid, seconds);
    // The audio goes on until the memory is read: without it the tap watchdogs would be repairing
    // every recording by then (legs re-originated, uuid_records restarted), not holding a long call.
    const wait = t0 + setupS * 1000 + settleS * 1000 - performance.now();
    if (wait > 0) await Bun.sleep(wait);
  } finally {
    await sender?.stop();
    await Bun.sleep(300); // what is in flight reaches the sink
    s = await sink.stop();
  }
  // With the N recordings still up, right after the sink stopped: the full collection pauses the
  // daemon for a while, which must not land in the latency figures.
  const memory: MemoryReport = await daemonMemory(r.controlPort);
  const done = r.srs.finished.length;
  for (const [a, b] of calls) r.fs.playCallEnd(a, b);
  await until(() => r.srs.finished.length >= done + n, 120_000, `${n} recordings ended`);
  return {
    n,
    cpuPct: w.cpuPct,
    cpuPctPerRecording: (w.cpuPct - idleCpuPct) / n,
    rssKiB: w.rssKiB,
    sink: s,
    expectedStreams: n * perCall,
    fallbacks: calls.filter(([a]) => r.started.get(a) === true).length,
    setupS,
    memory,
    memoryAfterS: Math.max(settleS, seconds),
  };
}

/** The same legs (2 per recording) through the C relay on the daemon's socket layout. */
export async function relayStep(dir: string, n: number, seconds: number): Promise<StepResult> {
  const legs = Array.from({ length: 2 * n }, (_, i) => i);
  const relay = await startRelay(
    dir,
    legs.map((i) => [RELAY_PORT_BASE + i, SINK_PORT] as const),
  );
  const sink = await startSink(SINK_PORT, true);
  const sender = startLegs(
    dir,
    legs.map((i) => [LEG_PORT_BASE + i, RELAY_PORT_BASE + i] as const),
  );
  await Bun.sleep(1000);
  sink.steady();
  const w = await window(relay.pid, seconds);
  await sender.stop();
  await Bun.sleep(300);
  const s = await sink.stop();
  relay.kill();
  await relay.exited;
  return { n, cpuPct: w.cpuPct, cpuPctPerRecording: w.cpuPct / n, rssKiB: w.rssKiB, sink: s, expectedStreams: 2 * n, fallbacks: 0, setupS: 0 };
}

/** Lossless: every stream reached the sink and none has a gap. */
export const lossless = (s: StepResult): boolean => s.sink.lost === 0 && s.sink.streams >= s.expectedStreams;
