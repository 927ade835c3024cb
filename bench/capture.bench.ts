/**
 * Capture reading throughput and memory: 1 GiB of pcapng generated on the
 * fly (the two-way PCMU fixture's packets, repeated) streamed in 1 MiB
 * chunks through the reader and the UDP decoder, never held whole. Peak RSS
 * is sampled as it goes: it must stay flat in file size. Baseline in the
 * same run: copying the same chunks (memory bandwidth).
 * Target: ≥ 300 MB/s.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Figure } from "./stats.ts";
import { CaptureReader } from "../src/pcap/reader.ts";
import { FS_FIXTURES } from "../test/support/esl-fixtures.ts";
import { UdpStream } from "../src/pcap/datagrams.ts";

const TOTAL = 1024 * 1024 * 1024;
const CHUNK = 1024 * 1024;

function rssMiB(): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync("/proc/self/status", "utf8"))?.[1] ?? 0) / 1024;
}

export function run(): Figure[] {
  const fixture = new Uint8Array(readFileSync(join(FS_FIXTURES, "call-pcmu-two-way.pcapng")));
  // Header blocks (SHB + IDB) once, then the packet blocks over and over.
  const firstEpb = (() => {
    const dv = new DataView(fixture.buffer, fixture.byteOffset);
    for (let at = 0; at < fixture.length; at += dv.getUint32(at + 4, true)) if (dv.getUint32(at, true) === 6) return at;
    throw new Error("no EPB in the fixture");
  })();
  const head = fixture.subarray(0, firstEpb);
  const body = fixture.subarray(firstEpb);
  // The packet blocks repeated back to back; chunk k starts k MiB into that endless stream,
  // so chunks cut records anywhere and the reader must carry the remainder over.
  const ring = new Uint8Array(CHUNK + body.length);
  for (let at = 0; at < ring.length; at += body.length) ring.set(body.subarray(0, Math.min(body.length, ring.length - at)), at);
  const chunkAt = (n: number): Uint8Array => ring.subarray(n % body.length, (n % body.length) + CHUNK);
  const chunk = chunkAt(0);
  const copyTarget = new Uint8Array(CHUNK);
  const t0 = performance.now();
  for (let n = 0; n < TOTAL; n += CHUNK) copyTarget.set(chunk);
  const copyS = (performance.now() - t0) / 1000;

  Bun.gc(true);
  const rssStart = rssMiB();
  let peak = rssStart;
  const reader = new CaptureReader();
  const udp = new UdpStream();
  let datagrams = 0;
  let quarter = 0;
  let bytesIn = 0;
  const t1 = performance.now();
  const first = reader.push(head);
  if (!first.ok) throw new Error(first.error.message);
  // Records straddle chunk edges: keep feeding whole copies of the body, the reader joins the cut record.
  for (let n = 0; n < TOTAL; n += CHUNK) {
    const r = reader.push(chunkAt(n));
    if (!r.ok) throw new Error(`${r.error.code} at ${r.error.offset}: ${r.error.message}`);
    for (const p of r.value) if (udp.push(p) !== undefined) datagrams++;
    bytesIn += CHUNK;
    if ((n / CHUNK) % 128 === 0) peak = Math.max(peak, rssMiB());
    if (n === TOTAL / 4) quarter = peak;
  }
  const readS = (performance.now() - t1) / 1000;
  peak = Math.max(peak, rssMiB());
  const mbps = bytesIn / 1e6 / readS;
  return [
    {
      bench: "capture",
      metric: "read + UDP decode (1 GiB pcapng)",
      value: mbps,
      unit: "MB/s",
      note: `${(datagrams / readS / 1e6).toFixed(2)} M datagrams/s; target 300`,
    },
    { bench: "capture", metric: "baseline: memcpy of the same chunks", value: bytesIn / 1e6 / copyS, unit: "MB/s" },
    { bench: "capture", metric: "ratio read / memcpy", value: mbps / (bytesIn / 1e6 / copyS), unit: "x" },
    {
      bench: "capture",
      metric: "RSS growth over 1 GiB",
      value: Math.round(peak - rssStart),
      unit: "MiB",
      note: `start ${Math.round(rssStart)} MiB, peak after 256 MiB read ${Math.round(quarter)} MiB, after 1 GiB ${Math.round(peak)} MiB`,
    },
  ];
}
