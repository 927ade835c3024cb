/**
 * Set-up latency and rate: calls start at 50/s for 20 s (each recorded for
 * 2 s, so about 100 at once), through the compiled daemon's whole set-up
 * path: siprec::start leaves "FreeSWITCH", the daemon originates both tap
 * legs, they answer over SIP and carry RTP (the emulator's captured packets,
 * from each leg's own port), then the SIPREC INVITE reaches the SRS.
 */
import { freePort } from "../../test/support/sip-stack.ts";
import type { Figure } from "../stats.ts";
import { median, percentile } from "../stats.ts";
import { FsEmulator } from "../../test/support/fs-emulator.ts";
import { benchDir, openSinkSrs, startDaemon, startSink, until } from "./harness.ts";
import { SINK_PORT } from "./steps.ts";

const RATE = Number(process.env["BENCH_SETUP_RATE"] ?? 50);
const SECONDS = Number(process.env["BENCH_SETUP_SECONDS"] ?? 20);
const HOLD_MS = 2000;

const uuid = (n: number, side: number): string => `${side.toString(16).padStart(8, "0")}-0000-4000-9000-${n.toString(16).padStart(12, "0")}`;

export async function setupRate(): Promise<Figure[]> {
  const fs = await FsEmulator.start();
  const dir = benchDir("setup");
  const srs = await openSinkSrs(SINK_PORT, dir);
  const sink = await startSink(SINK_PORT, true);
  const daemon = startDaemon(
    { eslPort: fs.port, srsPort: srs.transports.get("tcp")!.local.port, srtp: false, streams: "separate", tap: "legs", controlPort: await freePort() },
    dir,
  );
  try {
    await until(() => fs.commands.some((c) => c.startsWith("event plain ")), 10_000, "the daemon's subscription");
    const total = RATE * SECONDS;
    const startedAt = new Map<string, number>();
    // The metadata's ids are random (RFC 7865 §6.10), so INVITEs are counted and timed, not matched to calls;
    // each call's own latency runs to its siprec::started (sent once the SRS has answered the INVITE).
    const invites: number[] = [];
    const handle = srs.ua.onInvite;
    srs.ua.onInvite = (inv) => {
      invites.push(performance.now());
      handle(inv);
    };
    const t0 = performance.now();
    for (let i = 0; i < total; i++) {
      // Absolute deadlines: a late timer starts what is due at once.
      const wait = t0 + (i * 1000) / RATE - performance.now();
      if (wait > 1) await Bun.sleep(wait);
      const [a, b] = [uuid(i, 0xa), uuid(i, 0xb)];
      startedAt.set(a, performance.now());
      fs.playCallStart(a, b);
      setTimeout(() => fs.playCallEnd(a, b), HOLD_MS);
    }
    const ofKind = (kind: string): number => fs.fired.filter((e) => e.get("Event-Subclass") === kind).length;
    await until(
      () => srs.finished.length >= total,
      60_000,
      () =>
        `${total} recordings to end (${srs.finished.length} ended, ${invites.length} INVITEs, ${ofKind("siprec::started")} started, ${ofKind("siprec::failed")} failed)`,
    );
    const toStarted: number[] = [];
    fs.fired.forEach((e, i) => {
      const at = startedAt.get(e.get("SIPREC-Target-UUID") ?? "");
      if (e.get("Event-Subclass") === "siprec::started" && at !== undefined) toStarted.push(fs.firedAt[i]! - at);
    });
    const achieved = invites.length === 0 ? 0 : invites.length / ((Math.max(...invites) - t0) / 1000);
    return [
      { bench: "media-path", metric: `set-up at ${RATE} calls/s, ${SECONDS} s`, value: toStarted.length, unit: `of ${total} recorded` },
      { bench: "media-path", metric: "set-up rate achieved (INVITEs at the SRS)", value: achieved, unit: "recordings/s" },
      {
        bench: "media-path",
        metric: "start event -> recording up p50",
        value: median(toStarted),
        unit: "ms",
        note: "tap legs over SIP + INVITE answered + siprec::started",
      },
      { bench: "media-path", metric: "start event -> recording up p99", value: percentile(toStarted, 99), unit: "ms" },
    ];
  } finally {
    daemon.kill("SIGTERM");
    await daemon.exited;
    await sink.stop();
    await srs.stop();
    fs.stop();
  }
}
