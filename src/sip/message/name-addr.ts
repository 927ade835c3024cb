/**
 * name-addr / addr-spec with header parameters (RFC 3261 §20.10, §25.1):
 * From, To, Contact, Route, Record-Route, Refer-To.
 *
 *   "Display Name" <sip:user@host;uri-param>;tag=abc;+sip.src
 *   sip:user@host;tag=abc            (addr-spec: parameters belong to the header)
 *
 * Feature tags such as +sip.src are header parameters, after the '>'
 * (RFC 3840 §9, RFC 7866 §6.1.1).
 */
import { splitParams } from "./headers.ts";
import { type Result, err, ok } from "../../lib/result.ts";

export interface NameAddr {
  readonly displayName?: string;
  /** The URI text as written between < > (or the bare addr-spec). */
  readonly uri: string;
  readonly params: readonly (readonly [string, string | undefined])[];
}

export interface NameAddrError {
  readonly code: "NAME_ADDR_SYNTAX";
  readonly message: string;
}

function unquote(s: string): string {
  return s.slice(1, -1).replace(/\\(.)/g, "$1");
}

export function parseNameAddr(value: string): Result<NameAddr, NameAddrError> {
  const v = value.trim();
  const lt = findAngle(v);
  let displayName: string | undefined;
  let uri: string;
  let paramText: string;
  if (lt >= 0) {
    const gt = v.indexOf(">", lt);
    if (gt < 0) return err({ code: "NAME_ADDR_SYNTAX", message: `no closing '>' in ${JSON.stringify(v.slice(0, 80))}` });
    const name = v.slice(0, lt).trim();
    if (name !== "") displayName = name.startsWith('"') && name.endsWith('"') && name.length >= 2 ? unquote(name) : name;
    uri = v.slice(lt + 1, gt).trim();
    paramText = v.slice(gt + 1);
  } else {
    // RFC 3261 §20.10: in an addr-spec, parameters after ';' are header parameters.
    const semi = v.indexOf(";");
    uri = semi < 0 ? v : v.slice(0, semi);
    paramText = semi < 0 ? "" : v.slice(semi);
  }
  if (uri === "" || !/^[A-Za-z][A-Za-z0-9+.-]*:/.test(uri)) return err({ code: "NAME_ADDR_SYNTAX", message: `no URI in ${JSON.stringify(v.slice(0, 80))}` });
  const params = splitParams(paramText.trim().replace(/^;/, ""))
    .map((p) => p.trim())
    .filter((p) => p !== "")
    .map((p): [string, string | undefined] => {
      const eq = p.indexOf("=");
      return eq < 0 ? [p, undefined] : [p.slice(0, eq).trim(), p.slice(eq + 1).trim()];
    });
  return ok({ ...(displayName === undefined ? {} : { displayName }), uri, params });
}

/** Index of the '<' that opens the URI, skipping a quoted display name. */
function findAngle(v: string): number {
  let quoted = false;
  for (let i = 0; i < v.length; i++) {
    const c = v[i];
    if (quoted && c === "\\") i++;
    else if (c === '"') quoted = !quoted;
    else if (c === "<" && !quoted) return i;
  }
  return -1;
}

export function serializeNameAddr(n: NameAddr): string {
  const name = n.displayName === undefined ? "" : `"${n.displayName.replace(/(["\\])/g, "\\$1")}" `;
  return `${name}<${n.uri}>${n.params.map(([k, v]) => (v === undefined ? `;${k}` : `;${k}=${v}`)).join("")}`;
}

export function nameAddrParam(n: NameAddr, name: string): string | undefined {
  const p = n.params.find(([k]) => k.toLowerCase() === name.toLowerCase());
  return p === undefined ? undefined : (p[1] ?? "");
}

export function hasParam(n: NameAddr, name: string): boolean {
  return n.params.some(([k]) => k.toLowerCase() === name.toLowerCase());
}
