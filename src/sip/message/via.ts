/**
 * Via and CSeq header values (RFC 3261 §20.42, §20.16).
 *
 *   Via: SIP/2.0/UDP host:port;branch=z9hG4bK...;rport;received=1.2.3.4
 *   CSeq: 4711 INVITE
 */
import { type Result, err, ok } from "../../lib/result.ts";

/** RFC 3261 §8.1.1.7: branch ids of RFC 3261 agents start with this magic cookie. */
export const BRANCH_COOKIE = "z9hG4bK";

export interface Via {
  readonly transport: string;
  readonly host: string;
  readonly port?: number;
  readonly params: readonly (readonly [string, string | undefined])[];
}

export function parseVia(value: string): Result<Via, string> {
  const m = /^SIP\s*\/\s*2\.0\s*\/\s*([A-Za-z0-9-]+)\s+(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?:\s*:\s*(\d{1,5}))?\s*((?:;[^;]*)*)$/i.exec(value.trim());
  if (m === null) return err(`bad Via ${JSON.stringify(value.slice(0, 80))}`);
  const port = m[3] === undefined ? undefined : Number(m[3]);
  if (port !== undefined && (port < 1 || port > 65535)) return err(`bad Via port ${port}`);
  const params = (m[4] ?? "")
    .split(";")
    .map((p) => p.trim())
    .filter((p) => p !== "")
    .map((p): [string, string | undefined] => {
      const eq = p.indexOf("=");
      return eq < 0 ? [p.toLowerCase(), undefined] : [p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim()];
    });
  return ok({ transport: (m[1] as string).toUpperCase(), host: m[2] as string, ...(port === undefined ? {} : { port }), params });
}

export function serializeVia(v: Via): string {
  return `SIP/2.0/${v.transport} ${v.host}${v.port === undefined ? "" : `:${v.port}`}${v.params.map(([k, x]) => (x === undefined ? `;${k}` : `;${k}=${x}`)).join("")}`;
}

export function viaParam(v: Via, name: string): string | undefined {
  const p = v.params.find(([k]) => k === name.toLowerCase());
  return p === undefined ? undefined : (p[1] ?? "");
}

export interface CSeq {
  readonly seq: number;
  readonly method: string;
}

/** RFC 3261 §8.1.1.5: the sequence number is a 32-bit unsigned integer below 2^31. */
export function parseCSeq(value: string): Result<CSeq, string> {
  const m = /^(\d{1,10})\s+([A-Za-z0-9.!%*_+`'~-]+)$/.exec(value.trim());
  if (m === null) return err(`bad CSeq ${JSON.stringify(value.slice(0, 40))}`);
  const seq = Number(m[1]);
  if (seq >= 2 ** 31) return err(`CSeq ${seq} is not below 2^31`);
  return ok({ seq, method: m[2] as string });
}
