/**
 * `siprec replay --srs`: the chosen calls of a capture replayed as SIPREC
 * recordings over one SIP stack — `concurrency` at a time, or each at its
 * offset in the capture (`--timeline`, so calls overlap as they did) — each
 * reported as it ends (text) or all at the end in capture order (`--json`).
 *
 * Memory: one pass finds the calls (keeping the packets of the one
 * `--call-id` names); `--all` then reads the file again per batch of calls
 * whose packets fit REPLAY_BUDGET, so a capture of any size is bounded.
 * Progress: on a terminal, a bar per call (one at a time) or over the calls.
 * Ctrl-C / SIGTERM: the calls in progress end with their BYE and report; no
 * further call starts; exit 1.
 */
import type { CliContext } from "../command.ts";
import { EXIT } from "../exit-codes.ts";
import { loggerFor } from "../logger.ts";
import { progressLine } from "../progress-bar.ts";
import type { ResolvedTarget } from "../srs-target-flags.ts";
import { fileScan } from "../../pcap/file-scan.ts";
import { cryptoIds } from "../../platform/crypto-ids.ts";
import { realNet } from "../../platform/net.ts";
import { loadLibxml } from "../../siprec/metadata/libxml.ts";
import type { SipStack } from "../../sip/ua/stack-port.ts";
import type { ReplayOptions, ReplayResult } from "../../replay/replay-call.ts";
import { openToolStack } from "../../siprec/session/tool-session.ts";
import { replayRun } from "../../replay/replay-run.ts";

export interface ReplayRequest {
  readonly file: string;
  readonly callId: string | undefined;
  readonly all: boolean;
  readonly rtpOnly: boolean;
  readonly json: boolean;
  /** 0 = as fast as possible. */
  readonly speed: number;
  readonly maxDurationS: number | undefined;
  readonly concurrency: number;
  /** Calls start at their offsets in the capture (scaled by speed), overlapping as captured. */
  readonly timeline: boolean;
}

