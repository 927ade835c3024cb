/**
 * One streaming pass over a capture: packets → UDP datagrams (and SIP over
 * TCP) → calls, by SIP (CallExtractor) or by RTP alone (RtpOnlyExtractor).
 * Memory is the calls found plus the packets of the calls `keep` names.
 * A damaged capture ends the pass with `damage` (what was read stays).
 * Fed chunk by chunk; file-scan.ts reads a file into it.
 */
import { CaptureReader } from "./reader.ts";
import { UdpStream } from "./datagrams.ts";
import { type CapturedCall, CallExtractor } from "./calls.ts";
import { RtpOnlyExtractor } from "./rtp-only.ts";

export interface ScanOptions {
  readonly rtpOnly: boolean;
  readonly keep: (callId: string) => boolean;
}

export type ScanResult =
  | { readonly ok: true; readonly calls: CapturedCall[]; readonly damage?: string; readonly callsNotKept: number; readonly notes: readonly string[] }
  | { readonly ok: false; readonly message: string };

/** A capture scanner: scan(options) reads the whole capture once. */
export type Scan = (o: ScanOptions) => Promise<ScanResult>;

export class CaptureScan {
  readonly #reader = new CaptureReader();
  readonly #udp = new UdpStream();
  readonly #calls: CallExtractor | RtpOnlyExtractor;
  #damage: string | undefined;

  constructor(
    private readonly name: string,
    o: ScanOptions,
  ) {
    this.#calls = o.rtpOnly ? new RtpOnlyExtractor({ keepPackets: o.keep }) : new CallExtractor({ keepPackets: o.keep });
  }

  /** False once the capture is damaged (the rest is not read). */
  push(chunk: Uint8Array): boolean {
    if (this.#damage !== undefined) return false;
    const r = this.#reader.push(chunk);
    if (!r.ok) {
      this.#damage = `${this.name}: ${r.error.message} (byte ${r.error.offset})`;
      return false;
    }
    for (const p of r.value) for (const d of this.#udp.pushAll(p)) this.#calls.push(d);
    return true;
  }

  finish(): ScanResult {
    if (this.#damage === undefined) {
      const end = this.#reader.finish();
      if (!end.ok) this.#damage = `${this.name}: ${end.error.message} (byte ${end.error.offset})`;
    }
    const udp = this.#udp;
    const notes = [...udp.unknownLinkTypes].map(
      ([lt, n]) =>
        `${n} packet${n === 1 ? "" : "s"} on link type ${lt}, which siprec does not decode (it reads Ethernet with VLANs, Linux SLL/SLL2, raw IP and BSD loopback)`,
    );
    if (udp.counters.reassembled > 0) notes.push(`${udp.counters.reassembled} fragmented IP datagram${udp.counters.reassembled === 1 ? "" : "s"} reassembled`);
    if (udp.counters.fragmentsDropped > 0) notes.push(`${udp.counters.fragmentsDropped} IP fragments never completed (left out)`);
    return {
      ok: true,
      calls: [...this.#calls.calls.values()],
      callsNotKept: this.#calls.counters.callsNotKept,
      notes,
      ...(this.#damage === undefined ? {} : { damage: this.#damage }),
    };
  }
}
