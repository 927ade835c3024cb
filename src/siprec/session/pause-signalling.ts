/**
 * PCI pause and resume of one recording session.
 *
 * Pause: the media gate closes first (no packet after the call returns),
 * then the re-INVITE with every stream inactive (RFC 7866 §8.1.4 lets the
 * SRC pause by setting the streams inactive). If that signalling fails the
 * gate stays closed and the recording stays paused.
 *
 * Resume: only when the SRS accepted the sendonly re-INVITE; a refusal
 * leaves the recording paused (never resumed without the SRS knowing) and
 * is tried again after 2, 4 and 8 s unless someone paused or stopped
 * meanwhile, so a busy or restarting SRS still gets the rest of the call.
 * 481: the dialog is gone, nothing to retry.
 */
import { type Backoff, backoffMs } from "../../lib/backoff.ts";
import type { Clock, TimerId } from "../../lib/clock.ts";

/** 2 s, 4 s, 8 s ... between resume attempts. */
const RESUME_BACKOFF: Backoff = { initialMs: 1000, maxMs: 60_000 };
const RESUME_RETRIES = 3;

export interface PauseSpan {
  readonly fromMs: number;
  toMs?: number;
  signalled: boolean;
}

export interface PauseSignallingOptions {
  readonly clock: Clock;
  gate(open: boolean): void;
  /** Sends the re-INVITE with every stream in `direction`; the final status (408/503 for timeouts and transport errors). */
  reinvite(direction: "inactive" | "sendonly"): Promise<number>;
  warn(message: string): void;
  /** The session's state, and its change between recording and paused. */
  state(): string;
  setState(s: "recording" | "paused"): void;
}

export class PauseSignalling {
  readonly spans: PauseSpan[] = [];
  #tries = 0;
  #timer: TimerId | undefined;

  constructor(private readonly o: PauseSignallingOptions) {}

  async pause(): Promise<boolean> {
    this.cancel();
    if (this.o.state() !== "recording") return false;
    this.o.gate(false);
    this.o.setState("paused");
    const span: PauseSpan = { fromMs: this.o.clock.wallNow(), signalled: false };
    this.spans.push(span);
    const status = await this.o.reinvite("inactive");
    span.signalled = status < 300;
    if (status >= 300) this.o.warn(`pause re-INVITE failed with ${status}; audio stays stopped`);
    return status < 300;
  }

  async resume(): Promise<boolean> {
    if (this.o.state() !== "paused") return false;
    this.cancel();
    this.#tries = 0;
    return this.#tryResume();
  }

  /** No resume attempt is pending after this (a pause, a stop). */
  cancel(): void {
    if (this.#timer !== undefined) this.o.clock.clearTimer(this.#timer);
    this.#timer = undefined;
    this.#tries = RESUME_RETRIES + 1; // an attempt already on the wire is void
  }

  /** The recording ended: open spans end now. */
  closeAll(): void {
    for (const p of this.spans) p.toMs ??= this.o.clock.wallNow();
  }

  async #tryResume(): Promise<boolean> {
    const status = await this.o.reinvite("sendonly");
    if (status >= 300) {
      const retry = status !== 481 && this.#tries < RESUME_RETRIES;
      this.o.warn(`resume re-INVITE failed with ${status}; the recording stays paused${retry ? `, trying again in ${2 ** (this.#tries + 1)} s` : ""}`);
      if (retry) {
        const attempt = ++this.#tries;
        this.#timer = this.o.clock.setTimer(backoffMs(RESUME_BACKOFF, attempt), () => {
          this.#timer = undefined;
          if (this.o.state() === "paused" && this.#tries === attempt) void this.#tryResume();
        });
      }
      return false;
    }
    const span = this.spans.at(-1);
    if (span !== undefined) span.toMs = this.o.clock.wallNow();
    this.o.setState("recording");
    this.o.gate(true);
    return true;
  }
}
