/**
 * Locating a SIP server (RFC 3263 §4) behind a Resolver port, so the rules
 * are tested with a fake DNS:
 *
 * - transport: decideTransport (the URI's transport parameter, else TLS for
 *   sips:, else the configured one, else TCP);
 * - a numeric host skips DNS; an explicit port skips SRV (§4.2: "If the
 *   TARGET was not a numeric IP address, but a port is present in the URI,
 *   the client performs an A or AAAA record lookup");
 * - otherwise SRV (_sips._tcp, _sip._tcp, _sip._udp) ordered as RFC 2782
 *   says: lowest priority first, and within a priority a weighted random
 *   draw (srvOrder; deterministic by weight when no randomness is given),
 *   each resolved to addresses; no SRV → A/AAAA on the default port (5060,
 *   5061 for TLS).
 * Every resolved address is a fail-over target, in order.
 */
import { parseUri, uriParam } from "../message/uri.ts";
import type { Peer, TransportProtocol } from "../transport.ts";
import { transportFor } from "../message/transport-choice.ts";

export { decideTransport, transportFor } from "../message/transport-choice.ts";

export interface SrvRecord {
  readonly name: string;
  readonly port: number;
  readonly priority: number;
  readonly weight: number;
}

export interface Resolver {
  srv(name: string): Promise<SrvRecord[]>;
  /** A and AAAA addresses of a name (IPv4 first). */
  addresses(host: string): Promise<string[]>;
}

export type LocateError = { readonly code: "LOCATE_BAD_URI" | "LOCATE_NOT_FOUND" | "LOCATE_BAD_TRANSPORT"; readonly message: string };

const NUMERIC = /^(\d{1,3}(\.\d{1,3}){3}|\[[0-9A-Fa-f:.]+\]|[0-9A-Fa-f]*:[0-9A-Fa-f:.]+)$/;

/**
 * RFC 2782: "A client MUST attempt to contact the target host with the
 * lowest-numbered priority it can reach"; within one priority, "arrange all
 * SRV RRs (that have not been ordered yet) in any order, except that all
 * those with weight 0 are placed at the beginning of the list. Compute the
 * sum of the weights ... Then choose a uniform random number between 0 and
 * the sum computed (inclusive), and select the RR whose running sum value
 * is the first in the selected order which is greater than or equal to the
 * random number selected" — repeated until every RR is ordered.
 * `random` returns a uniform number in [0, 1); without it, higher weight first.
 */
export function srvOrder(records: readonly SrvRecord[], random?: () => number): SrvRecord[] {
  const priorities = [...new Set(records.map((r) => r.priority))].sort((a, b) => a - b);
  const out: SrvRecord[] = [];
  for (const p of priorities) {
    const left = records.filter((r) => r.priority === p);
    if (random === undefined) {
      out.push(...left.sort((a, b) => b.weight - a.weight));
      continue;
    }
    left.sort((a, b) => (a.weight === 0 ? 0 : 1) - (b.weight === 0 ? 0 : 1));
    while (left.length > 0) {
      const sum = left.reduce((n, r) => n + r.weight, 0);
      const pick = Math.floor(random() * (sum + 1));
      let running = 0;
      const i = left.findIndex((r) => (running += r.weight) >= pick);
      out.push(...left.splice(i < 0 ? 0 : i, 1));
    }
  }
  return out;
}

export async function locate(
  uriText: string,
  configured: TransportProtocol | undefined,
  dns: Resolver,
  random?: () => number,
): Promise<{ ok: true; value: Peer[] } | { ok: false; error: LocateError }> {
  const u = parseUri(uriText);
  if (!u.ok || u.value.scheme === "tel") return { ok: false, error: { code: "LOCATE_BAD_URI", message: `cannot locate ${JSON.stringify(uriText)}` } };
  const protocol = transportFor(uriText, configured) as TransportProtocol;
  if (u.value.scheme === "sips" && protocol !== "tls") return { ok: false, error: { code: "LOCATE_BAD_TRANSPORT", message: "a sips: URI needs TLS" } };
  const host = uriParam(u.value, "maddr") ?? u.value.host;
  const defaultPort = protocol === "tls" ? 5061 : 5060;
  if (NUMERIC.test(host)) return { ok: true, value: [{ protocol, host: host.replace(/^\[|\]$/g, ""), port: u.value.port ?? defaultPort }] };
  const targets: Peer[] = [];
  if (u.value.port === undefined) {
    const service = protocol === "tls" ? "_sips._tcp" : protocol === "tcp" ? "_sip._tcp" : "_sip._udp";
    const records = await dns.srv(`${service}.${host}`).catch(() => []);
    const sorted = srvOrder(records, random);
    for (const r of sorted) for (const a of await dns.addresses(r.name).catch(() => [])) targets.push({ protocol, host: a, port: r.port });
    if (sorted.length > 0 && targets.length > 0) return { ok: true, value: targets };
  }
  for (const a of await dns.addresses(host).catch(() => [])) targets.push({ protocol, host: a, port: u.value.port ?? defaultPort });
  if (targets.length === 0) return { ok: false, error: { code: "LOCATE_NOT_FOUND", message: `no address for ${host}` } };
  return { ok: true, value: targets };
}
