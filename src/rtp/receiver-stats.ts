/**
 * What a receiver knows about one RTP source, as RFC 3550 Appendix A
 * computes it, and the report block it sends back (§6.4.1):
 * - A.1: the extended highest sequence number (cycles of 2^16 counted when
 *   the sequence wraps; a packet more than 2^15 behind is old, not a wrap);
 * - A.3: cumulative loss = expected − received, and the fraction lost since
 *   the previous report from the same counters ("expected_prior",
 *   "received_prior"), in 1/256 units, 0 when more arrived than expected;
 * - A.8: interarrival jitter J += (|D(i−1,i)| − J) / 16 in timestamp units;
 * - §6.4.1: LSR is the middle 32 bits of the NTP timestamp of the last SR
 *   received, DLSR the delay since then in 1/65536 s (both 0 before any SR).
 */
import type { ReportBlock } from "./rtcp.ts";

export class ReceiverStats {
  #started = false;
  #baseSeq = 0;
  #maxSeq = 0;
  #cycles = 0;
  #received = 0;
  #expectedPrior = 0;
  #receivedPrior = 0;
  #transit: number | undefined;
  #jitter = 0;
  #lsr = 0;
  #srAtMs: number | undefined;

  constructor(private readonly clockRate: number) {}

  /** One RTP packet: its sequence number and timestamp, and when it arrived (ms). */
  packet(sequence: number, timestamp: number, arrivalMs: number, countsForJitter = true): void {
    this.#received++;
    if (!this.#started) {
      this.#started = true;
      this.#baseSeq = sequence;
      this.#maxSeq = sequence;
    } else {
      const delta = (sequence - this.#maxSeq + 0x10000) & 0xffff;
      if (delta !== 0 && delta < 0x8000) {
        if (sequence < this.#maxSeq) this.#cycles += 0x10000;
        this.#maxSeq = sequence;
      }
    }
    if (!countsForJitter) return;
    const transit = (arrivalMs / 1000) * this.clockRate - timestamp;
    if (this.#transit !== undefined) this.#jitter += (Math.abs(transit - this.#transit) - this.#jitter) / 16;
    this.#transit = transit;
  }

  /** A Sender Report arrived from this source (its NTP timestamp). */
  senderReport(ntpSec: number, ntpFrac: number, arrivalMs: number): void {
    this.#lsr = (((ntpSec & 0xffff) << 16) | (ntpFrac >>> 16)) >>> 0;
    this.#srAtMs = arrivalMs;
  }

  get received(): number {
    return this.#received;
  }

  get extendedHighestSeq(): number {
    return this.#cycles + this.#maxSeq;
  }

  get expected(): number {
    return this.#started ? this.extendedHighestSeq - this.#baseSeq + 1 : 0;
  }

  /** Packets lost so far (never negative here; duplicates can make expected < received). */
  get lost(): number {
    return Math.max(0, this.expected - this.#received);
  }

  get jitterMs(): number {
    return (this.#jitter / this.clockRate) * 1000;
  }

  /** The report block for `ssrc` now; moves the "prior" counters on (call once per report sent). */
  block(ssrc: number, nowMs: number): ReportBlock {
    const expected = this.expected;
    const expectedInterval = expected - this.#expectedPrior;
    const receivedInterval = this.#received - this.#receivedPrior;
    this.#expectedPrior = expected;
    this.#receivedPrior = this.#received;
    const lostInterval = expectedInterval - receivedInterval;
    const fractionLost = expectedInterval === 0 || lostInterval <= 0 ? 0 : Math.floor((lostInterval * 256) / expectedInterval);
    // Cumulative loss is a signed 24-bit field: clamp rather than wrap.
    const cumulativeLost = Math.max(-0x800000, Math.min(0x7fffff, expected - this.#received));
    return {
      ssrc,
      fractionLost: Math.min(255, fractionLost),
      cumulativeLost,
      highestSeq: this.extendedHighestSeq >>> 0,
      jitter: Math.floor(this.#jitter) >>> 0,
      lsr: this.#lsr,
      dlsr: this.#srAtMs === undefined ? 0 : Math.floor(((nowMs - this.#srAtMs) / 1000) * 65536) >>> 0,
    };
  }
}
