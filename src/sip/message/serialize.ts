/**
 * SipMessage → bytes with CRLF line ends and a Content-Length that always
 * equals the body length (RFC 3261 §20.14): any Content-Length field in the
 * message is replaced.
 */
import { canonicalName } from "./headers.ts";
import type { SipMessage } from "./types.ts";

export function serializeMessage(msg: SipMessage): Uint8Array {
  const start = msg.kind === "request" ? `${msg.method} ${msg.uri} SIP/2.0` : `SIP/2.0 ${msg.status} ${msg.reason}`;
  const lines = [start];
  for (const h of msg.headers) if (canonicalName(h.name) !== "content-length") lines.push(`${h.name}: ${h.value}`);
  lines.push(`Content-Length: ${msg.body.length}`);
  const head = new TextEncoder().encode(`${lines.join("\r\n")}\r\n\r\n`);
  const out = new Uint8Array(head.length + msg.body.length);
  out.set(head, 0);
  out.set(msg.body, head.length);
  return out;
}
