/** A Clock that moves only when a test says so; due timers fire in deadline order. */
import type { Clock, TimerId } from "../../src/lib/clock.ts";

interface Pending {
  readonly id: TimerId;
  readonly at: number;
  readonly fire: () => void;
}

export class ManualClock implements Clock {
  #now = 0;
  #wallOffset: number;
  #nextId = 1;
  #timers = new Map<TimerId, Pending>();

  constructor(wallStart = Date.UTC(2026, 10, 26, 12, 0, 0)) {
    this.#wallOffset = wallStart;
  }

  now(): number {
    return this.#now;
  }

  wallNow(): number {
    return this.#wallOffset + this.#now;
  }

  setTimer(ms: number, fire: () => void): TimerId {
    const id = this.#nextId++;
    this.#timers.set(id, { id, at: this.#now + Math.max(0, ms), fire });
    return id;
  }

  clearTimer(id: TimerId): void {
    this.#timers.delete(id);
  }

  get pendingCount(): number {
    return this.#timers.size;
  }

  /** Advances time by `ms`, firing every timer that falls due, in order (timers set while firing included). */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      let next: Pending | undefined;
      for (const t of this.#timers.values()) if (t.at <= end && (next === undefined || t.at < next.at || (t.at === next.at && t.id < next.id))) next = t;
      if (next === undefined) break;
      this.#timers.delete(next.id);
      this.#now = next.at;
      next.fire();
    }
    this.#now = end;
  }

  /**
   * The whole process stood still for `ms` (SIGSTOP, a long GC): time moves
   * on first, then every timer that fell due fires late, at the new time.
   */
  jump(ms: number): void {
    this.#now += ms;
    for (;;) {
      let next: Pending | undefined;
      for (const t of this.#timers.values()) if (t.at <= this.#now && (next === undefined || t.at < next.at || (t.at === next.at && t.id < next.id))) next = t;
      if (next === undefined) break;
      this.#timers.delete(next.id);
      next.fire();
    }
  }
}
