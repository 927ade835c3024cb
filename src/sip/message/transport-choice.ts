/** Which transport a request to a SIP URI uses: one rule for the daemon, the config check and the operator commands. */
import { parseUri, uriParam } from "./uri.ts";

export type TransportProtocolName = "udp" | "tcp" | "tls";

export type TransportChoiceError = { readonly code: "TRANSPORT_CONFLICT" | "TRANSPORT_BAD_URI"; readonly message: string };

/**
 * The one transport rule (RFC 3263 §4.1, RFC 3261 §26.2): the URI's
 * transport parameter, else TLS for sips:, else the configured one (a
 * --transport flag or [[srs]] transport), else TCP (siprec's default
 * toward SRSs: recording INVITEs are large). A configured transport that
 * contradicts the URI is an error, not a silent pick.
 */
export function decideTransport(
  uriText: string,
  configured: TransportProtocolName | undefined,
): { ok: true; value: TransportProtocolName } | { ok: false; error: TransportChoiceError } {
  const u = parseUri(uriText);
  if (!u.ok || u.value.scheme === "tel")
    return { ok: false, error: { code: "TRANSPORT_BAD_URI", message: `not a sip: or sips: URI: ${JSON.stringify(uriText)}` } };
  const param = uriParam(u.value, "transport")?.toLowerCase();
  if (param !== undefined && param !== "udp" && param !== "tcp" && param !== "tls")
    return { ok: false, error: { code: "TRANSPORT_BAD_URI", message: `unsupported transport=${param} in ${uriText} (udp, tcp or tls)` } };
  // RFC 3261 §26.2.2: sips: means TLS; ";transport=tcp" on a sips: URI is TLS over TCP.
  const fromUri: TransportProtocolName | undefined = u.value.scheme === "sips" ? (param === "udp" ? undefined : "tls") : param;
  if (u.value.scheme === "sips" && param === "udp")
    return { ok: false, error: { code: "TRANSPORT_CONFLICT", message: `${uriText}: a sips: URI cannot use UDP` } };
  if (fromUri !== undefined && configured !== undefined && configured !== fromUri) {
    return { ok: false, error: { code: "TRANSPORT_CONFLICT", message: `transport ${configured} contradicts ${uriText}, which says ${fromUri}` } };
  }
  return { ok: true, value: fromUri ?? configured ?? "tcp" };
}

/** The transport for a URI; where the configured one contradicts it (reported by the config check and the CLI), the URI's own wins (RFC 3263 §4.1). */
export function transportFor(uriText: string, configured: TransportProtocolName | undefined): TransportProtocolName | undefined {
  const d = decideTransport(uriText, configured);
  if (d.ok) return d.value;
  const own = decideTransport(uriText, undefined);
  return own.ok ? own.value : undefined;
}
