/**
 * Locating a SIP server (RFC 3263 §4) behind a Resolver port, so the rules
 * are tested with a fake DNS:
 *
 * - transport: the URI's transport parameter, else TLS for sips:, else the
 *   configured one (siprec defaults to TCP toward SRSs);
 * - a numeric host skips DNS; an explicit port skips SRV (§4.2: "If the
 *   TARGET was not a numeric IP address, but a port is present in the URI,
 *   the client performs an A or AAAA record lookup");
 * - otherwise SRV (_sips._tcp, _sip._tcp, _sip._udp) ordered by priority
 *   then weight (RFC 2782), each resolved to addresses; no SRV → A/AAAA on
 *   the default port (5060, 5061 for TLS).
 * Every resolved address is a fail-over target, in order.
 */
import { parseUri, uriParam } from "../message/uri.ts";
import type { Peer, TransportProtocol } from "../transport.ts";

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

export function transportFor(uriText: string, configured: TransportProtocol | undefined): TransportProtocol | undefined {
  const u = parseUri(uriText);
  if (!u.ok || u.value.scheme === "tel") return undefined;
  const t = uriParam(u.value, "transport")?.toLowerCase();
  if (u.value.scheme === "sips") return "tls";
  if (t === "udp" || t === "tcp" || t === "tls") return t;
  return configured ?? "udp";
}

export async function locate(uriText: string, configured: TransportProtocol | undefined, dns: Resolver): Promise<{ ok: true; value: Peer[] } | { ok: false; error: LocateError }> {
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
    // RFC 2782: lowest priority first; among equals, higher weight first (a deterministic stand-in for the weighted draw).
    const sorted = [...records].sort((a, b) => a.priority - b.priority || b.weight - a.weight);
    for (const r of sorted) for (const a of await dns.addresses(r.name).catch(() => [])) targets.push({ protocol, host: a, port: r.port });
    if (sorted.length > 0 && targets.length > 0) return { ok: true, value: targets };
  }
  for (const a of await dns.addresses(host).catch(() => [])) targets.push({ protocol, host: a, port: u.value.port ?? defaultPort });
  if (targets.length === 0) return { ok: false, error: { code: "LOCATE_NOT_FOUND", message: `no address for ${host}` } };
  return { ok: true, value: targets };
}
