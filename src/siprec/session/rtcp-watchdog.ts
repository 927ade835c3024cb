/**
 * Notices an SRS that stopped sending RTCP while we send it media: the sign
 * of a recorder that died, froze (SIGSTOP) or lost its media path without a
 * word on SIP (over UDP nothing else would tell).
 *
 * RFC 3550 §6.3.5: "At occasional intervals, the participant MUST check to
 * see if any of the other participants time out. To do this, the participant
 * computes the deterministic (without the randomization factor) calculated
 * interval Td for the receiver ... Any other session member who has not sent
 * an RTP or RTCP packet since time tc - MTd (M is the timeout multiplier, and
 * defaults to 5) is timed out."
 *
 * Armed only once the SRS has shown that it reports (one RTCP packet seen
 * since arming): an SRS that never sends RTCP cannot be watched this way.
 * The interval is the SRS's own, measured from its last reports (at least
 * 1 s; 5 s, RFC 3550's minimum, until two reports were seen).
 */
import type { Clock, TimerId } from "../../lib/clock.ts";

/** What the media driver tells of the SRS's RTCP: how many valid packets, and when (clock.now()) the last few came. */
export interface RtcpFeedback {
  readonly count: number;
  readonly lastAt: number | undefined;
  /** Arrival times of the last packets (up to 8, oldest first): the SRS's own interval. */
  readonly recent: readonly number[];
}

/** Packets closer together than this are one report round (one per stream, sent together). */
const SAME_ROUND_MS = 250;

/** Keeps an RtcpFeedback up to date: `heard(now)` for each valid RTCP packet from the SRS. */
export class RtcpHeard implements RtcpFeedback {
  count = 0;
  lastAt: number | undefined;
  readonly recent: number[] = [];

  heard(now: number): void {
    this.count++;
    const round = this.lastAt !== undefined && now - this.lastAt < SAME_ROUND_MS;
    this.lastAt = now;
    // An SRS reports on every stream at about the same time: one round, one arrival (else the
    // interval would look like the few ms between its streams' reports).
    if (round) return;
    this.recent.push(now);
    if (this.recent.length > 8) this.recent.shift();
  }
}

export interface RtcpWatchdogOptions {
  readonly clock: Clock;
  /** M: missed intervals before the SRS counts as gone (0: never). */
  readonly intervals: number;
  readonly feedback: () => RtcpFeedback;
  readonly silent: (silentForMs: number, intervalMs: number) => void;
}

const RFC3550_MIN_MS = 5000;
const FLOOR_MS = 1000;
/**
 * A check that runs this much later than it was due found this process
 * stalled (SIGSTOP, swap): the SRS's reports of that time may still wait
 * in the socket. It accuses nobody and looks again one interval later.
 */
const LATE_CHECK_MS = 500;

export class RtcpWatchdog {
  #timer: TimerId | undefined;
  #due = 0;
  #armedCount = 0;

  constructor(private readonly o: RtcpWatchdogOptions) {}

  /** Watches from now on (media flowing to the SRS); what came before arming does not count as life now. */
  arm(): void {
    if (this.o.intervals <= 0) return;
    this.disarm();
    this.#armedCount = this.o.feedback().count;
    this.#schedule(this.o.clock.now() + FLOOR_MS);
  }

  disarm(): void {
    if (this.#timer !== undefined) this.o.clock.clearTimer(this.#timer);
    this.#timer = undefined;
  }

  /** The SRS's report interval as measured (median of the last gaps), floored; RFC 3550's 5 s until two were seen. */
  intervalMs(): number {
    const a = this.o.feedback().recent;
    if (a.length < 2) return RFC3550_MIN_MS;
    const gaps = a
      .slice(1)
      .map((t, i) => t - (a[i] as number))
      .sort((x, y) => x - y);
    return Math.max(FLOOR_MS, gaps[Math.floor(gaps.length / 2)] as number);
  }

  #schedule(at: number): void {
    this.#due = Math.max(at, this.o.clock.now() + 1);
    this.#timer = this.o.clock.setTimer(Math.max(1, at - this.o.clock.now()), () => this.#check());
  }

  #check(): void {
    this.#timer = undefined;
    const f = this.o.feedback();
    const now = this.o.clock.now();
    const limit = this.o.intervals * this.intervalMs();
    // Until the SRS's interval is known (two reports), looked at every second.
    const learning = f.recent.length < 2;
    // Nothing since arming: this SRS does not report (or not yet); keep looking, never accuse it.
    if (f.count === this.#armedCount || f.lastAt === undefined) return this.#schedule(now + (learning ? FLOOR_MS : limit));
    const quiet = now - f.lastAt;
    if (quiet >= limit && now - this.#due > LATE_CHECK_MS) return this.#schedule(now + this.intervalMs());
    if (quiet >= limit) return this.o.silent(quiet, this.intervalMs());
    // Checked again at the latest when the limit would pass, and often enough to learn the interval.
    this.#schedule(learning ? now + FLOOR_MS : Math.min(f.lastAt + limit, now + Math.max(FLOOR_MS, this.intervalMs() / 2)));
  }
}
