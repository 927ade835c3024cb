/**
 * Cuts SIP messages out of a byte stream (TCP/TLS, RFC 3261 §18.3): a
 * header section ends at the first empty line, and the body is exactly
 * Content-Length bytes ("MUST be used with stream-oriented transports").
 * CRLF keep-alives between messages (RFC 5626 §3.5.1) are skipped.
 *
 * Bounded: a header section longer than the message limit without its
 * empty line, or a Content-Length beyond it, is an error after which the
 * connection must be closed (there is no way to resynchronise a stream).
 */
import { MAX_MESSAGE_BYTES } from "./parse.ts";
import { type Result, err, ok } from "../../lib/result.ts";

export interface FramerError {
  readonly code: "FRAME_HEADER_TOO_LONG" | "FRAME_BAD_CONTENT_LENGTH" | "FRAME_TOO_LARGE";
  readonly message: string;
  /** FRAME_TOO_LARGE: the message's start line and headers (enough to answer 413, RFC 3261 §21.4.14). */
  readonly head?: Uint8Array;
}

const CR = 0x0d;
const LF = 0x0a;

export class StreamFramer {
  #buf = new Uint8Array(0);
  #failed = false;

  constructor(private readonly max = MAX_MESSAGE_BYTES) {}

  /** Bytes held waiting for the rest of a message. */
  get buffered(): number {
    return this.#buf.length;
  }

  push(chunk: Uint8Array): Result<Uint8Array[], FramerError> {
    if (this.#failed) return err({ code: "FRAME_TOO_LARGE", message: "the stream already failed" });
    const joined = new Uint8Array(this.#buf.length + chunk.length);
    joined.set(this.#buf, 0);
    joined.set(chunk, this.#buf.length);
    this.#buf = joined;
    const out: Uint8Array[] = [];
    for (;;) {
      let start = 0;
      while (start < this.#buf.length && (this.#buf[start] === CR || this.#buf[start] === LF)) start++;
      if (start > 0) this.#buf = this.#buf.subarray(start);
      if (this.#buf.length === 0) break;
      const end = findHeaderEnd(this.#buf, this.max);
      if (end === undefined) {
        if (this.#buf.length > this.max) return this.#fail({ code: "FRAME_HEADER_TOO_LONG", message: `no end of headers within ${this.max} bytes` });
        break;
      }
      const length = contentLength(this.#buf.subarray(0, end.at));
      if (length === undefined || length < 0) return this.#fail({ code: "FRAME_BAD_CONTENT_LENGTH", message: "a message on a stream transport needs one valid Content-Length (RFC 3261 §18.3)" });
      const total = end.at + end.sep + length;
      if (total > this.max) return this.#fail({ code: "FRAME_TOO_LARGE", message: `message of ${total} bytes exceeds ${this.max}`, head: this.#buf.slice(0, end.at + end.sep) });
      if (this.#buf.length < total) break;
      out.push(this.#buf.slice(0, total));
      this.#buf = this.#buf.subarray(total);
    }
    // Do not keep a large backing buffer alive for a small remainder.
    if (this.#buf.byteOffset > 0) this.#buf = this.#buf.slice();
    return ok(out);
  }

  #fail(e: FramerError): Result<Uint8Array[], FramerError> {
    this.#failed = true;
    this.#buf = new Uint8Array(0);
    return err(e);
  }
}

function findHeaderEnd(b: Uint8Array, max: number): { at: number; sep: number } | undefined {
  const limit = Math.min(b.length, max + 4);
  for (let i = 0; i + 1 < limit; i++) {
    if (b[i] !== LF) continue;
    if (b[i + 1] === LF) return { at: i, sep: 2 };
    if (b[i + 1] === CR && b[i + 2] === LF) return { at: i, sep: 3 };
  }
  return undefined;
}

function contentLength(head: Uint8Array): number | undefined {
  const text = new TextDecoder().decode(head);
  const values = [...text.matchAll(/\r?\n(?:content-length|l)[ \t]*:[ \t]*([^\r\n]*)/gi)].map((m) => (m[1] ?? "").trim());
  if (values.length === 0 || new Set(values).size > 1) return undefined;
  return /^\d{1,9}$/.test(values[0] as string) ? Number(values[0]) : undefined;
}
