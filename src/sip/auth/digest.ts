/**
 * HTTP Digest authentication for SIP (RFC 3261 §22.4, RFC 2617, RFC 7616,
 * RFC 8760 for SHA-256 in SIP). Pure computation over node:crypto hashes.
 *
 * RFC 8760 §2.4: "the UAC ... SHOULD use the algorithm ... that is the most
 * preferred" when several challenges are offered; we prefer SHA-256 over
 * MD5, and qop=auth over auth-int (bodies are not hashed unless only
 * auth-int is offered).
 */
import { createHash } from "node:crypto";
import { type Result, err, ok } from "../../lib/result.ts";

export type DigestAlgorithm = "MD5" | "MD5-sess" | "SHA-256" | "SHA-256-sess";

export interface Challenge {
  readonly realm: string;
  readonly nonce: string;
  readonly opaque?: string;
  readonly algorithm: DigestAlgorithm;
  readonly qop: readonly string[];
  /** RFC 2617 §3.2.1: the nonce was stale; retry with the new one without asking for new credentials. */
  readonly stale: boolean;
}

/** Splits `a="x, y", b=z` into pairs, honouring quoted strings. */
function authParams(s: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /\s*([A-Za-z0-9_-]+)\s*=\s*("((?:[^"\\]|\\.)*)"|[^,\s]*)\s*(?:,|$)/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null && m[0] !== "")
    out.set((m[1] as string).toLowerCase(), m[3] !== undefined ? m[3].replace(/\\(.)/g, "$1") : (m[2] as string));
  return out;
}

export function parseChallenge(value: string): Result<Challenge, string> {
  const m = /^\s*Digest\s+(.*)$/is.exec(value);
  if (m === null) return err(`not a Digest challenge: ${JSON.stringify(value.slice(0, 60))}`);
  const p = authParams(m[1] as string);
  const realm = p.get("realm");
  const nonce = p.get("nonce");
  if (realm === undefined || nonce === undefined) return err("the Digest challenge lacks realm or nonce");
  const alg = (p.get("algorithm") ?? "MD5").toUpperCase();
  const algorithm = ({ MD5: "MD5", "MD5-SESS": "MD5-sess", "SHA-256": "SHA-256", "SHA-256-SESS": "SHA-256-sess" } as Record<string, DigestAlgorithm>)[alg];
  if (algorithm === undefined) return err(`unsupported digest algorithm ${alg}`);
  const qop = (p.get("qop") ?? "")
    .split(",")
    .map((x) => x.trim().toLowerCase())
    .filter((x) => x !== "");
  const opaque = p.get("opaque");
  return ok({ realm, nonce, algorithm, qop, stale: (p.get("stale") ?? "").toLowerCase() === "true", ...(opaque === undefined ? {} : { opaque }) });
}

/** The challenge to answer among several (SHA-256 first, then MD5). */
export function pickChallenge(values: readonly string[]): Challenge | undefined {
  const parsed = values.map(parseChallenge).flatMap((r) => (r.ok ? [r.value] : []));
  const rank = (c: Challenge) => (c.algorithm.startsWith("SHA-256") ? 0 : 1);
  return parsed.sort((a, b) => rank(a) - rank(b))[0];
}

function h(alg: DigestAlgorithm, s: string | Uint8Array): string {
  return createHash(alg.startsWith("SHA-256") ? "sha256" : "md5")
    .update(s)
    .digest("hex");
}

export interface DigestInput {
  readonly username: string;
  readonly password: string;
  readonly method: string;
  readonly uri: string;
  readonly cnonce: string;
  /** Nonce count for this nonce, from 1 (RFC 2617 §3.2.2). */
  readonly nc: number;
  readonly body?: Uint8Array;
}

export function digestResponse(c: Challenge, i: DigestInput, qop: string | undefined): string {
  let ha1 = h(c.algorithm, `${i.username}:${c.realm}:${i.password}`);
  if (c.algorithm.endsWith("-sess")) ha1 = h(c.algorithm, `${ha1}:${c.nonce}:${i.cnonce}`);
  const ha2 =
    qop === "auth-int" ? h(c.algorithm, `${i.method}:${i.uri}:${h(c.algorithm, i.body ?? new Uint8Array())}`) : h(c.algorithm, `${i.method}:${i.uri}`);
  const nc = i.nc.toString(16).padStart(8, "0");
  return qop === undefined ? h(c.algorithm, `${ha1}:${c.nonce}:${ha2}`) : h(c.algorithm, `${ha1}:${c.nonce}:${nc}:${i.cnonce}:${qop}:${ha2}`);
}

const quote = (s: string) => `"${s.replace(/(["\\])/g, "\\$1")}"`;

/** The Authorization / Proxy-Authorization header value answering `c`. */
export function buildAuthorization(c: Challenge, i: DigestInput): string {
  const qop = c.qop.includes("auth") ? "auth" : c.qop.includes("auth-int") ? "auth-int" : undefined;
  const parts = [
    `username=${quote(i.username)}`,
    `realm=${quote(c.realm)}`,
    `nonce=${quote(c.nonce)}`,
    `uri=${quote(i.uri)}`,
    `response=${quote(digestResponse(c, i, qop))}`,
    `algorithm=${c.algorithm}`,
  ];
  if (qop !== undefined) parts.push(`cnonce=${quote(i.cnonce)}`, `qop=${qop}`, `nc=${i.nc.toString(16).padStart(8, "0")}`);
  if (c.opaque !== undefined) parts.push(`opaque=${quote(c.opaque)}`);
  return `Digest ${parts.join(", ")}`;
}
