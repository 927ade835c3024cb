/**
 * Header field access: case-insensitive names, RFC 3261 §7.3.3 compact
 * forms, and splitting of comma-separated values (§7.3.1) that respects
 * quoted strings and <...> URIs.
 */
import type { HeaderField, SipMessage } from "./types.ts";

/** RFC 3261 §7.3.3 and later registrations (RFC 3265, 3515, 3892, 4028, 4474, 3841). */
const COMPACT: Readonly<Record<string, string>> = {
  i: "call-id",
  m: "contact",
  e: "content-encoding",
  l: "content-length",
  c: "content-type",
  f: "from",
  s: "subject",
  k: "supported",
  t: "to",
  v: "via",
  o: "event",
  r: "refer-to",
  b: "referred-by",
  u: "allow-events",
  x: "session-expires",
  y: "identity",
  a: "accept-contact",
  d: "request-disposition",
  j: "reject-contact",
};

/** Lower-case long name of a header name as written. */
export function canonicalName(name: string): string {
  const lower = name.toLowerCase();
  return COMPACT[lower] ?? lower;
}

export function headerValues(msg: { readonly headers: readonly HeaderField[] }, name: string): string[] {
  const want = canonicalName(name);
  return msg.headers.filter((h) => canonicalName(h.name) === want).map((h) => h.value);
}

export function header(msg: { readonly headers: readonly HeaderField[] }, name: string): string | undefined {
  return headerValues(msg, name)[0];
}

/** Splits "a, <sip:b,c>;x, "d,e" <sip:f>" at top-level commas. */
export function splitList(value: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (quoted) {
      if (ch === "\\") i++;
      else if (ch === '"') quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === "<") depth++;
    else if (ch === ">") depth = Math.max(0, depth - 1);
    else if (ch === "," && depth === 0) {
      out.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(value.slice(start).trim());
  return out.filter((x) => x !== "");
}

/** Every comma-separated element of every instance of a header (e.g. all option tags in Require). */
export function headerList(msg: SipMessage, name: string): string[] {
  return headerValues(msg, name).flatMap(splitList);
}

/** "Content-Type: multipart/mixed;boundary=x" → { type: "multipart/mixed", params: { boundary: "x" } } */
export interface MediaType {
  readonly type: string;
  readonly params: Readonly<Record<string, string>>;
}

export function parseMediaType(value: string): MediaType | undefined {
  const [head, ...rest] = splitParams(value);
  const type = head?.trim().toLowerCase() ?? "";
  if (!/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(type)) return undefined;
  const params: Record<string, string> = {};
  for (const p of rest) {
    const eq = p.indexOf("=");
    if (eq < 0) continue;
    let v = p.slice(eq + 1).trim();
    if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) v = v.slice(1, -1).replace(/\\(.)/g, "$1");
    params[p.slice(0, eq).trim().toLowerCase()] = v;
  }
  return { type, params };
}

/** Splits at ';' outside quotes. */
export function splitParams(value: string): string[] {
  const out: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (quoted && ch === "\\") i++;
    else if (ch === '"') quoted = !quoted;
    else if (ch === ";" && !quoted) {
      out.push(value.slice(start, i));
      start = i + 1;
    }
  }
  out.push(value.slice(start));
  return out;
}
