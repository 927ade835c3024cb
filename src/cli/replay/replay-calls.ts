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
import { progressLine } from "../progress-bar.ts";
import { type AppStack, openAppStack } from "../sip-stack.ts";
import type { SrsTargetChoice } from "../srs-target.ts";
import type { CapturedCall } from "../../pcap/calls.ts";
import { cryptoIds } from "../../platform/crypto-ids.ts";
import { loadLibxml } from "../../siprec/metadata/libxml.ts";
import { type ReplayOptions, type ReplayResult, replayCall } from "./run-replay.ts";
import { batchesOf, scanCapture } from "./scan-capture.ts";

const REPLAY_BUDGET = 256 * 1024 * 1024;

export interface ReplayRequest {
  readonly file: string;
  readonly callId: string | undefined;
  readonly all: boolean;
  readonly rtpOnly: boolean;
  readonly json: boolean;
  readonly srtp: boolean;
  readonly srtpSuites?: readonly string[];
  readonly localAddress: string;
  /** 0 = as fast as possible. */
  readonly speed: number;
  readonly maxDurationS: number | undefined;
  readonly concurrency: number;
  /** Calls start at their offsets in the capture (scaled by speed), overlapping as captured. */
  readonly timeline: boolean;
}

export async function replayCalls(ctx: CliContext, q: ReplayRequest, target: SrsTargetChoice): Promise<void> {
  const { io } = ctx;
  const first = await scanCapture(q.file, { rtpOnly: q.rtpOnly, keep: (id) => id === q.callId });
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
    return io.err(q.callId !== undefined ? `siprec replay: no call ${JSON.stringify(q.callId)} in the capture (see --list)` : `siprec replay: the capture has ${all.length} calls: choose one with --call-id, or --all`);
  }
  const transport = target.transport ?? "tcp";
  const lib = chosen.some((c) => c.siprec) ? await loadLibxml() : undefined;
  let stack: AppStack;
  try {
    stack = await openAppStack({ host: q.localAddress, protocols: [transport], clock: io.clock, ids: cryptoIds, ...(target.tls === undefined ? {} : { tls: target.tls }) });
  } catch (e) {
    io.err(`siprec replay: cannot open SIP (${transport}) on ${q.localAddress}: ${e instanceof Error ? e.message : String(e)}`);
    return ctx.setExit(EXIT.FAILURE);
  }
  const base: Omit<ReplayOptions, "onProgress"> = {
    srsUri: target.uri,
    transport,
    ...(target.tls === undefined ? {} : { tls: target.tls }),
    srtp: q.srtp ? "require" : (target.srtp ?? "off"),
    srtpSuites: q.srtpSuites ?? target.srtpSuites ?? ["AES_CM_128_HMAC_SHA1_80"],
    ...(lib === undefined ? {} : { lib }),
    ...(target.credentials === undefined ? {} : { credentials: target.credentials }),
    speed: q.speed,
    ...(q.maxDurationS === undefined ? {} : { maxDurationMs: q.maxDurationS * 1000 }),
    localHost: q.localAddress,
    clock: io.clock,
    ids: cryptoIds,
    stack,
  };
  const results: { index: number; r: ReplayResult }[] = [];
  let interrupted: string | undefined;
  const interruption = io.stopSignal().then((s) => (interrupted = s));
  const started = io.clock.now();
  const firstUs = chosen.reduce((m, c) => Math.min(m, c.startUs), Infinity);
  /** Resolves at `at` (clock ms), or at once on an interruption (the timer is cleared). */
  const waitUntil = (at: number): Promise<void> =>
    new Promise((resolve) => {
      const wait = at - io.clock.now();
      if (wait <= 0) return resolve();
      const id = io.clock.setTimer(wait, resolve);
      void interruption.then(() => (io.clock.clearTimer(id), resolve()));
    });
  let index = 0;
  try {
    for (const batch of q.callId !== undefined ? [chosen] : batchesOf(chosen, REPLAY_BUDGET)) {
      if (interrupted !== undefined) break;
      const calls = q.callId !== undefined ? batch : await rescan(q, batch);
      if (calls === undefined) {
        io.err(`siprec replay: cannot read ${q.file} again`);
        return ctx.setExit(EXIT.FAILURE);
      }
      const queue = calls.map((call) => ({ call, index: index++ }));
      const runOne = async (call: CapturedCall, i: number, lateMs = 0): Promise<void> => {
        const t0 = io.clock.now();
        const label = `${i + 1}/${chosen.length} ${call.callId}`;
        const one = q.concurrency === 1 && !q.timeline;
        const perCall = io.stderrIsTTY && one ? (done: number, total: number) => io.status(progressLine(label, done, total, io.clock.now() - t0)) : undefined;
        const replayed = await replayCall(call, { ...base, interrupted: interruption, ...(perCall === undefined ? {} : { onProgress: perCall }) });
        // More than 100 ms after its captured offset: say so (a memory batch or a slow set-up delayed it).
        const r = lateMs > 100 ? { ...replayed, warnings: [...replayed.warnings, `started ${Math.round(lateMs)} ms after its place on the capture's timeline`] } : replayed;
        results.push({ index: i, r });
        if (io.stderrIsTTY) io.status(one ? "" : progressLine(`${results.length}/${chosen.length} calls`, results.length, chosen.length, io.clock.now() - started));
        if (!q.json) printResult(ctx, r, target.uri);
      };
      if (q.timeline) {
        // Each call starts at its offset in the capture (scaled by --speed), overlapping as it did.
        await Promise.all(queue.map(async ({ call, index: i }) => {
          const due = started + (call.startUs - firstUs) / 1000 / q.speed;
          await waitUntil(due);
          if (interrupted === undefined) await runOne(call, i, io.clock.now() - due);
        }));
      } else {
        const worker = async (): Promise<void> => {
          for (let next = queue.shift(); next !== undefined && interrupted === undefined; next = queue.shift()) await runOne(next.call, next.index);
        };
        await Promise.all(Array.from({ length: Math.min(q.concurrency, queue.length) }, worker));
      }
    }
  } finally {
    if (io.stderrIsTTY) io.status("");
    await new Promise((r) => io.clock.setTimer(60, () => r(undefined)));
    stack.close();
  }
  const ordered = results.sort((a, b) => a.index - b.index).map((x) => x.r);
  if (q.json) {
    const calls = ordered.map((r) => ({ callId: r.callId, ok: r.ok, packetsReplayed: r.packetsReplayed, srs: r.report?.srs, reason: r.refused ?? r.report?.reason, warnings: [...r.warnings, ...(r.report?.warnings ?? [])], streams: r.report?.streams ?? [], figures: r.report?.figures ?? [] }));
    io.out(JSON.stringify({ file: q.file, calls, ...(first.damage === undefined ? {} : { error: first.damage }) }, null, 2));
  }
  if (interrupted !== undefined) io.err(`siprec replay: interrupted (${interrupted}) after ${ordered.length} of ${chosen.length} calls`);
  ctx.setExit(ordered.every((r) => r.ok) && first.damage === undefined && interrupted === undefined ? EXIT.OK : EXIT.FAILURE);
}

/** The batch's calls read again, this time with their packets. */
async function rescan(q: ReplayRequest, batch: readonly CapturedCall[]): Promise<CapturedCall[] | undefined> {
  const ids = new Set(batch.map((c) => c.callId));
  const again = await scanCapture(q.file, { rtpOnly: q.rtpOnly, keep: (id) => ids.has(id) });
  return again.ok ? again.calls.filter((c) => ids.has(c.callId)) : undefined;
}

function printResult(ctx: CliContext, r: ReplayResult, uri: string): void {
  const { io } = ctx;
  const why = r.refused ?? r.report?.reason ?? r.report?.state ?? "";
  io.out(`${r.ok ? "ok  " : "FAIL"} ${r.callId}: ${r.packetsReplayed} packets replayed to ${r.report?.srs ?? uri}${r.ok ? "" : ` (${why})`}`);
  for (const f of r.report?.figures ?? []) io.out(`       label ${f.label}: ${f.packets} packets sent`);
  for (const w of [...r.warnings, ...(r.report?.warnings ?? [])]) io.out(`       warning: ${w}`);
}
