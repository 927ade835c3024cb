/**
 * Paces frames on absolute deadlines: tick n is due at start + n * ptime,
 * and each timer is set for "deadline - now", so timer lateness never
 * accumulates (a setInterval(20) chain drifts; measured on this machine).
 * A stalled event loop is caught up with a bounded burst; beyond that the
 * missed frames are skipped and reported so the stream shows a real gap.
 */
import type { Clock, TimerId } from "../lib/clock.ts";

export interface FramePacerOptions {
  readonly clock: Clock;
  readonly ptimeMs: number;
  /** Frames sent at once after a stall before skipping (default 5). */
  readonly maxBurst?: number;
}

export class FramePacer {
  #n = 0;
  #start = 0;
  #timer?: TimerId;
  #running = false;
  skipped = 0;

  constructor(
    private readonly o: FramePacerOptions,
    /** Called for each due frame with its index and ideal time; return false to stop. */
    private readonly tick: (n: number, dueMs: number) => boolean | void,
  ) {}

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#start = this.o.clock.now();
    this.#n = 0;
    this.#arm();
  }

  #arm(): void {
    const due = this.#start + this.#n * this.o.ptimeMs;
    this.#timer = this.o.clock.setTimer(Math.max(0, due - this.o.clock.now()), () => this.#fire());
  }

  #fire(): void {
    if (!this.#running) return;
    const now = this.o.clock.now();
    const late = Math.floor((now - (this.#start + this.#n * this.o.ptimeMs)) / this.o.ptimeMs);
    const burst = this.o.maxBurst ?? 5;
    if (late > burst) {
      this.skipped += late - burst;
      this.#n += late - burst;
    }
    // Send every frame that is due now (normally one).
    while (this.#running && this.#start + this.#n * this.o.ptimeMs <= now) {
      const n = this.#n++;
      if (this.tick(n, this.#start + n * this.o.ptimeMs) === false) this.stop();
    }
    if (this.#running) this.#arm();
  }

  stop(): void {
    this.#running = false;
    if (this.#timer !== undefined) this.o.clock.clearTimer(this.#timer);
    this.#timer = undefined;
  }
}
