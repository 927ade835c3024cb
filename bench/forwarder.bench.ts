/**
 * Forwarding throughput (issue #5 bench). N streams at 50 packets/s each go
 * sender → relay → sink over 127.0.0.1, the sender and sink being a small C
 * tool in other processes. Three relays in the same run:
 *   siprec  — the real forker (RTP rewrite per packet) with batched sends,
 *   naive   — a Bun relay with one send per packet (the baseline to beat),
 *   C       — recvmmsg/sendmmsg, the physical-limit reference.
 * Per step: packets/s delivered, loss, relay CPU %, p50/p99 one-way latency
 * (includes two loopback hops). Then the highest rate each holds under 0.01%
 * loss, the ratios, and SRTP protect/unprotect packets/s.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Figure } from "./stats.ts";
import { SrtpContext } from "../src/rtp/srtp/context.ts";
import { serializeRtp } from "../src/rtp/packet.ts";
import { freePort } from "../test/support/sip-stack.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const TOOL = join(ROOT, ".bench/udp-tool");
const STEPS = (process.env["BENCH_FWD_STEPS"] ?? "500,1000,2000,3000,4000").split(",").map(Number);
const SECONDS = Number(process.env["BENCH_FWD_SECONDS"] ?? 3);

function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return Number(f[11]) + Number(f[12]);
}

async function startRelay(kind: string, listen: number, sink: number, streams: number): Promise<ReturnType<typeof Bun.spawn>> {
  const cmd =
    kind === "C"
      ? [TOOL, "relay", String(listen), String(sink)]
      : kind === "naive"
        ? [process.execPath, join(ROOT, "bench/forwarder/naive-relay.ts"), String(listen), String(sink)]
        : [process.execPath, join(ROOT, "bench/forwarder/forker-relay.ts"), String(listen), String(sink), String(streams)];
  const p = Bun.spawn(cmd, { stdout: "pipe", stderr: "inherit" });
  if (kind !== "C") {
    const r = p.stdout.getReader();
    for (let s = ""; !s.includes("ready"); ) s += new TextDecoder().decode((await r.read()).value ?? new Uint8Array());
  } else await Bun.sleep(100);
  return p;
}

interface Step {
  readonly streams: number;
  readonly pps: number;
  readonly lossPct: number;
  readonly cpuPct: number;
  readonly p50us: number;
  readonly p99us: number;
}

interface Relay {
  readonly proc: ReturnType<typeof Bun.spawn>;
  readonly listen: number;
  readonly sinkPort: number;
}

/** One relay process per kind, warmed up (JIT, allocations) before anything is measured. */
async function relayFor(kind: string, maxStreams: number): Promise<Relay> {
  const listen = await freePort();
  const sinkPort = await freePort();
  const proc = await startRelay(kind, listen, sinkPort, maxStreams);
  const warm = Bun.spawn([TOOL, "sink", String(sinkPort), "2.5"], { stdout: "ignore" });
  await Bun.sleep(100);
  await Bun.spawn([TOOL, "send", String(listen), String(maxStreams), String(Math.min(maxStreams * 50, 50_000)), "2"], { stdout: "ignore" }).exited;
  await warm.exited;
  return { proc, listen, sinkPort };
}

async function step(relayInfo: Relay, streams: number): Promise<Step> {
  const { listen, sinkPort } = relayInfo;
  const relay = relayInfo.proc;
  const sink = Bun.spawn([TOOL, "sink", String(sinkPort), String(SECONDS + 1)], { stdout: "pipe" });
  await Bun.sleep(100);
  const c0 = cpuTicks(relay.pid);
  const t0 = performance.now();
  const sender = Bun.spawn([TOOL, "send", String(listen), String(streams), String(streams * 50), String(SECONDS)], { stdout: "pipe" });
  const sent = Number(/sent (\d+)/.exec(await new Response(sender.stdout).text())?.[1] ?? 0);
  const wall = (performance.now() - t0) / 1000;
  const c1 = cpuTicks(relay.pid);
  const res = await new Response(sink.stdout).text();
  const m = /received (\d+) p50_us ([\d.]+) p99_us ([\d.]+)/.exec(res);
  const received = Number(m?.[1] ?? 0);
  return {
    streams,
    pps: received / SECONDS,
    lossPct: sent === 0 ? 100 : (100 * (sent - Math.min(sent, received))) / sent,
    cpuPct: ((c1 - c0) / 100 / wall) * 100,
    p50us: Number(m?.[2] ?? 0),
    p99us: Number(m?.[3] ?? 0),
  };
}

