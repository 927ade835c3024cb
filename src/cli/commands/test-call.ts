/**
 * `siprec test-call`: one synthetic recording to an SRS with a pass/fail
 * checklist, the SIP ladder, the negotiated answer per label and per-stream
 * figures. Exit 0 all checks pass, 1 a check failed, 2 usage error.
 */
import type { CliCommand } from "../command.ts";
import { EXIT } from "../exit-codes.ts";
import { loggerFor } from "../logger.ts";
import { type SrsTargetFlags, addSrsTargetOptions, readSrsTarget } from "../srs-target-flags.ts";
import { type TestCallOptions, type TestCallResult, runTestCall } from "../../test-call/run.ts";
import { runLoad } from "../../test-call/load.ts";
import { captureAudio, mixed } from "../../test-call/capture-audio.ts";
import { parseWav } from "../../media/wav.ts";
import { fileScan } from "../../pcap/file-scan.ts";
import { cryptoIds } from "../../platform/crypto-ids.ts";
import { realNet } from "../../platform/net.ts";
import type { OfferCodec } from "../../siprec/offer.ts";

interface Options extends SrsTargetFlags {
  srs: string;
  streams: string;
  duration: string;
  codec: string;
  wav?: string;
  capture?: string;
  callId?: string;
  pauseAt?: string;
  resumeAt?: string;
  caller: string;
  callee: string;
  json?: boolean;
  count: string;
  concurrency: string;
}

function party(s: string): { name: string; aor: string } | undefined {
  const m = /^\s*(.*?)\s*<(sips?:[^>]+)>\s*$/.exec(s);
  return m === null ? undefined : { name: m[1] as string, aor: m[2] as string };
}

function print(r: TestCallResult, out: (s: string) => void): void {
  const t0 = r.report.ladder[0]?.atMs ?? 0;
  out("SIP ladder:");
  for (const e of r.report.ladder) out(`  ${String(e.atMs - t0).padStart(6)} ms  ${e.dir === "out" ? "→" : "←"} ${e.what}`);
  if (r.report.streams.length > 0) {
    out("Answer per label:");
    for (const s of r.report.streams)
      out(`  label ${s.label}: ${s.status}${s.codec === undefined ? "" : ` ${s.codec} to ${s.remote}`}${s.reason === undefined ? "" : ` (${s.reason})`}`);
  }
  if (r.report.figures.length > 0) {
    out("Streams:");
    for (const f of r.report.figures)
      out(
        `  label ${f.label}: ${f.packets} packets, ${f.octets} payload bytes, ${f.gaps} gaps, ${f.droppedPaused} held back while paused${f.rtcp === undefined ? "" : `, SRS reports ${f.rtcp.cumulativeLost} lost, jitter ${f.rtcp.jitterMs.toFixed(1)} ms`}`,
      );
  }
  for (const w of r.report.warnings) out(`warning: ${w}`);
  out("Checks:");
  for (const c of r.checks) out(`  [${c.ok === true ? "pass" : c.ok === false ? "FAIL" : "info"}] ${c.name}${c.detail === undefined ? "" : ` — ${c.detail}`}`);
  out(r.ok ? "test-call passed" : "test-call FAILED");
}

