/**
 * RTCP for the outgoing streams of one recording (RFC 3550 §6):
 * - a Sender Report + SDES CNAME per stream at a randomized interval
 *   (§6.3.1: between 0.5 and 1.5 times the deterministic interval);
 * - every stream of the recording shares one CNAME and its SRs pair the
 *   same wall-clock instant with each stream's RTP timestamp, so the SRS can
 *   align the streams (§6.4.1: "the NTP timestamp ... in conjunction with the
 *   RTP timestamp ... may be used for intra- and inter-media synchronization");
 * - a BYE when the recording ends (§6.6);
 * - Receiver Reports from the SRS about our SSRCs become loss, jitter and
 *   round-trip figures (§6.4.1, A.8).
 */
import { rtcpDelayMs } from "./rtcp-interval.ts";
import { type ReportBlock, type RtcpPacket, SDES_CNAME, parseRtcpCompound, serializeRtcpCompound } from "./rtcp.ts";
import type { Clock, TimerId } from "../lib/clock.ts";
import type { IdSource } from "../lib/ids.ts";

/** Seconds between 1900 (NTP epoch) and 1970 (Unix epoch). */
const NTP_UNIX_OFFSET = 2_208_988_800;

export function ntpFromUnixMs(ms: number): { sec: number; frac: number } {
  const sec = Math.floor(ms / 1000);
  return { sec: (sec + NTP_UNIX_OFFSET) >>> 0, frac: Math.floor(((ms - sec * 1000) / 1000) * 0x100000000) >>> 0 };
}

export interface ReportedStream {
  readonly id: string;
  /** Current SSRC, RTP timestamp "now", packets and payload octets sent. */
  info(): { ssrc: number; timestampNow: number; packets: number; octets: number } | undefined;
  /** Sends one compound RTCP packet for this stream (SRTCP protection is the sender's job). */
  send(packet: Uint8Array): void;
  /**
   * This stream's CNAME when it differs from the reporter's. RFC 7866
   * §8.3.1: the SRC SHOULD map each unique CNAME of the recorded calls (one
   * per party) to a unique CNAME of the recording session. All streams keep
   * the reporter's one NTP↔RTP reference, so the SRS can still align them.
   */
  readonly cname?: string;
}

export interface ReceptionFigures {
  readonly fractionLost: number;
  readonly cumulativeLost: number;
  readonly jitterMs: number;
  readonly rttMs?: number;
  readonly reports: number;
}

export interface ReporterOptions {
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly cname: string;
  /** Deterministic interval T (RFC 3550 §6.2 minimum: 5 s). */
  readonly intervalMs?: number;
  readonly clockRate?: number;
}

export class RtcpReporter {
  readonly #streams = new Map<string, ReportedStream>();
  readonly #figures = new Map<number, ReceptionFigures>();
  #timer?: TimerId;
  #firstTimer?: TimerId;
  /** The first-SR watch ends 10 s after the last start (a stream held longer gets its SR on the regular schedule). */
  #watchUntil = 0;
  /** Streams that have sent their first SR (the rest are watched for their first RTP packet). */
  readonly #reported = new Set<string>();
  #stopped = false;

  constructor(private readonly o: ReporterOptions) {}

  add(s: ReportedStream): void {
    this.#streams.set(s.id, s);
  }

  remove(id: string): void {
    this.#streams.delete(id);
    this.#reported.delete(id);
  }

