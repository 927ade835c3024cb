/**
 * Failover: the order a group's recording servers are tried in, and which
 * refusals move on to the next one. The mod_siprec operator semantics:
 * servers of one group by priority (config order on ties), a server marked
 * down by its OPTIONS checks skipped, the next tried on the listed answers.
 */

export { DEFAULT_FAILOVER_ON } from "../../config/schema-recording.ts";

/** The servers of `group` in the order they are tried: priority, then the order they are listed in. */
export function failoverOrder<S extends { readonly group: string; readonly priority: number }>(servers: readonly S[], group: string): S[] {
  return servers
    .map((s, i) => ({ s, i }))
    .filter(({ s }) => s.group === group)
    .sort((a, b) => a.s.priority - b.s.priority || a.i - b.i)
    .map(({ s }) => s);
}

/** Whether a refused INVITE moves on to the group's next server ([recording] failover_on). */
export function failsOver(status: number, list: readonly (number | string)[]): boolean {
  // Transport errors and timeouts always move on (RFC 3263 §4.3).
  if (status === 408 || status === 503) return true;
  return list.some((x) => x === status || (typeof x === "string" && x.length === 3 && x.endsWith("xx") && Math.floor(status / 100) === Number(x[0])));
}
