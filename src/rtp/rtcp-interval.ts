/**
 * When the next RTCP report goes (RFC 3550 §6.3.1): "the calculated
 * interval ... is multiplied by a random factor uniformly distributed
 * between 0.5 and 1.5", so reports of many participants do not bunch up.
 * §6.2: "the initial RTCP packet ... [uses] half the minimum interval".
 * One rule for the sender reports (rtcp-reporter.ts) and the reference
 * SRS's receiver reports.
 */
import type { IdSource } from "../lib/ids.ts";

/** RFC 3550 §6.2: the recommended minimum deterministic interval. */
export const RTCP_DEFAULT_INTERVAL_MS = 5000;

export function rtcpDelayMs(ids: IdSource, intervalMs = RTCP_DEFAULT_INTERVAL_MS, first = false): number {
  const t = first ? intervalMs / 2 : intervalMs;
  return Math.round(t * (0.5 + (ids.uint32() % 10_001) / 10_000));
}