  start(): void {
    if (this.#stopped) return;
    this.#watchUntil = this.o.clock.now() + 10_000;
    this.#watchFirst();
    if (this.#timer !== undefined) return;
    this.#schedule();
  }

  /**
   * A stream's first SR goes out within 100 ms of its first RTP packet, so
   * the SRS can align streams (and answer with LSR/DLSR) from the start;
   * RFC 3550 §6.4.1 has no SR before that packet.
   */
  #watchFirst(): void {
    if (this.#firstTimer !== undefined || this.#stopped) return;
    const pending = [...this.#streams.values()].filter((s) => !this.#reported.has(s.id));
    if (pending.length === 0 || this.o.clock.now() >= this.#watchUntil) return;
    this.#firstTimer = this.o.clock.setTimer(100, () => {
      this.#firstTimer = undefined;
      for (const s of pending) {
        if (this.#reported.has(s.id) || !this.#streams.has(s.id)) continue;
        const c = this.#compound(s);
        if (c === undefined) continue;
        this.#reported.add(s.id);
        s.send(c);
      }
      this.#watchFirst();
    });
  }

  #schedule(): void {
    const ms = rtcpDelayMs(this.o.ids, this.o.intervalMs);
    this.#timer = this.o.clock.setTimer(ms, () => {
      this.sendReports();
      if (!this.#stopped) this.#schedule();
    });
  }

  #compound(s: ReportedStream, extra: RtcpPacket[] = []): Uint8Array | undefined {
    const i = s.info();
    // RFC 3550 §6.4.1: an SR reports what "this sender" sent; before our first RTP packet we are not one yet.
    if (i === undefined || i.packets === 0) return undefined;
    const ntp = ntpFromUnixMs(this.o.clock.wallNow());
    return serializeRtcpCompound([
      {
        type: "sr",
        ssrc: i.ssrc,
        ntpSec: ntp.sec,
        ntpFrac: ntp.frac,
        rtpTimestamp: i.timestampNow,
        packetCount: i.packets >>> 0,
        octetCount: i.octets >>> 0,
        reports: [],
      },
      { type: "sdes", chunks: [{ ssrc: i.ssrc, items: [{ type: SDES_CNAME, text: s.cname ?? this.o.cname }] }] },
      ...extra,
    ]);
  }

  /** One SR + SDES per stream, now (also used right after a stream starts). */
  sendReports(): void {
    for (const s of this.#streams.values()) {
      const c = this.#compound(s);
      if (c === undefined) continue;
      this.#reported.add(s.id);
      s.send(c);
    }
  }

  /** SR + SDES + BYE for every stream, then stops (idempotent). */
  bye(reason = "recording ended"): void {
    if (this.#stopped) return;
    for (const s of this.#streams.values()) {
      const ssrc = s.info()?.ssrc;
      const c = ssrc === undefined ? undefined : this.#compound(s, [{ type: "bye", ssrcs: [ssrc], reason }]);
      if (c !== undefined) s.send(c);
    }
    this.stop();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#firstTimer !== undefined) this.o.clock.clearTimer(this.#firstTimer);
    this.#firstTimer = undefined;
    if (this.#timer !== undefined) this.o.clock.clearTimer(this.#timer);
    this.#timer = undefined;
  }

  /**
   * Incoming RTCP from the SRS (already SRTCP-unprotected): `aboutUs` is
   * the number of report blocks about our SSRCs (real receiver feedback);
   * `loop` is true when a packet's sender SSRC is one of ours (our own
   * reports reflected back: a media loop at the SRS).
   */
  receive(bytes: Uint8Array): { readonly ok: boolean; readonly aboutUs: number; readonly loop: boolean } {
    const r = parseRtcpCompound(bytes);
    if (!r.ok) return { ok: false, aboutUs: 0, loop: false };
    const ours = new Set([...this.#streams.values()].map((s) => s.info()?.ssrc));
    let aboutUs = 0;
    let loop = false;
    for (const p of r.value) {
      if (p.type !== "rr" && p.type !== "sr") continue;
      if (ours.has(p.ssrc)) {
        loop = true;
        continue;
      }
      for (const b of p.reports) {
        if (!ours.has(b.ssrc)) continue;
        aboutUs++;
        this.#record(b);
      }
    }
    return { ok: true, aboutUs, loop };
  }

  #record(b: ReportBlock): void {
    const rate = this.o.clockRate ?? 8000;
    const prev = this.#figures.get(b.ssrc);
    let rttMs: number | undefined;
    if (b.lsr !== 0) {
      // RFC 3550 §6.4.1: RTT = A - LSR - DLSR in 1/65536 s, A being now in the middle 32 bits of NTP.
      const n = ntpFromUnixMs(this.o.clock.wallNow());
      const a = (((n.sec & 0xffff) << 16) | (n.frac >>> 16)) >>> 0;
      const rtt = (a - b.lsr - b.dlsr) >>> 0;
      if (rtt < 0x80000000) rttMs = (rtt / 65536) * 1000;
    }
    this.#figures.set(b.ssrc, {
      fractionLost: b.fractionLost / 256,
      cumulativeLost: b.cumulativeLost,
      jitterMs: (b.jitter / rate) * 1000,
      ...(rttMs === undefined ? {} : { rttMs }),
      reports: (prev?.reports ?? 0) + 1,
    });
  }

  /** What the SRS last reported about a stream's SSRC. */
  figures(ssrc: number): ReceptionFigures | undefined {
    return this.#figures.get(ssrc);
  }
}
