/**
 * RFC 4733 telephone-events for DTMF.
 *
 *    0                   1                   2                   3
 *   |     event     |E|R| volume    |          duration             |
 *
 * §2.5.1: every packet of one event has the event's start timestamp; the
 * first carries the marker bit; updates report the duration so far;
 * §2.5.1.4: "The final packet for each event ... SHOULD be sent a total of
 * three times". Digits come from FreeSWITCH as start/end notifications
 * (native tap legs do not carry them, ARCHITECTURE.md).
 */
import type { Clock, TimerId } from "../lib/clock.ts";

/** RFC 4733 §3.2 Table 3. */
export function dtmfEventCode(digit: string): number | undefined {
  if (/^[0-9]$/.test(digit)) return Number(digit);
  return ({ "*": 10, "#": 11, A: 12, B: 13, C: 14, D: 15 } as Record<string, number>)[digit.toUpperCase()];
}

export function telephoneEvent(event: number, end: boolean, volume: number, duration: number): Uint8Array {
  return Uint8Array.of(event & 0xff, (end ? 0x80 : 0) | (volume & 0x3f), (duration >>> 8) & 0xff, duration & 0xff);
}

export interface ParsedEvent {
  readonly event: number;
  readonly end: boolean;
  readonly volume: number;
  readonly duration: number;
}

export function parseTelephoneEvent(p: Uint8Array): ParsedEvent | undefined {
  if (p.length < 4) return undefined;
  return { event: p[0] as number, end: ((p[1] as number) & 0x80) !== 0, volume: (p[1] as number) & 0x3f, duration: ((p[2] as number) << 8) | (p[3] as number) };
}

export type EmitFn = (marker: boolean, timestamp: number, payload: Uint8Array) => void;

export interface DtmfOptions {
  readonly clock: Clock;
  readonly clockRate: number;
  /** Update interval (the audio packet interval is natural, RFC 4733 §2.5.1.2). */
  readonly intervalMs: number;
  /** RFC 4733 volume: 0 to 63, in -dBm0 (FreeSWITCH sends 10-13). */
  readonly volume?: number;
}

/** Digits waiting behind the one playing, per stream. */
export const QUEUE_MAX = 32;

/** One digit at a time on one stream: start() then end(); play() for a known duration. */
export class DtmfEmitter {
  /** Update ticks, then the final-packet retransmissions. */
  #timer?: TimerId;
  /** play(): when the digit ends. */
  #endTimer?: TimerId;
  #active?: { event: number; startTs: number; startMs: number; first: boolean; segTs: number; segUnits: number };
  /** Digits that arrived while one was playing (FreeSWITCH reports a quick "12" as two events 0.2 s apart). */
  readonly #queue: { digit: string; durationMs: number; timestamp: () => number | undefined }[] = [];

  constructor(
    private readonly o: DtmfOptions,
    private readonly emit: EmitFn,
  ) {}

  get busy(): boolean {
    return this.#active !== undefined;
  }

  /**
   * The duration to report at `nowMs` within the current segment, closing
   * segments that reached the field's maximum first.
   * RFC 4733 §2.5.1.3: "If an event persists beyond the maximum duration
   * expressible in the duration field (0xFFFF), the sender MUST send a
   * packet reporting this maximum duration but MUST NOT set the E bit in
   * this packet. The sender MUST then begin reporting a new 'segment' with
   * the RTP timestamp set to the time at which the previous segment ended
   * ... The M bit of the first packet reporting the new segment MUST NOT be set."
   */
  #segmentDuration(nowMs: number): number {
    const a = this.#active;
    if (a === undefined) return 0;
    const interval = Math.round((this.o.intervalMs * this.o.clockRate) / 1000);
    const units = Math.round(((nowMs - a.startMs) * this.o.clockRate) / 1000);
    while (units - a.segUnits > 0xffff) {
      this.emit(a.first, a.segTs, telephoneEvent(a.event, false, this.o.volume ?? 10, 0xffff));
      a.first = false;
      a.segTs = (a.segTs + 0xffff) >>> 0;
      a.segUnits += 0xffff;
    }
    // At least one interval (§2.5.1.1: a zero duration means a state).
    return Math.max(interval, units - a.segUnits);
  }

  start(digit: string, startTimestamp: number): boolean {
    const event = dtmfEventCode(digit);
    if (event === undefined || this.#active !== undefined) return false;
    this.#active = { event, startTs: startTimestamp >>> 0, startMs: this.o.clock.now(), first: true, segTs: startTimestamp >>> 0, segUnits: 0 };
    const tick = () => {
      const a = this.#active;
      if (a === undefined) return;
      this.#timer = this.o.clock.setTimer(this.o.intervalMs, tick);
      const duration = this.#segmentDuration(this.o.clock.now() + this.o.intervalMs);
      this.emit(a.first, a.segTs, telephoneEvent(a.event, false, this.o.volume ?? 10, duration));
      a.first = false;
    };
    tick();
    return true;
  }

  end(): void {
    const a = this.#active;
    if (a === undefined) return;
    if (this.#timer !== undefined) this.o.clock.clearTimer(this.#timer);
    const final = telephoneEvent(a.event, true, this.o.volume ?? 10, this.#segmentDuration(this.o.clock.now()));
    const ts = a.segTs;
    this.emit(a.first, ts, final);
    let left = 2;
    const again = () => {
      this.emit(false, ts, final);
      if (--left > 0) this.#timer = this.o.clock.setTimer(this.o.intervalMs, again);
      else {
        this.#timer = undefined;
        this.#active = undefined;
        this.#playNext();
      }
    };
    this.#timer = this.o.clock.setTimer(this.o.intervalMs, again);
  }

  play(digit: string, startTimestamp: number, durationMs: number): boolean {
    if (!this.start(digit, startTimestamp)) return false;
    this.#endTimer = this.o.clock.setTimer(durationMs, () => {
      this.#endTimer = undefined;
      this.end();
    });
    return true;
  }

  /**
   * play() now, or after the digits before it when one is playing: each
   * digit is its own event with its own start timestamp (taken when it
   * starts). At most `QUEUE_MAX` wait; false when the digit is dropped.
   */
  enqueue(digit: string, durationMs: number, timestamp: () => number | undefined): boolean {
    if (dtmfEventCode(digit) === undefined) return false;
    if (!this.busy) {
      const ts = timestamp();
      return ts !== undefined && this.play(digit, ts, durationMs);
    }
    if (this.#queue.length >= QUEUE_MAX) return false;
    this.#queue.push({ digit, durationMs, timestamp });
    return true;
  }

  #playNext(): void {
    for (let next = this.#queue.shift(); next !== undefined; next = this.#queue.shift()) {
      const ts = next.timestamp();
      if (ts !== undefined && this.play(next.digit, ts, next.durationMs)) return;
    }
  }

  /** Stops without sending anything more (pause gate, teardown); queued digits are dropped too. */
  cancel(): void {
    this.#queue.length = 0;
    if (this.#timer !== undefined) this.o.clock.clearTimer(this.#timer);
    if (this.#endTimer !== undefined) this.o.clock.clearTimer(this.#endTimer);
    this.#timer = undefined;
    this.#endTimer = undefined;
    this.#active = undefined;
  }
}