export async function replayCalls(ctx: CliContext, q: ReplayRequest, resolved: ResolvedTarget): Promise<void> {
  const { io } = ctx;
  const { target, localAddress } = resolved;
  const scan = fileScan(q.file);
  const first = await scan({ rtpOnly: q.rtpOnly, keep: (id) => id === q.callId });
  if (!first.ok) {
    io.err(`siprec replay: ${first.message}`);
    return ctx.setExit(EXIT.FAILURE);
  }
  if (first.damage !== undefined) io.err(`${first.damage}; replaying what was read before it`);
  const all = first.calls;
  const chosen = q.callId !== undefined ? all.filter((c) => c.callId === q.callId) : q.all || all.length === 1 ? all : [];
  if (chosen.length === 0) {
    for (const n of first.notes) io.err(`note: ${n}`);
    if (all.length === 0) {
      ctx.setExit(EXIT.FAILURE);
      return io.err(`siprec replay: no calls in ${q.file}${q.rtpOnly ? "" : " (try --rtp-only if it has RTP but no SIP)"}`);
    }
    ctx.setExit(EXIT.USAGE);
    return io.err(
      q.callId !== undefined
        ? `siprec replay: no call ${JSON.stringify(q.callId)} in the capture (see --list)`
        : `siprec replay: the capture has ${all.length} calls: choose one with --call-id, or --all`,
    );
  }
  const transport = target.transport;
  const lib = chosen.some((c) => c.siprec) ? await loadLibxml() : undefined;
  const net = realNet(localAddress);
  const level = ctx.logLevel();
  const logger = level === undefined ? {} : { logger: loggerFor(io, { level, format: "auto" }) };
  let stack: SipStack;
  try {
    stack = await openToolStack({
      ...logger,
      net,
      localHost: localAddress,
      transport,
      clock: io.clock,
      ids: cryptoIds,
      ...(target.tls === undefined ? {} : { tls: target.tls }),
    });
  } catch (e) {
    io.err(`siprec replay: cannot open SIP (${transport}) on ${localAddress}: ${e instanceof Error ? e.message : String(e)}`);
    return ctx.setExit(EXIT.FAILURE);
  }
  const base: ReplayOptions = {
    ...logger,
    srsUri: target.uri,
    transport,
    ...(target.tls === undefined ? {} : { tls: target.tls }),
    srtp: resolved.srtp,
    srtpSuites: resolved.srtpSuites,
    ...(lib === undefined ? {} : { lib }),
    ...(target.credentials === undefined ? {} : { credentials: target.credentials }),
    speed: q.speed,
    ...(q.maxDurationS === undefined ? {} : { maxDurationMs: q.maxDurationS * 1000 }),
    localHost: localAddress,
    clock: io.clock,
    ids: cryptoIds,
    net,
    stack,
  };
  const results: { index: number; r: ReplayResult }[] = [];
  const started = io.clock.now();
  const one = q.concurrency === 1 && !q.timeline;
  let run: Awaited<ReturnType<typeof replayRun>>;
  try {
    run = await replayRun({
      calls: chosen,
      packetsKept: q.callId !== undefined,
      scan,
      rtpOnly: q.rtpOnly,
      concurrency: q.concurrency,
      timeline: q.timeline,
      base,
      interrupted: io.stopSignal(),
      progressFor: (call, i) => {
        if (!io.stderrIsTTY || !one) return undefined;
        const t0 = io.clock.now();
        const label = `${i + 1}/${chosen.length} ${call.callId}`;
        return (done, total) => io.status(progressLine(label, done, total, io.clock.now() - t0));
      },
      onResult: (r, index) => {
        results.push({ index, r });
        if (io.stderrIsTTY)
          io.status(one ? "" : progressLine(`${results.length}/${chosen.length} calls`, results.length, chosen.length, io.clock.now() - started));
        if (!q.json) printResult(ctx, r, target.uri);
      },
    });
  } finally {
    if (io.stderrIsTTY) io.status("");
    await stack.close();
  }
  if (!run.ok) {
    io.err(`siprec replay: ${q.file}: ${run.message}`);
    return ctx.setExit(EXIT.FAILURE);
  }
  const interrupted = run.interrupted;
  const ordered = results.sort((a, b) => a.index - b.index).map((x) => x.r);
  if (q.json) {
    const calls = ordered.map((r) => ({
      callId: r.callId,
      ok: r.ok,
      packetsReplayed: r.packetsReplayed,
      srs: r.report?.srs,
      reason: r.refused ?? r.report?.reason,
      warnings: [...r.warnings, ...(r.report?.warnings ?? [])],
      streams: r.report?.streams ?? [],
      figures: r.report?.figures ?? [],
    }));
    io.out(JSON.stringify({ file: q.file, calls, ...(first.damage === undefined ? {} : { error: first.damage }) }, null, 2));
  }
  if (interrupted !== undefined) io.err(`siprec replay: interrupted (${interrupted}) after ${ordered.length} of ${chosen.length} calls`);
  ctx.setExit(ordered.every((r) => r.ok) && first.damage === undefined && interrupted === undefined ? EXIT.OK : EXIT.FAILURE);
}

function printResult(ctx: CliContext, r: ReplayResult, uri: string): void {
  const { io } = ctx;
  const why = r.refused ?? r.report?.reason ?? r.report?.state ?? "";
  io.out(`${r.ok ? "ok  " : "FAIL"} ${r.callId}: ${r.packetsReplayed} packets replayed to ${r.report?.srs ?? uri}${r.ok ? "" : ` (${why})`}`);
  for (const f of r.report?.figures ?? []) io.out(`       label ${f.label}: ${f.packets} packets sent`);
  for (const w of [...r.warnings, ...(r.report?.warnings ?? [])]) io.out(`       warning: ${w}`);
}
