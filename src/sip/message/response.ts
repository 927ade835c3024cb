/**
 * Building a response to a request (RFC 3261 §8.2.6.2): "the From field ...
 * MUST equal the From header field of the request. The Call-ID ... MUST
 * equal ... The CSeq ... MUST equal ... The Via header field values ... MUST
 * equal the Via header field values in the request and MUST maintain the
 * same ordering." A To tag is added unless the request already had one or
 * the response is 100 (§8.2.6.2: "... a UAS MUST add a tag to the To header
 * field in the response (with the exception of the 100 (Trying) response").
 */
import { canonicalName } from "./headers.ts";
import { parseMessage } from "./parse.ts";
import type { HeaderField, SipRequest, SipResponse } from "./types.ts";

export const REASONS: Readonly<Record<number, string>> = {
  100: "Trying",
  180: "Ringing",
  183: "Session Progress",
  200: "OK",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  407: "Proxy Authentication Required",
  408: "Request Timeout",
  415: "Unsupported Media Type",
  420: "Bad Extension",
  480: "Temporarily Unavailable",
  481: "Call/Transaction Does Not Exist",
  486: "Busy Here",
  487: "Request Terminated",
  488: "Not Acceptable Here",
  491: "Request Pending",
  500: "Server Internal Error",
  501: "Not Implemented",
  503: "Service Unavailable",
  504: "Server Time-out",
  603: "Decline",
};

export interface ResponseOptions {
  readonly reason?: string;
  /** To tag to add when the request's To has none (not used for 100). */
  readonly toTag?: string;
  readonly headers?: readonly HeaderField[];
  readonly body?: Uint8Array;
}

const COPIED = new Set(["via", "from", "call-id", "cseq"]);

export function buildResponse(req: SipRequest, status: number, opts: ResponseOptions = {}): SipResponse {
  const headers: HeaderField[] = [];
  for (const h of req.headers) {
    const n = canonicalName(h.name);
    if (COPIED.has(n)) headers.push(h);
    else if (n === "to") {
      const hasTag = /;\s*tag=/i.test(h.value);
      headers.push(!hasTag && status !== 100 && opts.toTag !== undefined ? { name: h.name, value: `${h.value};tag=${opts.toTag}` } : h);
    }
  }
  // RFC 3261 §8.2.6.1: a 100 copies the request's Timestamp.
  if (status === 100) for (const h of req.headers) if (canonicalName(h.name) === "timestamp") headers.push(h);
  return {
    kind: "response",
    status,
    reason: opts.reason ?? REASONS[status] ?? "Unknown",
    headers: [...headers, ...(opts.headers ?? [])],
    body: opts.body ?? new Uint8Array(),
    bodyOffset: 0,
  };
}

/**
 * The response to a request a stream framer had to give up on, built from
 * its head alone (the body was never read, the stream is closed after it);
 * undefined when the head is not a request (nothing can be answered):
 * - RFC 3261 §21.4.14 "413 Request Entity Too Large: ... the request
 *   entity-body is larger than the server is willing or able to process";
 * - §21.5.14 "513 Message Too Large: The server was unable to process the
 *   request since the message length exceeded its capabilities" (headers
 *   without end: only their complete lines are read);
 * - §18.3 "the Content-Length header field MUST be used with stream-oriented
 *   transports": missing or invalid is a 400.
 */
export function framingErrorResponse(head: Uint8Array, status: 400 | 413 | 513, complete = true): SipResponse | undefined {
  let text = new TextDecoder().decode(head);
  if (!complete) text = text.slice(0, Math.max(0, text.lastIndexOf("\n")));
  text = text.replace(/\r?\n(?:content-length|l)[ \t]*:[^\r\n]*/gi, "").replace(/(\r?\n)*$/, "");
  const r = parseMessage(new TextEncoder().encode(`${text}\r\nContent-Length: 0\r\n\r\n`), { framing: "datagram" });
  if (!r.ok || r.value.kind !== "request" || r.value.method === "ACK") return undefined;
  const reason =
    status === 413 ? "Request Entity Too Large" : status === 513 ? "Message Too Large" : "Bad Request: missing or invalid Content-Length on a stream transport";
  return buildResponse(r.value, status, { reason });
}
