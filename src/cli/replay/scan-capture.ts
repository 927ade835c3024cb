/**
 * One streaming pass over a capture file: packets → UDP datagrams (and SIP
 * over TCP) → calls, by SIP (CallExtractor) or by RTP alone (RtpOnlyExtractor).
 * Memory is the calls found plus the packets of the calls `keep` names.
 * A damaged capture ends the pass with `damage` (what was read stays).
 */
import { CaptureReader } from "../../pcap/reader.ts";
import { UdpStream } from "../../pcap/datagrams.ts";
import { type CapturedCall, CallExtractor } from "../../pcap/calls.ts";
import { RtpOnlyExtractor } from "../../pcap/rtp-only.ts";

export interface ScanOptions {
  readonly rtpOnly: boolean;
  readonly keep: (callId: string) => boolean;
}

export type ScanResult =
  | { readonly ok: true; readonly calls: CapturedCall[]; readonly damage?: string; readonly callsNotKept: number; readonly notes: readonly string[] }
  | { readonly ok: false; readonly message: string };

export async function scanCapture(file: string, o: ScanOptions): Promise<ScanResult> {
  const reader = new CaptureReader();
  const udp = new UdpStream();
  const calls = o.rtpOnly ? new RtpOnlyExtractor({ keepPackets: o.keep }) : new CallExtractor({ keepPackets: o.keep });
  let damage: string | undefined;
  try {
    for await (const chunk of Bun.file(file).stream()) {
      const r = reader.push(chunk);
      if (!r.ok) {
        damage = `${file}: ${r.error.message} (byte ${r.error.offset})`;
        break;
      }
      for (const p of r.value) for (const d of udp.pushAll(p)) calls.push(d);
    }
    if (damage === undefined) {
      const end = reader.finish();
      if (!end.ok) damage = `${file}: ${end.error.message} (byte ${end.error.offset})`;
    }
  } catch (e) {
    return { ok: false, message: `cannot read ${file}: ${e instanceof Error ? e.message : String(e)}` };
  }
  const notes = [...udp.unknownLinkTypes].map(([lt, n]) => `${n} packet${n === 1 ? "" : "s"} on link type ${lt}, which siprec does not decode (it reads Ethernet with VLANs, Linux SLL/SLL2, raw IP and BSD loopback)`);
  if (udp.counters.reassembled > 0) notes.push(`${udp.counters.reassembled} fragmented IP datagram${udp.counters.reassembled === 1 ? "" : "s"} reassembled`);
  if (udp.counters.fragmentsDropped > 0) notes.push(`${udp.counters.fragmentsDropped} IP fragments never completed (left out)`);
  return { ok: true, calls: [...calls.calls.values()], callsNotKept: calls.counters.callsNotKept, notes, ...(damage === undefined ? {} : { damage }) };
}

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
