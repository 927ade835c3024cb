/**
 * A run of replays over one SIP stack: the chosen calls in memory batches
 * (batch.ts: each batch re-read with only its calls' packets), `concurrency`
 * at a time, or each at its offset in the capture (`timeline`, scaled by
 * speed, so calls overlap as they did). An interruption lets the calls in
 * progress end with their BYE and starts no further call.
 */
import type { CapturedCall } from "../pcap/calls.ts";
import type { Scan } from "../pcap/capture-scan.ts";
import { batchesOf } from "./batch.ts";
import { type ReplayOptions, type ReplayResult, replayCall } from "./replay-call.ts";

/** Kept packets of one batch at most (bytes). */
export const REPLAY_BUDGET = 256 * 1024 * 1024;

export interface ReplayRun {
  /** The calls, as the first scan found them (without packets unless `packetsKept`). */
  readonly calls: readonly CapturedCall[];
  /** The calls already carry their packets (one call, kept by the first scan). */
  readonly packetsKept: boolean;
  readonly scan: Scan;
  readonly rtpOnly: boolean;
  readonly concurrency: number;
  readonly timeline: boolean;
  /** Every call's options (the stack shared); per-call progress added by `progressFor`. */
  readonly base: ReplayOptions;
  /** Resolves with a reason when the operator interrupts. */
  readonly interrupted: Promise<string>;
  readonly progressFor?: (call: CapturedCall, index: number) => ReplayOptions["onProgress"];
  /** Each call's result as it ends (`index` in capture order). */
  readonly onResult: (r: ReplayResult, index: number) => void;
}

export type RunOutcome = { readonly ok: true; readonly interrupted?: string } | { readonly ok: false; readonly message: string };

export async function replayRun(o: ReplayRun): Promise<RunOutcome> {
  const clock = o.base.clock;
  let interrupted: string | undefined;
  void o.interrupted.then((s) => (interrupted = s));
  const started = clock.now();
  const firstUs = o.calls.reduce((m, c) => Math.min(m, c.startUs), Infinity);
  const speed = o.base.speed === 0 ? 1 : o.base.speed;
  /** Resolves at `at` (clock ms), or at once on an interruption (the timer is cleared). */
  const waitUntil = (at: number): Promise<void> =>
    new Promise((resolve) => {
      const wait = at - clock.now();
      if (wait <= 0) return resolve();
      const id = clock.setTimer(wait, resolve);
      void o.interrupted.then(() => (clock.clearTimer(id), resolve()));
    });
  let index = 0;
  for (const batch of o.packetsKept ? [o.calls] : batchesOf(o.calls, REPLAY_BUDGET)) {
    if (interrupted !== undefined) break;
    const calls = o.packetsKept ? batch : await rescan(o, batch);
    if (calls === undefined) return { ok: false, message: "cannot read the capture again" };
    const queue = calls.map((call) => ({ call, index: index++ }));
    const runOne = async (call: CapturedCall, i: number, lateMs = 0): Promise<void> => {
      const progress = o.progressFor?.(call, i);
      const replayed = await replayCall(call, { ...o.base, interrupted: o.interrupted, ...(progress === undefined ? {} : { onProgress: progress }) });
      // More than 100 ms after its captured offset: say so (a memory batch or a slow set-up delayed it).
      o.onResult(
        lateMs > 100
          ? { ...replayed, warnings: [...replayed.warnings, `started ${Math.round(lateMs)} ms after its place on the capture's timeline`] }
          : replayed,
        i,
      );
    };
    if (o.timeline) {
      await Promise.all(
        queue.map(async ({ call, index: i }) => {
          const due = started + (call.startUs - firstUs) / 1000 / speed;
          await waitUntil(due);
          if (interrupted === undefined) await runOne(call, i, clock.now() - due);
        }),
      );
    } else {
      const worker = async (): Promise<void> => {
        for (let next = queue.shift(); next !== undefined && interrupted === undefined; next = queue.shift()) await runOne(next.call, next.index);
      };
      await Promise.all(Array.from({ length: Math.min(o.concurrency, queue.length) }, worker));
    }
  }
  return interrupted === undefined ? { ok: true } : { ok: true, interrupted };
}

/** The batch's calls read again, this time with their packets. */
async function rescan(o: ReplayRun, batch: readonly CapturedCall[]): Promise<CapturedCall[] | undefined> {
  const ids = new Set(batch.map((c) => c.callId));
  const again = await o.scan({ rtpOnly: o.rtpOnly, keep: (id) => ids.has(id) });
  return again.ok ? again.calls.filter((c) => ids.has(c.callId)) : undefined;
}
