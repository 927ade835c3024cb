/**
 * How a recording session notices and describes an SRS that ended or lost
 * the recording mid-call (#15): its BYE, a dialog the SIP layer gave up on
 * (transport-lost, dialog-lost, session-expired, ack-timeout), or RTCP
 * silence (rtcp-watchdog.ts, armed only while media flows to it). The
 * result is the report's cause, reason and unheardMs: how long before the
 * end the SRS had last confirmed receiving anything (its last RTCP), which
 * a take-over counts as missing audio too.
 */
import type { EndReason } from "../../sip/ua/dialog-session.ts";
import type { Clock } from "../../lib/clock.ts";
import { RtcpWatchdog } from "./rtcp-watchdog.ts";
import type { MediaDriver } from "./types.ts";

export interface SrsLossEnd {
  readonly by: "srs" | "error";
  readonly cause: string;
  readonly reason: string;
  readonly unheardMs?: number;
}

export class SrsLoss {
  readonly #watchdog: RtcpWatchdog;

  constructor(
    private readonly clock: Clock,
    private readonly media: MediaDriver,
    intervals: number,
    /** The SRS went quiet: the session ends it (BYE) with this description. */
    silent: (end: SrsLossEnd) => void,
  ) {
    const feedback = media.feedback?.bind(media);
    this.#watchdog = new RtcpWatchdog({
      clock,
      intervals: feedback === undefined ? 0 : intervals,
      feedback: () => feedback?.() ?? { count: 0, lastAt: undefined, recent: [] },
      silent: (quietMs, intervalMs) =>
        silent({
          by: "error",
          cause: "rtcp-silence",
          reason: `the SRS sent no RTCP for ${Math.round(quietMs)} ms (${intervals} of its ${Math.round(intervalMs)} ms report intervals): gone or frozen`,
          unheardMs: Math.round(quietMs),
        }),
    });
  }

  /** Watched only while media flows to the SRS (not paused, held or all inactive); each change starts afresh. */
  watch(flowing: boolean): void {
    if (flowing) this.#watchdog.arm();
    else this.#watchdog.disarm();
  }

  /** The dialog ended on the SRS's side or was given up by the SIP layer. */
  dialogEnded(reason: EndReason): SrsLossEnd {
    if (reason === "remote-bye") return { by: "srs", cause: "srs-bye", reason: "the SRS ended the recording (BYE)" };
    // Lost, not ended: what the SRS last confirmed having (its last RTCP) is all we know it holds.
    const heard = this.media.feedback?.().lastAt;
    const unheard = heard === undefined ? {} : { unheardMs: Math.min(60_000, Math.round(this.clock.now() - heard)) };
    const reasonText = reason === "transport-lost" ? "the connection to the SRS was lost and it could not be reached again" : `dialog ended: ${reason}`;
    return { by: "error", cause: reason, reason: reasonText, ...unheard };
  }
}
