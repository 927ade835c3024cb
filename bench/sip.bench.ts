/**
 * SIP stack throughput and memory:
 * - calls/s (each INVITE→100→200→ACK, BYE→200: two transactions) from our
 *   UAC to a SIPp UAS on 127.0.0.1 over UDP, 20 calls in flight;
 * - baseline in the same run: SIPp's own UAC placing the same calls to a
 *   fresh SIPp UAS;
 * - heap bytes per open dialog (10,000 dialogs held on an in-memory pair).
 */
import { join } from "node:path";
import type { Figure } from "./stats.ts";
import { StreamFramer } from "../src/sip/message/stream-framer.ts";
import { invite } from "../src/sip/ua/uac-invite.ts";
import { freePort, sipStack } from "../test/support/sip-stack.ts";
import { uaPair, run as runClock } from "../test/support/ua-pair.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const CALLS = Number(process.env["BENCH_SIP_CALLS"] ?? 2000);
const SDP = new TextEncoder().encode(
  "v=0\r\no=siprec 1 1 IN IP4 127.0.0.1\r\ns=siprec\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 20000 RTP/AVP 0\r\na=sendonly\r\na=label:1\r\n",
);

/** A 60 KiB request head fed to the stream framer one byte at a time, and in one chunk (baseline). */
function framerTrickle(): { trickleMs: number; chunkMs: number } {
  const head = new TextEncoder().encode(
    `OPTIONS sip:a@127.0.0.1 SIP/2.0\r\n${"X-Pad: ".concat("a".repeat(100)).concat("\r\n").repeat(590)}Content-Length: 0\r\n\r\n`,
  );
  let t = performance.now();
  const one = new StreamFramer();
  for (let i = 0; i < head.length; i++) one.push(head.subarray(i, i + 1));
  const trickleMs = performance.now() - t;
  t = performance.now();
  new StreamFramer().push(head);
  return { trickleMs, chunkMs: performance.now() - t };
}

function sippUas(port: number, calls: number) {
  return Bun.spawn(
    [
      "sipp",
      "-sf",
      join(ROOT, "test/integration/sipp/uas-answer-200.xml"),
      "-i",
      "127.0.0.1",
      "-p",
      String(port),
      "-t",
      "u1",
      "-m",
      String(calls),
      "-nostdin",
      "-mp",
      "0",
      "-timeout",
      "120s",
    ],
    { stdout: "ignore", stderr: "ignore", cwd: "/tmp" },
  );
}

async function ours(): Promise<number> {
  const port = await freePort();
  const uas = sippUas(port, CALLS);
  await Bun.sleep(500);
  const stack = await sipStack("udp");
  let next = 0;
  let failed = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < CALLS) {
      next++;
      const out = await invite(stack.ua, {
        uri: `sip:srs@127.0.0.1:${port}`,
        peer: stack.peer(port),
        from: "<sip:siprec@127.0.0.1>",
        to: `<sip:srs@127.0.0.1:${port}>`,
        headers: [{ name: "Require", value: "siprec" }],
        body: SDP,
        contentType: "application/sdp",
      });
      if (!out.ok) failed++;
      else await out.session.bye();
    }
  };
  await Promise.all(Array.from({ length: 20 }, worker));
  const seconds = (performance.now() - t0) / 1000;
  await uas.exited;
  stack.close();
  if (failed > 0) throw new Error(`${failed} of ${CALLS} calls failed`);
  return CALLS / seconds;
}

async function sippBaseline(): Promise<number> {
  const port = await freePort();
  const uas = sippUas(port, CALLS);
  await Bun.sleep(500);
  const t0 = performance.now();
  const uac = Bun.spawn(
    [
      "sipp",
      "-sf",
      join(ROOT, "bench/sipp/uac-bench.xml"),
      "-i",
      "127.0.0.1",
      "-p",
      String(await freePort()),
      "-t",
      "u1",
      "-m",
      String(CALLS),
      "-r",
      "100000",
      "-l",
      "20",
      "-nostdin",
      "-mp",
      "0",
      "-timeout",
      "120s",
      `127.0.0.1:${port}`,
    ],
    { stdout: "ignore", stderr: "ignore", cwd: "/tmp" },
  );
  const code = await uac.exited;
  const seconds = (performance.now() - t0) / 1000;
  await uas.exited;
  if (code !== 0) throw new Error(`sipp uac exited ${code}`);
  return CALLS / seconds;
}

async function bytesPerDialog(n: number): Promise<number> {
  const p = uaPair("udp");
  p.srs.ua.onInvite = (inv) => void inv.accept({ body: SDP, contentType: "application/sdp" });
  Bun.gc(true);
  const before = process.memoryUsage().heapUsed;
  const pending = Array.from({ length: n }, () =>
    invite(p.src.ua, {
      uri: "sip:srs@127.0.0.1:5070",
      peer: p.srs.peer,
      from: "<sip:siprec@127.0.0.1>",
      to: "<sip:srs@127.0.0.1>",
      body: SDP,
      contentType: "application/sdp",
    }),
  );
  await runClock(p.clock, 100, 10);
  await Promise.all(pending);
  // Let every transaction finish (Timer K/D/M), so only dialogs remain.
  await runClock(p.clock, 40_000, 5000);
  Bun.gc(true);
  const after = process.memoryUsage().heapUsed;
  if (p.src.ua.dialogs.size !== n) throw new Error(`expected ${n} dialogs, have ${p.src.ua.dialogs.size}`);
  // Both sides hold a dialog per call: report per dialog.
  return (after - before) / (2 * n);
}

export async function run(): Promise<Figure[]> {
  const mine = await ours();
  const theirs = await sippBaseline();
  const perDialog = await bytesPerDialog(10_000);
  const framer = framerTrickle();
  return [
    {
      bench: "sip",
      metric: "framer: 60 KiB head one byte at a time",
      value: Math.round(framer.trickleMs * 10) / 10,
      unit: "ms",
      note: `one chunk: ${framer.chunkMs.toFixed(2)} ms, ratio ${(framer.trickleMs / Math.max(0.001, framer.chunkMs)).toFixed(0)}x (a slow-loris client's cost)`,
    },
    {
      bench: "sip",
      metric: "calls/s, siprec UAC → SIPp UAS (udp)",
      value: Math.round(mine),
      unit: "calls/s",
      note: `${CALLS} calls, 20 in flight, ${Math.round(mine * 2)} transactions/s`,
    },
    { bench: "sip", metric: "calls/s, SIPp UAC → SIPp UAS (baseline)", value: Math.round(theirs), unit: "calls/s" },
    { bench: "sip", metric: "ratio siprec / SIPp", value: mine / theirs, unit: "x" },
    { bench: "sip", metric: "heap per open dialog", value: Math.round(perDialog), unit: "bytes", note: "10,000 calls, both sides' dialogs counted" },
  ];
}
