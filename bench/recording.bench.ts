/**
 * Recording set-ups per second and memory per active recording:
 * siprec's test-call engine (in this process, one shared SIP stack) against
 * `dist/siprec srs` in another process over TCP on 127.0.0.1.
 * - set-ups/s: 600 recordings (2 streams each), 50 at a time, each hung up
 *   as soon as it is established (INVITE, 200, ACK, RTP start, BYE);
 * - memory: 200 recordings held active at once, both streams sending, RSS of
 *   this process (the SRC side) before and during, per recording.
 * Targets: ≥ 300 set-ups/s, < 200 KiB per active recording.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Figure } from "./stats.ts";
import { runLoad } from "../src/test-call/load.ts";
import { realNet } from "../src/platform/net.ts";
import { cryptoIds } from "../src/platform/crypto-ids.ts";
import { systemClock } from "../src/platform/system-clock.ts";
import { freePort } from "../test/support/sip-stack.ts";

const ROOT = new URL("..", import.meta.url).pathname;

function rssKiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
}

export async function run(): Promise<Figure[]> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "siprec-bench-rec-"));
  const srs = Bun.spawn([join(ROOT, "dist/siprec"), "srs", "--listen", `127.0.0.1:${port}`, "--transport", "tcp", "--dir", dir, "--log-level", "error"], {
    stdout: "pipe",
    stderr: "inherit",
  });
  const reader = srs.stdout.getReader();
  for (let s = ""; !s.includes("listening"); ) s += new TextDecoder().decode((await reader.read()).value ?? new Uint8Array());
  void (async () => {
    for (;;) if ((await reader.read()).done) break;
  })();
  const base = {
    srsUri: `sip:srs@127.0.0.1:${port}`,
    transport: "tcp" as const,
    streams: 2 as const,
    codecs: ["PCMU" as const],
    srtp: "off" as const,
    participants: [],
    localHost: "127.0.0.1",
    net: realNet("127.0.0.1"),
    clock: systemClock,
    ids: cryptoIds,
  };
  try {
    await runLoad({ ...base, durationMs: 1 }, 50, 25);
    const setups = await runLoad({ ...base, durationMs: 1 }, 600, 50);
    // RSS does not shrink reliably after the set-up phase; the JS heap plus external
    // buffers (sockets' and packets' ArrayBuffers), measured after a full GC, does.
    const used = () => {
      Bun.gc(true);
      const m = process.memoryUsage();
      return (m.heapUsed + m.external) / 1024;
    };
    await Bun.sleep(500);
    const before = used();
    const srsBefore = rssKiB(srs.pid);
    let established = 0;
    let peak = before;
    let srsPeak = srsBefore;
    const held = runLoad({ ...base, durationMs: 6000, onEstablished: () => void established++ }, 200, 200);
    while (established < 200) await Bun.sleep(100);
    await Bun.sleep(1000);
    peak = used();
    srsPeak = rssKiB(srs.pid);
    const heldResult = await held;
    return [
      {
        bench: "recording",
        metric: "set-ups/s (2 streams, 50 in flight)",
        value: Math.round(setups.setupsPerSecond),
        unit: "rec/s",
        note: `${setups.passed}/${setups.calls} passed; target >= 300`,
      },
      {
        bench: "recording",
        metric: "SRC heap+buffers per active recording",
        value: Math.round((peak - before) / 200),
        unit: "KiB",
        note: `200 active (2 streams each), ${heldResult.passed} passed; target < 200 KiB`,
      },
      {
        bench: "recording",
        metric: "reference SRS RSS growth per recording",
        value: Math.round((srsPeak - srsBefore) / 200),
        unit: "KiB",
        note: "siprec srs in its own process (WAV timelines included)",
      },
    ];
  } finally {
    srs.kill("SIGINT");
    await srs.exited;
  }
}
