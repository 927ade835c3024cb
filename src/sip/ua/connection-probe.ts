/**
 * What a dialog does when the stream connection toward its peer is closed
 * or reset by the peer (or fails). A connection is not the dialog (RFC 3261
 * §18: a new one may be opened for the next request), so one in-dialog
 * OPTIONS asks over a new one: any response keeps the dialog; no
 * connection, no answer within PROBE_DEADLINE_MS, the probe's own
 * connection lost too, or 481/408 end it as "transport-lost".
 */
import type { RequestResult } from "./client-request.ts";
import type { Clock, TimerId } from "../../lib/clock.ts";

/** How long the probe may take before the peer counts as gone (one that is up answers in milliseconds). */
export const PROBE_DEADLINE_MS = 5_000;

export class ConnectionProbe {
  #lost: (() => void) | undefined;
  #active = false;

  constructor(
    private readonly clock: Clock,
    private readonly options: () => Promise<RequestResult>,
  ) {}

  /** A probe is running (a 408/481 to it is the transport's loss). */
  get active(): boolean {
    return this.#active;
  }

  /** Resolves true when the peer is gone. Only one probe at a time; a loss during it ends it at once. */
  async run(): Promise<boolean> {
    if (this.#active) {
      // The probe's own connection lost as well (the peer accepted it while dying): it is gone.
      this.#lost?.();
      return false;
    }
    this.#active = true;
    let timer: TimerId | undefined;
    try {
      // A peer dying as we connect can take the request and never answer (Timer F: 32 s).
      const late = new Promise<"late">((r) => {
        timer = this.clock.setTimer(PROBE_DEADLINE_MS, () => r("late"));
        this.#lost = () => r("late");
      });
      const r = await Promise.race([this.options(), late]);
      return r === "late" || r.kind === "transport";
    } finally {
      if (timer !== undefined) this.clock.clearTimer(timer);
      this.#active = false;
      this.#lost = undefined;
    }
  }
}
