/**
 * Bytes → SipMessage (RFC 3261 §7). Bounded (64 KiB, 200 header fields),
 * tolerant where the RFC asks for it (LF-only line ends, header folding
 * §7.3.1, compact names), precise where it matters (start line, header
 * syntax, Content-Length), and every error has a code and a byte offset.
 * Never throws on input.
 */
import { canonicalName } from "./headers.ts";
import type { HeaderField, SipMessage } from "./types.ts";
import { type Result, err, ok } from "../../lib/result.ts";

export const MAX_MESSAGE_BYTES = 64 * 1024;
export const MAX_HEADERS = 200;

export type SipParseErrorCode =
  | "SIP_TOO_LARGE"
  | "SIP_NO_HEADER_END"
  | "SIP_BAD_START_LINE"
  | "SIP_BAD_HEADER"
  | "SIP_TOO_MANY_HEADERS"
  | "SIP_BAD_CONTENT_LENGTH"
  | "SIP_BODY_TRUNCATED";

export interface SipParseError {
  readonly code: SipParseErrorCode;
  readonly message: string;
  readonly offset: number;
}

export interface ParseOptions {
  /**
   * Datagram (UDP, a file): the body is the rest of the input, cut to
   * Content-Length when that is shorter (RFC 3261 §18.3). Stream: the body is
   * exactly Content-Length bytes, which is then mandatory.
   */
  readonly framing?: "datagram" | "stream";
  /** Read the start line and headers only (to answer 400 to a request whose body is cut short). */
  readonly headOnly?: boolean;
}

const fail = (code: SipParseErrorCode, message: string, offset: number) => err<SipParseError>({ code, message, offset });

/** Index of the blank line ending the headers and the length of its line ends. */
function headerEnd(b: Uint8Array): { end: number; sep: number } | undefined {
  for (let i = 0; i + 1 < b.length; i++) {
    if (b[i] !== 0x0a) continue;
    if (b[i + 1] === 0x0a) return { end: i, sep: 2 };
    if (b[i + 1] === 0x0d && b[i + 2] === 0x0a) return { end: i, sep: 3 };
  }
  return undefined;
}

const METHOD = /^[A-Za-z0-9.!%*_+`'~-]+$/;

function startLine(
  line: string,
): Result<{ kind: "request"; method: string; uri: string } | { kind: "response"; status: number; reason: string }, SipParseError> {
  const resp = /^SIP\/2\.0 ([1-6]\d\d)(?: (.*))?$/.exec(line);
  if (resp !== null) return ok({ kind: "response", status: Number(resp[1]), reason: resp[2] ?? "" });
  const parts = line.split(" ");
  if (parts.length === 3 && METHOD.test(parts[0] as string) && parts[2] === "SIP/2.0" && /^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$/.test(parts[1] as string)) {
    // RFC 3261 §19.1.1 / RFC 4475 §3.1.2.10: headers ("?...") are not allowed in a SIP Request-URI.
    if (/^sips?:[^?]*\?/i.test(parts[1] as string))
      return fail("SIP_BAD_START_LINE", "the Request-URI carries URI headers (?...), which a request line may not", 0);
    return ok({ kind: "request", method: parts[0] as string, uri: parts[1] as string });
  }
  return fail("SIP_BAD_START_LINE", `expected "METHOD uri SIP/2.0" or "SIP/2.0 code reason", got ${JSON.stringify(line.slice(0, 80))}`, 0);
}

function parseHeaders(text: string, base: number): Result<HeaderField[], SipParseError> {
  const headers: HeaderField[] = [];
  const lines = text.split(/\r?\n/);
  let offset = base;
  for (const raw of lines) {
    const here = offset;
    offset += raw.length + 1;
    if (raw.endsWith("\r")) offset++;
    const line = raw.replace(/\r$/, "");
    // RFC 3261 §7.3.1: a line starting with whitespace continues the previous field.
    if (/^[ \t]/.test(line)) {
      const last = headers.pop();
      if (last === undefined) return fail("SIP_BAD_HEADER", "a continuation line comes before any header field", here);
      headers.push({ name: last.name, value: `${last.value} ${line.trim()}`.trim() });
      continue;
    }
    const colon = line.indexOf(":");
    const name = colon < 0 ? "" : line.slice(0, colon).trimEnd();
    if (colon < 0 || !/^[A-Za-z0-9.!%*_+`'~-]+$/.test(name))
      return fail("SIP_BAD_HEADER", `expected "Name: value", got ${JSON.stringify(line.slice(0, 80))}`, here);
    if (headers.length >= MAX_HEADERS) return fail("SIP_TOO_MANY_HEADERS", `more than ${MAX_HEADERS} header fields`, here);
    headers.push({ name, value: line.slice(colon + 1).trim() });
  }
  return ok(headers);
}

export function parseMessage(bytes: Uint8Array, opts: ParseOptions = {}): Result<SipMessage, SipParseError> {
  if (bytes.length > MAX_MESSAGE_BYTES) return fail("SIP_TOO_LARGE", `message is ${bytes.length} bytes; the limit is ${MAX_MESSAGE_BYTES}`, MAX_MESSAGE_BYTES);
  const he = headerEnd(bytes);
  if (he === undefined) return fail("SIP_NO_HEADER_END", "no empty line ends the header section", bytes.length);
  const head = new TextDecoder().decode(bytes.subarray(0, he.end));
  const firstBreak = head.search(/\r?\n/);
  const first = (firstBreak < 0 ? head : head.slice(0, firstBreak)).replace(/\r$/, "");
  const sl = startLine(first);
  if (!sl.ok) return sl;
  const headers =
    firstBreak < 0
      ? ok<HeaderField[]>([])
      : parseHeaders(
          head.slice(firstBreak).replace(/^\r?\n/, ""),
          new TextEncoder().encode(head.slice(0, firstBreak)).length + (head[firstBreak] === "\r" ? 2 : 1),
        );
  if (!headers.ok) return headers;
  const bodyOffset = he.end + he.sep;
  const rest = opts.headOnly === true ? new Uint8Array() : bytes.subarray(bodyOffset);
  const cl = headers.value.filter((h) => canonicalName(h.name) === "content-length");
  let body = rest;
  if (cl.length > 0 && opts.headOnly !== true) {
    const values = new Set(cl.map((h) => h.value));
    const v = cl[0]?.value ?? "";
    if (values.size > 1 || !/^\d{1,9}$/.test(v))
      return fail("SIP_BAD_CONTENT_LENGTH", `Content-Length must be one decimal number, got ${JSON.stringify([...values].join(", "))}`, bodyOffset);
    const n = Number(v);
    if (n > rest.length) return fail("SIP_BODY_TRUNCATED", `Content-Length says ${n} bytes but only ${rest.length} follow`, bytes.length);
    body = rest.subarray(0, n);
  } else if (opts.framing === "stream") {
    // RFC 3261 §18.3: "In the case of stream-oriented transports such as TCP, the Content-Length header field indicates the size of the body ... MUST be used".
    return fail("SIP_BAD_CONTENT_LENGTH", "Content-Length is required on a stream transport (RFC 3261 §18.3)", bodyOffset);
  }
  const base = { headers: headers.value, body: body.slice(), bodyOffset };
  return ok(sl.value.kind === "request" ? { ...base, ...sl.value } : { ...base, ...sl.value });
}
