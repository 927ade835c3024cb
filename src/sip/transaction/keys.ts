/**
 * Transaction matching (RFC 3261 §17.1.3 and §17.2.3) and the checks every
 * message passes before it may create state (conventions.md habit 7).
 */
import { canonicalName, header } from "../message/headers.ts";
import type { SipMessage, SipRequest } from "../message/types.ts";
import { BRANCH_COOKIE, parseCSeq, parseVia, type Via, viaParam } from "../message/via.ts";
import { type Result, err, ok } from "../../lib/result.ts";

export interface Essentials {
  readonly via: Via;
  readonly branch: string;
  readonly cseq: { readonly seq: number; readonly method: string };
  readonly callId: string;
}

/** Top Via, branch, CSeq and Call-ID, or why the message cannot be handled. */
export function essentials(msg: SipMessage): Result<Essentials, string> {
  const viaText = msg.headers.find((h) => canonicalName(h.name) === "via")?.value.split(",")[0];
  if (viaText === undefined) return err("no Via");
  const via = parseVia(viaText);
  if (!via.ok) return err(via.error);
  const cseqText = header(msg, "cseq");
  if (cseqText === undefined) return err("no CSeq");
  const cseq = parseCSeq(cseqText);
  if (!cseq.ok) return err(cseq.error);
  const callId = header(msg, "call-id");
  if (callId === undefined || callId === "") return err("no Call-ID");
  if (header(msg, "from") === undefined) return err("no From");
  if (header(msg, "to") === undefined) return err("no To");
  if (msg.kind === "request" && cseq.value.method !== msg.method && !(msg.method === "ACK" && cseq.value.method === "ACK"))
    return err(`CSeq method ${cseq.value.method} does not match ${msg.method}`);
  return ok({ via: via.value, branch: viaParam(via.value, "branch") ?? "", cseq: cseq.value, callId });
}

/** §17.1.3: a response matches the client transaction with its top Via branch and its CSeq method. */
export function clientKey(branch: string, method: string): string {
  return `${branch}|${method === "ACK" ? "INVITE" : method}`;
}

/**
 * §17.2.3: with an RFC 3261 branch (magic cookie), a request matches on
 * branch, sent-by and method (an ACK matches its INVITE). Older clients
 * (RFC 2543) are matched on Request-URI, tags, Call-ID, CSeq and Via.
 */
export function serverKey(req: SipRequest, e: Essentials): string {
  const method = req.method === "ACK" ? "INVITE" : req.method;
  const sentBy = `${e.via.host}:${e.via.port ?? ""}`;
  if (e.branch.startsWith(BRANCH_COOKIE)) return `${e.branch}|${sentBy}|${method}`;
  const fromTag = /;\s*tag=([^;\s]+)/i.exec(header(req, "from") ?? "")?.[1] ?? "";
  return `2543|${req.uri}|${fromTag}|${e.callId}|${e.cseq.seq}|${sentBy}|${method}`;
}
