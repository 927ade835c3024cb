/**
 * `siprec replay`: the calls of a capture. `--list` describes each call
 * (Call-ID, parties, start, duration, streams with codec, packets, loss,
 * jitter, RFC 4733 events); `--srs` replays the chosen calls (`--call-id`,
 * `--all`, or the only call) as SIPREC recordings with the capture's timing
 * (`--speed N`, `--max-speed`), one after another, and reports each.
 * `--rtp-only` finds calls from their RTP alone (no SIP in the capture).
 *
 * Memory: listing keeps no packets; replaying keeps the packets of the calls
 * being replayed, a batch of at most REPLAY_BUDGET bytes at a time (the file
 * is read again per batch), so `--all` on a capture of any size is bounded.
 */
import type { CliCommand, CliContext } from "../command.ts";
import { EXIT } from "../exit-codes.ts";
import type { CapturedCall } from "../../pcap/calls.ts";
import { type ReplayResult, replayCall } from "../replay/run-replay.ts";
import { batchesOf, scanCapture } from "../replay/scan-capture.ts";
import { describeCall, listText } from "../replay/list-calls.ts";
import { progressLine } from "../progress-bar.ts";
import { type SrsTargetChoice, applyTransportFlags, resolveSrsTarget } from "../srs-target.ts";
import { cryptoIds } from "../../platform/crypto-ids.ts";
import { loadLibxml } from "../../siprec/metadata/libxml.ts";

const REPLAY_BUDGET = 256 * 1024 * 1024;

interface Options {
  list?: boolean;
  json?: boolean;
  srs?: string;
  config?: string;
  callId?: string;
  all?: boolean;
  rtpOnly?: boolean;
  speed: string;
  maxSpeed?: boolean;
  maxDuration?: string;
  transport?: string;
  tlsCa?: string;
  tlsNoVerify?: boolean;
  srtp?: boolean;
  localAddress: string;
}

export const replayCommand: CliCommand = {
  name: "replay",
  summary: "list the calls of a pcap/pcapng capture, or replay them as SIPREC recordings to an SRS",
  register(program, ctx) {
    program
      .command("replay")
      .description(`${this.summary}; exit 0 all replayed, 1 a call failed or the capture is damaged, 2 usage`)
      .argument("<capture>", "a pcap or pcapng file")
      .option("--list", "describe each call of the capture")
      .option("--json", "machine-readable output")
      .option("--rtp-only", "find calls from RTP alone (the capture has no SIP, or it is encrypted)")
      .option("--srs <uri|name>", "replay to this SRS (a SIP URI or a [[srs]] name from the config)")
      .option("-c, --config <file>", "config file (for --srs NAME)")
      .option("--call-id <id>", "the call to replay")
      .option("--all", "replay every call of the capture")
      .option("--speed <n>", "pace: 1 = as captured, 2 = twice as fast", "1")
      .option("--max-speed", "as fast as possible (regression runs)")
      .option("--max-duration <seconds>", "replay only the start of each call")
      .option("--transport <t>", "udp, tcp or tls toward the SRS (default: the server's, else tcp)")
      .option("--tls-ca <file>", "PEM trust anchors for the SRS's certificate (TLS)")
      .option("--tls-no-verify", "do not verify the SRS's certificate (labs only)")
      .option("--srtp", "SRTP with SDES keys toward the SRS (default: the config's [recording] srtp)")
      .option("--local-address <ip>", "our address as the SRS sees it (SIP and RTP)", "127.0.0.1")
      .action(async (file: string, o: Options) => {
        const { io } = ctx;
        const usage = (m: string): void => {
          io.err(`siprec replay: ${m}`);
          ctx.setExit(EXIT.USAGE);
        };
        if (o.list !== true && o.srs === undefined) return usage("say --list, or --srs URI|NAME to replay");
        const speed = o.maxSpeed === true ? 0 : Number(o.speed);
        const maxDurationS = o.maxDuration === undefined ? undefined : Number(o.maxDuration);
        if (!(speed === 0 || (speed >= 0.1 && speed <= 100))) return usage("--speed must be 0.1-100");
        if (maxDurationS !== undefined && !(maxDurationS > 0)) return usage("--max-duration must be seconds > 0");
        if (o.callId !== undefined && o.all === true) return usage("--call-id and --all exclude each other");
        const rtpOnly = o.rtpOnly === true;
        if (o.list === true) {
          const scan = await scanCapture(file, { rtpOnly, keep: () => false });
          if (!scan.ok) {
            io.err(`siprec replay: ${scan.message}`);
            return ctx.setExit(EXIT.FAILURE);
          }
          if (o.json === true) io.out(JSON.stringify({ file, calls: scan.calls.map(describeCall), callsNotListed: scan.callsNotKept, notes: scan.notes, ...(scan.damage === undefined ? {} : { error: scan.damage }) }, null, 2));
          else for (const line of [...listText(file, scan.calls, scan.callsNotKept), ...scan.notes.map((n) => `note: ${n}`)]) io.out(line);
          // A damaged capture still lists what was read before the damage.
          if (scan.damage !== undefined) io.err(scan.damage);
          return ctx.setExit(scan.damage === undefined ? EXIT.OK : EXIT.FAILURE);
        }
        const found = await resolveSrsTarget(o.srs as string, o.config, io);
        const target = found.ok ? await applyTransportFlags(found.value, o, io) : found;
        if (!target.ok) {
          if (target.error.kind === "usage") return usage(target.error.message);
          io.err(`siprec replay: ${target.error.message}`);
          return ctx.setExit(EXIT.FAILURE);
        }
        await replayChosen(ctx, file, o, target.value, speed, maxDurationS);
      });
  },
};

