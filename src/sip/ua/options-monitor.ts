/**
 * OPTIONS health checks per recording server (RFC 3261 §11): a server is
 * marked down after `downAfter` failed checks in a row and up again after
 * `upAfter` good ones (hysteresis, so one lost datagram does not flap it).
 * Any final response but 408/503/5xx (other than 501) proves the server is
 * alive: a 404 or 405 to OPTIONS still means it answers SIP.
 */
import type { Clock, TimerId } from "../../lib/clock.ts";

export type Health = "unknown" | "up" | "down";

export interface MonitorTarget {
  readonly name: string;
  readonly intervalMs: number;
  /** Sends one OPTIONS and resolves with the final status (408 timeout, 503 transport). */
  probe(): Promise<number>;
}

export interface MonitorOptions {
  readonly clock: Clock;
  readonly downAfter?: number;
  readonly upAfter?: number;
  readonly onChange?: (name: string, health: Health, lastStatus: number) => void;
}

interface Entry {
  readonly target: MonitorTarget;
  health: Health;
  okStreak: number;
  failStreak: number;
  lastStatus?: number;
  timer?: TimerId;
  busy: boolean;
}

export function isAlive(status: number): boolean {
  return (status >= 200 && status < 500 && status !== 408) || status === 501;
}

export class OptionsMonitor {
  readonly #entries = new Map<string, Entry>();
  #stopped = false;

  constructor(private readonly o: MonitorOptions) {}

  add(target: MonitorTarget): void {
    this.remove(target.name);
    const e: Entry = { target, health: "unknown", okStreak: 0, failStreak: 0, busy: false };
    this.#entries.set(target.name, e);
    if (target.intervalMs > 0) void this.#check(e);
  }

  remove(name: string): void {
    const e = this.#entries.get(name);
    if (e?.timer !== undefined) this.o.clock.clearTimer(e.timer);
    this.#entries.delete(name);
  }

  health(name: string): Health {
    return this.#entries.get(name)?.health ?? "unknown";
  }

  /** Servers are tried unless known to be down (unknown counts as usable). */
  isUsable(name: string): boolean {
    return this.health(name) !== "down";
  }

  snapshot(): { name: string; health: Health; lastStatus?: number }[] {
    return [...this.#entries.values()].map((e) => ({
      name: e.target.name,
      health: e.health,
      ...(e.lastStatus === undefined ? {} : { lastStatus: e.lastStatus }),
    }));
  }

  /** Feeds an outcome seen elsewhere (e.g. an INVITE that timed out) into the same counters. */
  report(name: string, status: number): void {
    const e = this.#entries.get(name);
    if (e !== undefined) this.#record(e, status);
  }

  async #check(e: Entry): Promise<void> {
    if (this.#stopped || this.#entries.get(e.target.name) !== e || e.busy) return;
    e.busy = true;
    const status = await e.target.probe().catch(() => 503);
    e.busy = false;
    if (this.#stopped || this.#entries.get(e.target.name) !== e) return;
    this.#record(e, status);
    e.timer = this.o.clock.setTimer(e.target.intervalMs, () => void this.#check(e));
  }

  #record(e: Entry, status: number): void {
    e.lastStatus = status;
    const before = e.health;
    if (isAlive(status)) {
      e.okStreak++;
      e.failStreak = 0;
      if (e.health === "unknown" || (e.health === "down" && e.okStreak >= (this.o.upAfter ?? 2))) e.health = "up";
    } else {
      e.failStreak++;
      e.okStreak = 0;
      if (e.failStreak >= (this.o.downAfter ?? 2)) e.health = "down";
    }
    if (e.health !== before) this.o.onChange?.(e.target.name, e.health, status);
  }

  /** Idempotent: stops every check. */
  stop(): void {
    this.#stopped = true;
    for (const e of this.#entries.values()) if (e.timer !== undefined) this.o.clock.clearTimer(e.timer);
  }
}
