/**
 * The SRS ended (BYE) or lost (session timer, 481/408, no ACK) one group's
 * session while the call goes on. Never silent: reported at once
 * (siprec::failed with SIPREC-Interrupted, the log, the
 * siprec_recordings_interrupted_total metric); then the rest of the call
 * is recorded on the group's next server (the one that ended it is not
 * tried again for this call), in the same metadata group, and reported
 * with the gap; when no server takes it and no other group records, the
 * recording fails (and on_failure applies).
 */
import type { SessionPort } from "./ports.ts";
import type { SessionReport } from "../siprec/session/types.ts";
import type { Clock } from "../lib/clock.ts";
import type { Logger } from "../lib/log.ts";

/** What the recording tells the recorder (and so FreeSWITCH) along the way. */
export interface TakeOverNotice {
  readonly kind: "interrupted" | "started" | "failed";
  readonly groups: readonly string[];
  readonly reason: string;
  readonly cause?: string;
  /** "started": the audio the group's servers missed (ms), from when the lost SRS went quiet to the new one's start. */
  readonly gapMs?: number;
}

export interface TakeOverHost {
  readonly id: string;
  readonly callUuid: string;
  readonly clock: Clock;
  readonly log: Logger;
  readonly sessions: Map<string, SessionPort>;
  /** Per group, the servers that ended or lost this recording. */
  readonly skipped: Map<string, string[]>;
  live(): boolean;
  open(skip: readonly string[]): SessionPort;
  watch(s: SessionPort): void;
  /** The recording is paused (PCI, signalled) or held: a new session starts paused too. */
  mustPause(): boolean;
  notify(n: TakeOverNotice): void;
  fail(reason: string): Promise<void>;
  persist(): void;
  /** Adds a group's gap to the recording's total (reported when it stops). */
  gap(group: string, ms: number): void;
}

export async function takeOver(h: TakeOverHost, group: string, s: SessionPort, rep: SessionReport): Promise<void> {
  if (h.sessions.get(group) !== s || rep.endedBy === "local" || !h.live()) return;
  h.sessions.delete(group);
  // An SRS that went quiet (RTCP) had likely stopped recording before we noticed.
  const lostAt = h.clock.now() - (rep.unheardMs ?? 0);
  const cause = rep.cause ?? (rep.endedBy === "srs" ? "srs-bye" : "error");
  const why = `${rep.srs ?? group}: ${rep.reason ?? "the session ended"}`;
  h.log.warn("the SRS ended or lost the recording mid-call: re-recording on the group's next server", {
    recordingId: h.id,
    callUuid: h.callUuid,
    group,
    cause,
    reason: why,
  });
  h.notify({ kind: "interrupted", groups: [group], reason: why, cause });
  const skip = [...(h.skipped.get(group) ?? []), ...(rep.srs === undefined ? [] : [rep.srs])];
  h.skipped.set(group, skip);
  const next = h.open(skip);
  h.sessions.set(group, next);
  h.watch(next);
  const report = await next.start();
  if (!h.live() || h.sessions.get(group) !== next) {
    await next.stop();
    return;
  }
  const gapMs = Math.round(h.clock.now() - lostAt);
  if (report.state === "recording") {
    if (h.mustPause()) await next.pause();
    h.gap(group, gapMs);
    h.log.warn("recording taken over: audio missing at the SRS", { recordingId: h.id, callUuid: h.callUuid, group, srs: report.srs, gapMs });
    h.notify({
      kind: "started",
      groups: [group],
      gapMs,
      reason: `re-recorded on ${report.srs ?? "the next server"} after ${gapMs} ms without a recording server (${why})`,
    });
    return h.persist();
  }
  h.sessions.delete(group);
  const failure = `${group}: interrupted (${why}); no other server took the rest of the call: ${report.reason ?? "no SRS accepted"}`;
  if (h.sessions.size === 0) return h.fail(failure);
  h.notify({ kind: "failed", groups: [group], reason: failure });
  h.persist();
}

/**
 * The audio a recording's SRS groups missed (ms): take-overs add to a
 * group's total; a recording made again after a daemon crash starts with
 * the time since the dead process's last heartbeat. Reported as the most
 * any group missed.
 */
export class GapLedger {
  readonly #byGroup = new Map<string, number>();
  #missingSince: number | undefined;

  add(group: string, ms: number): void {
    this.#byGroup.set(group, (this.#byGroup.get(group) ?? 0) + ms);
  }

  get worst(): number {
    let most = 0;
    for (const ms of this.#byGroup.values()) most = Math.max(most, ms);
    return most;
  }

  /** This recording continues one a crashed process made: the audio since `wallMs` is missing. */
  missingSince(wallMs: number): void {
    this.#missingSince = wallMs;
  }

  /** At the first start: the crash's gap for every group now recording (undefined when there was no crash). */
  started(groups: Iterable<string>, nowWallMs: number): number | undefined {
    const since = this.#missingSince;
    if (since === undefined) return undefined;
    this.#missingSince = undefined;
    const gapMs = Math.max(0, Math.round(nowWallMs - since));
    for (const g of groups) this.add(g, gapMs);
    return gapMs;
  }
}
