/**
 * A capture with 100,000 calls (each an INVITE and a 200 OK with SDP, so
 * two announced flows, plus 10 RTP packets per direction), generated in
 * memory and streamed through the reader, the UDP decoder and the call
 * extractor as `siprec replay --list` does. Prints calls/s and the heap held
 * per listed call (what --list of a huge capture costs). Baseline in the
 * same run: the reader + UDP decoder alone over the same bytes.
 */
import type { Figure } from "./stats.ts";
import { CaptureReader } from "../src/pcap/reader.ts";
import { UdpStream } from "../src/pcap/datagrams.ts";
import { CallExtractor } from "../src/pcap/calls.ts";
import { frame, ipv4, pcapFile, udp } from "../test/support/pcap-writer.ts";

const CALLS = 100_000;

function capture(): Uint8Array[] {
  const enc = new TextEncoder();
  const chunks: Uint8Array[] = [];
  let recs: { timeUs: number; data: Uint8Array }[] = [];
  const flush = (): void => {
    // Each chunk is a whole pcap; the header of all but the first is cut off below.
    const file = pcapFile(1, recs);
    chunks.push(chunks.length === 0 ? file : file.subarray(24));
    recs = [];
  };
  for (let i = 0; i < CALLS; i++) {
    const t = i * 1000;
    const port = 10_000 + ((i * 2) % 50_000);
    const sdp = (ip: string) =>
      `v=0\r\no=- ${i} 1 IN IP4 ${ip}\r\ns=-\r\nc=IN IP4 ${ip}\r\nt=0 0\r\nm=audio ${port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n`;
    const msg = (start: string, s: string) =>
      enc.encode(
        `${start}\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK${i}\r\nFrom: <sip:a${i}@10.0.0.1>;tag=a${i}\r\nTo: <sip:b${i}@10.0.0.2>${start.startsWith("SIP") ? `;tag=b${i}` : ""}\r\nCall-ID: call-${i}@bench\r\nCSeq: 1 INVITE\r\nContent-Type: application/sdp\r\nContent-Length: ${s.length}\r\n\r\n${s}`,
      );
    recs.push({ timeUs: t, data: frame.ethernet(ipv4("10.0.0.1", "10.0.0.2", udp(5060, 5060, msg(`INVITE sip:b${i}@10.0.0.2 SIP/2.0`, sdp("10.0.0.1"))))) });
    recs.push({ timeUs: t + 10, data: frame.ethernet(ipv4("10.0.0.2", "10.0.0.1", udp(5060, 5060, msg("SIP/2.0 200 OK", sdp("10.0.0.2"))))) });
    for (let k = 0; k < 10; k++) {
      for (const [src, dst] of [
        ["10.0.0.1", "10.0.0.2"],
        ["10.0.0.2", "10.0.0.1"],
      ] as const) {
        const rtp = new Uint8Array(172);
        rtp[0] = 0x80;
        new DataView(rtp.buffer).setUint16(2, k);
        recs.push({ timeUs: t + 20 + k, data: frame.ethernet(ipv4(src, dst, udp(port, port, rtp))) });
      }
    }
    if (recs.length >= 20_000) flush();
  }
  flush();
  return chunks;
}

export function run(): Figure[] {
  const chunks = capture();
  const bytes = chunks.reduce((n, c) => n + c.length, 0);
  const pass = (extract: boolean): { s: number; calls: number; heapMiB: number } => {
    Bun.gc(true);
    const heap0 = process.memoryUsage().heapUsed;
    const reader = new CaptureReader();
    const stream = new UdpStream();
    const calls = new CallExtractor();
    const t0 = performance.now();
    for (const c of chunks) {
      const r = reader.push(c);
      if (!r.ok) throw new Error(r.error.message);
      for (const p of r.value) for (const d of stream.pushAll(p)) if (extract) calls.push(d);
    }
    const s = (performance.now() - t0) / 1000;
    Bun.gc(true);
    const heapMiB = (process.memoryUsage().heapUsed - heap0) / 1024 / 1024;
    if (extract && calls.calls.size !== CALLS) throw new Error(`found ${calls.calls.size} calls`);
    return { s, calls: calls.calls.size, heapMiB };
  };
  const base = pass(false);
  const full = pass(true);
  return [
    {
      bench: "capture-calls",
      metric: "100,000-call capture: calls extracted",
      value: CALLS / full.s,
      unit: "calls/s",
      note: `${(bytes / 1e6).toFixed(0)} MB in ${full.s.toFixed(2)} s`,
    },
    { bench: "capture-calls", metric: "baseline: read + UDP decode only, same bytes", value: bytes / 1e6 / base.s, unit: "MB/s" },
    { bench: "capture-calls", metric: "ratio extract / decode-only time", value: full.s / base.s, unit: "x" },
    {
      bench: "capture-calls",
      metric: "heap held per listed call",
      value: (full.heapMiB * 1024 * 1024) / CALLS,
      unit: "bytes",
      note: `${full.heapMiB.toFixed(0)} MiB for ${CALLS} calls (2 flows each)`,
    },
  ];
}