async function replayChosen(ctx: CliContext, file: string, o: Options, target: SrsTargetChoice, speed: number, maxDurationS: number | undefined): Promise<void> {
  const { io } = ctx;
  const rtpOnly = o.rtpOnly === true;
  // One pass finds the calls (and keeps the one --call-id names); --all re-reads per batch.
  const first = await scanCapture(file, { rtpOnly, keep: (id) => id === o.callId });
  if (!first.ok) {
    io.err(`siprec replay: ${first.message}`);
    return ctx.setExit(EXIT.FAILURE);
  }
  if (first.damage !== undefined) io.err(`${first.damage}; replaying what was read before it`);
  const all = first.calls;
  const chosen = o.callId !== undefined ? all.filter((c) => c.callId === o.callId) : o.all === true || all.length === 1 ? all : [];
  if (chosen.length === 0) {
    for (const n of first.notes) io.err(`note: ${n}`);
    if (all.length === 0) {
      ctx.setExit(EXIT.FAILURE);
      return io.err(`siprec replay: no calls in ${file}${rtpOnly ? "" : " (try --rtp-only if it has RTP but no SIP)"}`);
    }
    ctx.setExit(EXIT.USAGE);
    return io.err(o.callId !== undefined ? `siprec replay: no call ${JSON.stringify(o.callId)} in the capture (see --list)` : `siprec replay: the capture has ${all.length} calls: choose one with --call-id, or --all`);
  }
  const lib = chosen.some((c) => c.siprec) ? await loadLibxml() : undefined;
  const srtp = o.srtp === true ? "require" : (target.srtp ?? "off");
  const batches = o.callId !== undefined ? [chosen] : batchesOf(chosen, REPLAY_BUDGET);
  const results: ReplayResult[] = [];
  let n = 0;
  // Ctrl-C / SIGTERM: the call being replayed ends with a BYE and its report; no further call starts.
  let interrupted: string | undefined;
  const interruption = io.stopSignal().then((s) => (interrupted = s));
  for (const batch of batches) {
    if (interrupted !== undefined) break;
    let calls: readonly CapturedCall[] = batch;
    if (o.callId === undefined) {
      const ids = new Set(batch.map((c) => c.callId));
      const again = await scanCapture(file, { rtpOnly, keep: (id) => ids.has(id) });
      if (!again.ok) {
        io.err(`siprec replay: ${again.message}`);
        return ctx.setExit(EXIT.FAILURE);
      }
      calls = again.calls.filter((c) => ids.has(c.callId));
    }
    for (const call of calls) {
      if (interrupted !== undefined) break;
      n++;
      const label = `${n}/${chosen.length} ${call.callId}`;
      const t0 = io.clock.now();
      const onProgress = io.stderrIsTTY ? (done: number, total: number) => io.status(progressLine(label, done, total, io.clock.now() - t0)) : undefined;
      const r = await replayCall(call, {
        srsUri: target.uri,
        transport: target.transport ?? "tcp",
        ...(target.tls === undefined ? {} : { tls: target.tls }),
        srtp,
        ...(lib === undefined ? {} : { lib }),
        ...(target.credentials === undefined ? {} : { credentials: target.credentials }),
        speed,
        ...(maxDurationS === undefined ? {} : { maxDurationMs: maxDurationS * 1000 }),
        ...(onProgress === undefined ? {} : { onProgress }),
        interrupted: interruption,
        localHost: o.localAddress,
        clock: io.clock,
        ids: cryptoIds,
      });
      if (io.stderrIsTTY) io.status("");
      results.push(r);
      if (o.json !== true) printResult(ctx, r, target.uri);
    }
  }
  if (o.json === true) {
    const calls = results.map((r) => ({ callId: r.callId, ok: r.ok, packetsReplayed: r.packetsReplayed, srs: r.report?.srs, reason: r.refused ?? r.report?.reason, warnings: [...r.warnings, ...(r.report?.warnings ?? [])], streams: r.report?.streams ?? [], figures: r.report?.figures ?? [] }));
    io.out(JSON.stringify({ file, calls, ...(first.damage === undefined ? {} : { error: first.damage }) }, null, 2));
  }
  if (interrupted !== undefined) io.err(`siprec replay: interrupted (${interrupted}) after ${results.length} of ${chosen.length} calls`);
  ctx.setExit(results.every((r) => r.ok) && first.damage === undefined && interrupted === undefined ? EXIT.OK : EXIT.FAILURE);
}

function printResult(ctx: CliContext, r: ReplayResult, uri: string): void {
  const { io } = ctx;
  const why = r.refused ?? r.report?.reason ?? r.report?.state ?? "";
  io.out(`${r.ok ? "ok  " : "FAIL"} ${r.callId}: ${r.packetsReplayed} packets replayed to ${r.report?.srs ?? uri}${r.ok ? "" : ` (${why})`}`);
  for (const f of r.report?.figures ?? []) io.out(`       label ${f.label}: ${f.packets} packets sent`);
  for (const w of [...r.warnings, ...(r.report?.warnings ?? [])]) io.out(`       warning: ${w}`);
}
