/**
 * Replay's pacing: captured packets handed over at their original
 * inter-packet timing (scaled by `speed`, or as fast as the loop allows),
 * on absolute deadlines from the first packet, on the injected clock. Late
 * timers do not stretch the call: everything due by now goes out in the
 * same turn. Cues (a captured metadata update) fire before the first
 * packet of their capture time.
 */
import type { Clock } from "../lib/clock.ts";

export interface PacedPacket {
  readonly label: string;
  /** Capture time, µs. */
  readonly timeUs: number;
  readonly bytes: Uint8Array;
}

export interface CapturePacerOptions {
  readonly clock: Clock;
  /** 1 = the original pace; 0 = as fast as possible. */
  readonly speed: number;
  /** Replay only this much of the call (capture time). */
  readonly maxDurationMs?: number;
  /** Called once each when the replay reaches their capture time (µs), before the packet of that time. */
  readonly cues?: readonly { readonly timeUs: number; readonly fire: () => void }[];
  /** Called as packets go out (capture time done / total, µs), at most every 250 ms of replay. */
  readonly onProgress?: (doneUs: number, totalUs: number) => void;
}

/** At full speed, packets per turn before the sockets get a turn to drain. */
const FAST_BURST = 200;
const PROGRESS_EVERY_MS = 250;

export class CapturePacer {
  #stopped = false;
  #done: () => void = () => {};
  /** Resolves when every packet has been delivered (or the pacer was stopped). */
  readonly finished: Promise<void>;
  /** Packets delivered. */
  sent = 0;

  constructor(private readonly o: CapturePacerOptions) {
    this.finished = new Promise((resolve) => (this.#done = resolve));
  }

  /** Plays `packets` (any order: sorted by capture time here) into `deliver`. */
  play(packets: readonly PacedPacket[], deliver: (p: PacedPacket) => void): void {
    const queue = [...packets].sort((a, b) => a.timeUs - b.timeUs);
    const firstUs = queue[0]?.timeUs ?? 0;
    const limitUs = this.o.maxDurationMs === undefined ? Infinity : firstUs + this.o.maxDurationMs * 1000;
    const totalUs = Math.min(limitUs, queue[queue.length - 1]?.timeUs ?? 0) - firstUs;
    const cues = [...(this.o.cues ?? [])].sort((a, b) => a.timeUs - b.timeUs);
    const fast = this.o.speed === 0;
    const clock = this.o.clock;
    const t0 = clock.now();
    const dueAt = (p: PacedPacket): number => t0 + (p.timeUs - firstUs) / 1000 / this.o.speed;
    let shownAt = -Infinity;
    let cue = 0;
    let doneUs = 0;
    let i = 0;
    const step = (): void => {
      if (this.#stopped) return this.#done();
      const now = clock.now();
      let burst = 0;
      while (i < queue.length) {
        const p = queue[i] as PacedPacket;
        if (p.timeUs > limitUs) {
          i = queue.length;
          break;
        }
        if (fast ? burst >= FAST_BURST : dueAt(p) > now) break;
        while (cue < cues.length && (cues[cue] as { timeUs: number }).timeUs <= p.timeUs) cues[cue++]?.fire();
        doneUs = p.timeUs - firstUs;
        deliver(p);
        this.sent++;
        burst++;
        i++;
      }
      if (this.o.onProgress !== undefined && (now - shownAt >= PROGRESS_EVERY_MS || i >= queue.length)) {
        shownAt = now;
        this.o.onProgress(i >= queue.length ? totalUs : Math.min(totalUs, doneUs), totalUs);
      }
      if (i >= queue.length) return this.#done();
      clock.setTimer(fast ? 0 : Math.max(0, dueAt(queue[i] as PacedPacket) - clock.now()), step);
    };
    step();
  }

  /** No more packets; `finished` resolves. */
  stop(): void {
    this.#stopped = true;
    this.#done();
  }
}