function srtpRates(suite: "AES_CM_128_HMAC_SHA1_80" | "AEAD_AES_128_GCM"): { protect: number; unprotect: number } {
  const key = new Uint8Array(16).fill(1);
  const salt = new Uint8Array(suite === "AEAD_AES_128_GCM" ? 12 : 14).fill(2);
  const tx = new SrtpContext({ suite, masterKey: key, masterSalt: salt });
  const rx = new SrtpContext({ suite, masterKey: key, masterSalt: salt });
  const N = 200_000;
  const plain = Array.from({ length: 1024 }, (_, i) =>
    serializeRtp({ marker: false, payloadType: 0, sequence: i, timestamp: i * 160, ssrc: 9, csrcs: [], payload: new Uint8Array(160), paddingLength: 0 }),
  );
  const prot: Uint8Array[] = [];
  let t = performance.now();
  for (let i = 0; i < N; i++) {
    const p = plain[i & 1023] as Uint8Array;
    p[2] = (i >> 8) & 0xff;
    p[3] = i & 0xff;
    const r = tx.protectRtp(p);
    if (r.ok && i < 65536) prot.push(r.value);
  }
  const protect = N / ((performance.now() - t) / 1000);
  t = performance.now();
  let n = 0;
  for (const p of prot) if (rx.unprotectRtp(p).ok) n++;
  return { protect, unprotect: n / ((performance.now() - t) / 1000) };
}

export async function run(): Promise<Figure[]> {
  mkdirSync(dirname(TOOL), { recursive: true }); // a fresh clone has no .bench/
  const cc = Bun.spawnSync(["cc", "-O2", "-o", TOOL, join(ROOT, "bench/forwarder/udp-tool.c")], { stderr: "pipe" });
  if (cc.exitCode !== 0) throw new Error(`cc: ${cc.stderr.toString()}`);
  const figures: Figure[] = [];
  const best = new Map<string, number>();
  for (const kind of ["siprec", "naive", "C"]) {
    const relay = await relayFor(kind, Math.max(...STEPS));
    for (const n of STEPS) {
      const s = await step(relay, n);
      figures.push({
        bench: "forwarder",
        metric: `${kind} ${n} streams (${n * 50} pps offered)`,
        value: Math.round(s.pps),
        unit: "pps",
        note: `loss ${s.lossPct.toFixed(3)}%, cpu ${s.cpuPct.toFixed(0)}%, p50 ${(s.p50us / 1000).toFixed(2)} ms, p99 ${(s.p99us / 1000).toFixed(2)} ms`,
      });
      if (s.lossPct < 0.01) best.set(kind, Math.max(best.get(kind) ?? 0, n * 50));
    }
    relay.proc.kill();
    await relay.proc.exited;
  }
  const c = best.get("C") ?? 0;
  for (const kind of ["siprec", "naive", "C"])
    figures.push({ bench: "forwarder", metric: `${kind}: highest lossless rate (<0.01%)`, value: best.get(kind) ?? 0, unit: "pps" });
  figures.push({
    bench: "forwarder",
    metric: "ratio siprec / C relay (lossless)",
    value: c === 0 ? 0 : (best.get("siprec") ?? 0) / c,
    unit: "x",
    note: "target >= 0.6",
  });
  figures.push({
    bench: "forwarder",
    metric: "ratio siprec / naive Bun relay",
    value: (best.get("naive") ?? 0) === 0 ? 0 : (best.get("siprec") ?? 0) / (best.get("naive") as number),
    unit: "x",
  });
  for (const suite of ["AES_CM_128_HMAC_SHA1_80", "AEAD_AES_128_GCM"] as const) {
    const s = srtpRates(suite);
    figures.push({ bench: "forwarder", metric: `SRTP protect (${suite})`, value: Math.round(s.protect), unit: "pkt/s", note: "target >= 500k" });
    figures.push({ bench: "forwarder", metric: `SRTP unprotect (${suite})`, value: Math.round(s.unprotect), unit: "pkt/s" });
  }
  return figures;
}
