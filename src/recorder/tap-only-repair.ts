/**
 * Keeps our native taps from deafening FreeSWITCH's own recordings.
 *
 * FreeSWITCH 1.10.12 sets a channel's "only native taps" flag
 * (SSF_MEDIA_BUG_TAP_ONLY) in switch_core_media_bug_add() from the bugs that
 * were on the channel before the new one, and while it is set no other bug
 * is fed the read side. So a customer's `uuid_record` / `record_session`
 * (or a supervisor's `eavesdrop`) started after our native_eavesdrop taps
 * records the caller as silence (a supervisor's `eavesdrop` hears one party;
 * its bug cannot be told from our own taps', so that case is documented, not
 * repaired). Adding any bug once a non-native one is
 * present recomputes the flag correctly, and removing any bug clears it. On
 * the MEDIA_BUG_START of someone else's bug on a channel we tap natively,
 * we add and at once remove a probe bug of our own: a `uuid_record` into a
 * file only we name, so nobody else's bug is touched. Verified against a
 * real FreeSWITCH (test/freeswitch/coexistence.test.ts).
 */
import type { Clock } from "../lib/clock.ts";
import type { Logger } from "../lib/log.ts";
import type { EslPort } from "./ports.ts";

export interface TapOnlyRepairDeps {
  readonly esl: EslPort;
  readonly clock: Clock;
  readonly log: Logger;
  /** Where FreeSWITCH writes the probe (a few bytes, removed by `removeProbe`). */
  readonly probeDir: string;
  readonly removeProbe?: (path: string) => void;
  readonly onRepaired?: () => void;
}

const PROBE = "siprec-tap-repair-";

export class TapOnlyRepair {
  readonly #inFlight = new Set<string>();

  constructor(private readonly d: TapOnlyRepairDeps) {}

  /** True for the MEDIA_BUG_START our own probe fires (its target is the probe file). */
  static isProbe(target: string | undefined): boolean {
    return target !== undefined && target.includes(PROBE);
  }

  /** Someone else's bug started on `callUuid`, which we tap natively. */
  bugStarted(callUuid: string, fn: string, target: string | undefined): void {
    // Our own taps are "eavesdrop" bugs too, and their MEDIA_BUG_START names nothing that tells them
    // from a supervisor's: eavesdrop bugs are left alone (README: a supervisor's eavesdrop after our taps).
    if (TapOnlyRepair.isProbe(target) || fn === "eavesdrop") return;
    if (this.#inFlight.has(callUuid) || !/^[0-9a-fA-F-]{36}$/.test(callUuid)) return;
    // The path goes into an api command line: a folder with spaces or control characters cannot.
    if (!/^\/[A-Za-z0-9_./-]*$/.test(this.d.probeDir))
      return this.d.log.warn("cannot repair FreeSWITCH's tap-only flag: unusable probe folder", { callUuid, probeDir: this.d.probeDir });
    this.#inFlight.add(callUuid);
    const path = `${this.d.probeDir.replace(/\/$/, "")}/${PROBE}${callUuid}-${this.d.clock.wallNow()}.r8`;
    void (async () => {
      const start = await this.d.esl.api(`uuid_record ${callUuid} start ${path}`);
      const stop = await this.d.esl.api(`uuid_record ${callUuid} stop ${path}`);
      this.#inFlight.delete(callUuid);
      this.d.removeProbe?.(path);
      const ok = start.ok && start.value.startsWith("+OK") && stop.ok;
      if (ok) this.d.onRepaired?.();
      this.d.log[ok ? "info" : "warn"]("another media bug on a natively tapped channel: FreeSWITCH's tap-only flag recomputed", {
        callUuid,
        function: fn,
        ok,
        ...(start.ok ? { reply: start.value.trim() } : { error: start.error.message }),
      });
    })();
  }
}
