/**
 * SIP over TCP in a capture: each direction of a connection is put back in
 * sequence order (retransmissions dropped, segments that arrive early held
 * until the gap fills) and cut into SIP messages by Content-Length, as a
 * SIP stack reads its socket (RFC 3261 §18.3). Bounded: at most
 * `maxFlows` connections and 64 KiB of early segments each (a SIP message is
 * at most 64 KiB), so at most 64 MiB held in all; a flow whose
 * gap never fills is resynchronised at the next segment past the limit.
 */
import { StreamFramer } from "../sip/message/stream-framer.ts";
import type { IpPacket } from "./decode.ts";

export interface TcpMessage {
  readonly src: string;
  readonly sport: number;
  readonly dst: string;
  readonly dport: number;
  readonly payload: Uint8Array;
}

interface Flow {
  next: number | undefined;
  readonly early: Map<number, Uint8Array>;
  earlyBytes: number;
  framer: StreamFramer;
}

const MAX_EARLY = 64 * 1024;

export class TcpSipReassembler {
  readonly #flows = new Map<string, Flow>();
  readonly counters = { segments: 0, retransmitted: 0, resynced: 0, framingErrors: 0 };

  constructor(private readonly maxFlows = 1024) {}

  /** SIP messages this TCP segment completes. */
  push(ip: IpPacket): TcpMessage[] {
    const b = ip.payload;
    if (b.length < 20) return [];
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const sport = dv.getUint16(0);
    const dport = dv.getUint16(2);
    const seq = dv.getUint32(4);
    const offset = ((b[12] as number) >> 4) * 4;
    const flags = b[13] as number;
    if (offset < 20 || offset > b.length) return [];
    const data = b.subarray(offset);
    const key = `${ip.src}:${sport}>${ip.dst}:${dport}`;
    let f = this.#flows.get(key);
    if (f === undefined) {
      if (this.#flows.size >= this.maxFlows) this.#flows.delete(this.#flows.keys().next().value as string);
      f = { next: undefined, early: new Map(), earlyBytes: 0, framer: new StreamFramer() };
      this.#flows.set(key, f);
    }
    // SYN takes one sequence number; data starts after it.
    if ((flags & 0x02) !== 0) {
      f.next = (seq + 1) >>> 0;
      return [];
    }
    if (data.length === 0) return [];
    this.counters.segments++;
    f.next ??= seq; // a capture that starts mid-connection
    const out: TcpMessage[] = [];
    const deliver = (bytes: Uint8Array): void => {
      const r = f.framer.push(bytes);
      if (!r.ok) {
        this.counters.framingErrors++;
        f.framer = new StreamFramer();
        return;
      }
      for (const m of r.value) out.push({ src: ip.src, sport, dst: ip.dst, dport, payload: m });
    };
    const ahead = (seq - f.next) | 0;
    if (ahead < 0) {
      // Old or overlapping: keep only what is new.
      if (ahead + data.length <= 0) {
        this.counters.retransmitted++;
        return out;
      }
      this.#accept(f, data.subarray(-ahead), deliver);
    } else if (ahead === 0) this.#accept(f, data, deliver);
    else {
      f.early.set(seq, data.slice()); // a copy: a view would pin its read chunk
      f.earlyBytes += data.length;
      if (f.earlyBytes > MAX_EARLY) {
        // The gap will not fill (lost in the capture): start again at the earliest held segment.
        this.counters.resynced++;
        const first = [...f.early.keys()].sort((x, y) => ((x - (f.next as number)) | 0) - ((y - (f.next as number)) | 0))[0] as number;
        f.next = first;
        f.framer = new StreamFramer();
        this.#drain(f, deliver);
      }
    }
    return out;
  }

  #accept(f: Flow, data: Uint8Array, deliver: (b: Uint8Array) => void): void {
    deliver(data);
    f.next = ((f.next as number) + data.length) >>> 0;
    this.#drain(f, deliver);
  }

  #drain(f: Flow, deliver: (b: Uint8Array) => void): void {
    for (;;) {
      const d = f.early.get(f.next as number);
      if (d === undefined) return;
      f.early.delete(f.next as number);
      f.earlyBytes -= d.length;
      deliver(d);
      f.next = ((f.next as number) + d.length) >>> 0;
    }
  }
}
