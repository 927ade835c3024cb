/**
 * Replay in batches: the calls of a capture grouped so that the packets
 * kept in memory for one batch fit a budget (each batch re-reads the
 * capture keeping only its calls' packets).
 */
import type { CapturedCall } from "../pcap/calls.ts";

/** What keeping a call's packets costs in memory (bytes plus per-packet overhead). */
export function keptCost(c: CapturedCall): number {
  return c.flows.reduce((n, f) => n + f.octets + 96 * f.packets, 0);
}

/** Calls in batches whose kept packets fit `budget` bytes (a bigger call goes alone). */
export function batchesOf(calls: readonly CapturedCall[], budget: number): CapturedCall[][] {
  const out: CapturedCall[][] = [];
  let cur: CapturedCall[] = [];
  let used = 0;
  for (const c of calls) {
    const cost = keptCost(c);
    if (cur.length > 0 && used + cost > budget) {
      out.push(cur);
      cur = [];
      used = 0;
    }
    cur.push(c);
    used += cost;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}