export const testCallCommand: CliCommand = {
  name: "test-call",
  summary: "place one synthetic recording to an SRS and print a pass/fail report",
  register(program, ctx) {
    addSrsTargetOptions(program.command("test-call").description(`${this.summary}; exit 0 all checks pass, 1 a check failed, 2 usage`), { srsRequired: true })
      .option("--streams <n>", "1 (mixed) or 2 (one per direction)", "2")
      .option("--duration <seconds>", "how long to record", "5")
      .option("--codec <codec>", "PCMU, PCMA, G722 or L16 (L16/16000), offered first (then PCMU, PCMA)", "PCMU")
      .option("--wav <file>", "play this WAV (16-bit PCM 8/16 kHz or G.711) instead of tones")
      .option("--capture <file>", "play a captured call (pcap/pcapng): its caller on stream 1, its callee on stream 2")
      .option("--call-id <id>", "with --capture: which call (default: the first with G.711 audio both ways)")
      .option("--pause-at <seconds>", "pause (PCI) at this time")
      .option("--resume-at <seconds>", "resume at this time")
      .option("--caller <party>", "caller as 'Name <sip:aor>'", "Alice <sip:alice@example.com>")
      .option("--callee <party>", "callee as 'Name <sip:aor>'", "Bob <sip:bob@example.com>")
      .option("--json", "print the report as JSON")
      .option("--count <n>", "load mode: this many calls", "1")
      .option("--concurrency <n>", "load mode: calls at a time", "1")
      .action(async (o: Options) => {
        const { io } = ctx;
        const usage = (m: string) => {
          io.err(`siprec test-call: ${m}`);
          ctx.setExit(EXIT.USAGE);
        };
        const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
        const [streams, duration, pauseAt, resumeAt] = [num(o.streams), num(o.duration), num(o.pauseAt), num(o.resumeAt)];
        if (streams !== 1 && streams !== 2) return usage("--streams must be 1 or 2");
        if (duration === undefined || !(duration > 0 && duration <= 3600)) return usage("--duration must be 0-3600 seconds");
        if ([pauseAt, resumeAt].some((x) => x !== undefined && !(x >= 0))) return usage("--pause-at/--resume-at are seconds");
        if (!["PCMU", "PCMA", "G722", "L16"].includes(o.codec)) return usage("--codec must be PCMU, PCMA, G722 or L16");
        const caller = party(o.caller);
        const callee = party(o.callee);
        if (caller === undefined || callee === undefined) return usage("--caller/--callee look like 'Name <sip:user@host>'");
        const resolved = await readSrsTarget(o, io);
        if (!resolved.ok) {
          if (resolved.kind === "usage") return usage(resolved.message);
          io.err(`siprec test-call: ${resolved.message}`);
          return ctx.setExit(EXIT.FAILURE);
        }
        const { target, srtp, srtpSuites, localAddress } = resolved.value;
        const { uri, credentials, tls, transport } = target;
        if (o.wav !== undefined && o.capture !== undefined) return usage("--wav and --capture exclude each other");
        let perStream: Int16Array[] | undefined;
        if (o.capture !== undefined) {
          const a = await captureAudio(o.capture, fileScan(o.capture), o.callId);
          if (!a.ok) {
            io.err(`siprec test-call: ${a.message}`);
            return ctx.setExit(EXIT.FAILURE);
          }
          perStream = streams === 2 ? [a.value.caller, a.value.callee] : [mixed(a.value.caller, a.value.callee)];
        }
        let wav: Int16Array | undefined;
        if (o.wav !== undefined) {
          const bytes = await io.fs.readFile(o.wav).catch(() => undefined);
          const w = bytes === undefined ? undefined : parseWav(bytes);
          if (w === undefined || !w.ok) return usage(`--wav ${o.wav}: ${w === undefined ? "cannot read" : w.error.message}`);
          wav = w.value.samples8k;
        }
        const count = Number(o.count);
        const concurrency = Number(o.concurrency);
        if (!(Number.isInteger(count) && count >= 1 && count <= 1_000_000) || !(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 10_000))
          return usage("--count and --concurrency are whole numbers ≥ 1");
        const level = ctx.logLevel();
        const base: TestCallOptions = {
          srsUri: uri,
          transport,
          ...(tls === undefined ? {} : { tls }),
          streams,
          durationMs: duration * 1000,
          codecs: [o.codec, ...["PCMU", "PCMA"].filter((c) => c !== o.codec)] as OfferCodec[],
          srtp,
          srtpSuites,
          ...(wav === undefined ? {} : { wav }),
          ...(perStream === undefined ? {} : { perStream }),
          ...(pauseAt === undefined ? {} : { pauseAtMs: pauseAt * 1000 }),
          ...(resumeAt === undefined ? {} : { resumeAtMs: resumeAt * 1000 }),
          participants: [caller, callee],
          localHost: localAddress,
          net: realNet(localAddress),
          ...(credentials === undefined ? {} : { credentials }),
          clock: io.clock,
          ids: cryptoIds,
          ...(level === undefined ? {} : { logger: loggerFor(io, { level, format: "auto" }) }),
        };
        if (count > 1) {
          let shown = 0;
          const load = await runLoad(base, count, concurrency, (done) => {
            // Progress on a terminal only, at most every 5%.
            if (io.stderrIsTTY && (done - shown) * 20 >= count) {
              shown = done;
              io.err(`  ${done}/${count} calls`);
            }
          });
          if (o.json) io.out(JSON.stringify(load));
          else
            io.out(
              `${load.calls} calls, ${load.passed} passed, ${load.failed} failed in ${load.seconds.toFixed(1)} s (${load.setupsPerSecond.toFixed(1)} calls/s)${load.firstFailure === undefined ? "" : `; first failure: ${load.firstFailure}`}`,
            );
          return ctx.setExit(load.failed === 0 ? EXIT.OK : EXIT.FAILURE);
        }
        const result = await runTestCall(base);
        if (o.json) io.out(JSON.stringify({ ok: result.ok, checks: result.checks, report: result.report }));
        else print(result, (s) => io.out(s));
        ctx.setExit(result.ok ? EXIT.OK : EXIT.FAILURE);
      });
  },
};
