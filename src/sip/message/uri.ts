/**
 * SIP, SIPS and tel URIs (RFC 3261 §19.1, RFC 3966).
 *
 *   sip:user:password@host:port;uri-parameters?headers
 *   tel:+1-201-555-0123;phone-context=example.com
 *
 * Parameter names compare case-insensitively (§19.1.4); values and the user
 * part are kept as written (escaped), so serialize(parse(x)) === x.
 */
import { type Result, err, ok } from "../../lib/result.ts";

export interface SipUri {
  readonly scheme: "sip" | "sips";
  readonly user?: string;
  readonly password?: string;
  /** Host name, IPv4 address, or IPv6 reference with its brackets. */
  readonly host: string;
  readonly port?: number;
  /** uri-parameters in order; a parameter without value maps to "". */
  readonly params: readonly (readonly [string, string | undefined])[];
  readonly headers: readonly (readonly [string, string])[];
}

export interface TelUri {
  readonly scheme: "tel";
  readonly number: string;
  readonly params: readonly (readonly [string, string | undefined])[];
}

export type Uri = SipUri | TelUri;

export interface UriError {
  readonly code: "URI_SCHEME" | "URI_SYNTAX" | "URI_PORT";
  readonly message: string;
}

const HOST = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.?)$/;

function splitParams(s: string): [string, string | undefined][] {
  if (s === "") return [];
  return s.split(";").map((p) => {
    const eq = p.indexOf("=");
    return eq < 0 ? [p, undefined] : [p.slice(0, eq), p.slice(eq + 1)];
  });
}

export function parseUri(text: string): Result<Uri, UriError> {
  const colon = text.indexOf(":");
  const scheme = text.slice(0, Math.max(0, colon)).toLowerCase();
  if (scheme === "tel") {
    const [num, ...rest] = text.slice(colon + 1).split(";");
    if (num === undefined || !/^(\+[0-9().-]*[0-9][0-9().-]*|[0-9A-Fa-f*#().-]*[0-9A-Fa-f*#][0-9A-Fa-f*#().-]*)$/.test(num))
      return err({ code: "URI_SYNTAX", message: `bad telephone number in ${JSON.stringify(text)}` });
    return ok({ scheme: "tel", number: num, params: splitParams(rest.join(";")) });
  }
  if (scheme !== "sip" && scheme !== "sips")
    return err({ code: "URI_SCHEME", message: `expected a sip:, sips: or tel: URI, got ${JSON.stringify(text.slice(0, 40))}` });
  let rest = text.slice(colon + 1);
  let headers: [string, string][] = [];
  const q = rest.indexOf("?");
  if (q >= 0) {
    headers = rest
      .slice(q + 1)
      .split("&")
      .filter((h) => h !== "")
      .map((h) => {
        const eq = h.indexOf("=");
        return eq < 0 ? [h, ""] : [h.slice(0, eq), h.slice(eq + 1)];
      });
    rest = rest.slice(0, q);
  }
  // The userinfo ends at the last '@' before any parameters; a user part may itself contain ';'.
  const at = rest.lastIndexOf("@");
  let user: string | undefined;
  let password: string | undefined;
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const pc = userinfo.indexOf(":");
    user = pc < 0 ? userinfo : userinfo.slice(0, pc);
    if (pc >= 0) password = userinfo.slice(pc + 1);
    if (user === "") return err({ code: "URI_SYNTAX", message: `empty user part in ${JSON.stringify(text)}` });
  }
  const semi = rest.indexOf(";");
  const hostport = semi < 0 ? rest : rest.slice(0, semi);
  const params = semi < 0 ? [] : splitParams(rest.slice(semi + 1));
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(hostport);
  const host = m?.[1] ?? "";
  if (m === null || !HOST.test(host))
    return err({ code: "URI_SYNTAX", message: `bad host ${JSON.stringify(hostport)} in ${JSON.stringify(text.slice(0, 80))}` });
  let port: number | undefined;
  if (m[2] !== undefined) {
    port = Number(m[2]);
    if (m[2] === "" || port < 1 || port > 65535) return err({ code: "URI_PORT", message: `bad port in ${JSON.stringify(text.slice(0, 80))}` });
  }
  return ok({
    scheme,
    ...(user === undefined ? {} : { user }),
    ...(password === undefined ? {} : { password }),
    host,
    ...(port === undefined ? {} : { port }),
    params,
    headers,
  });
}

export function serializeUri(u: Uri): string {
  const params = u.params.map(([k, v]) => (v === undefined ? `;${k}` : `;${k}=${v}`)).join("");
  if (u.scheme === "tel") return `tel:${u.number}${params}`;
  const userinfo = u.user === undefined ? "" : `${u.user}${u.password === undefined ? "" : `:${u.password}`}@`;
  const headers = u.headers.length === 0 ? "" : `?${u.headers.map(([k, v]) => `${k}=${v}`).join("&")}`;
  return `${u.scheme}:${userinfo}${u.host}${u.port === undefined ? "" : `:${u.port}`}${params}${headers}`;
}

/** A uri-parameter by name (case-insensitive); "" for a flag parameter, undefined when absent. */
export function uriParam(u: Uri, name: string): string | undefined {
  const p = u.params.find(([k]) => k.toLowerCase() === name.toLowerCase());
  return p === undefined ? undefined : (p[1] ?? "");
}
