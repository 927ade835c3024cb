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
  /** The message's start line and headers, enough to answer it (413, 400; FRAME_HEADER_TOO_LONG: the first bytes, for a 513). */
  readonly head?: Uint8Array;
}

const CR = 0x0d;
const LF = 0x0a;

export class StreamFramer {
  /** Bytes received and not yet framed: #buf[0, #len), in a buffer that grows by doubling. */
  #buf = new Uint8Array(0);
  #len = 0;
  /** How far the current message's head has been searched for its end (no rescan from 0 on every push). */
  #scanned = 0;
  #failed = false;

  constructor(private readonly max = MAX_MESSAGE_BYTES) {}

  /** Bytes held waiting for the rest of a message. */
  get buffered(): number {
    return this.#len;
  }

  /** True while a message has begun and its headers are not complete yet. */
  get inHeaders(): boolean {
    return this.#len > 0 && findHeaderEnd(this.#buf.subarray(0, this.#len), this.max, Math.max(0, this.#scanned - 3)) === undefined;
  }

  push(chunk: Uint8Array): Result<Uint8Array[], FramerError> {
    if (this.#failed) return err({ code: "FRAME_TOO_LARGE", message: "the stream already failed" });
    this.#append(chunk);
    const out: Uint8Array[] = [];
    for (;;) {
      let start = 0;
      while (start < this.#len && (this.#buf[start] === CR || this.#buf[start] === LF)) start++;
      if (start > 0) this.#consume(start);
      if (this.#len === 0) break;
      const view = this.#buf.subarray(0, this.#len);
      const end = findHeaderEnd(view, this.max, Math.max(0, this.#scanned - 3));
      if (end === undefined) {
        this.#scanned = this.#len;
        if (this.#len > this.max)
          return this.#fail({
            code: "FRAME_HEADER_TOO_LONG",
            message: `no end of headers within ${this.max} bytes`,
            head: view.slice(0, Math.min(this.#len, 8192)),
          });
        break;
      }
      const length = contentLength(view.subarray(0, end.at));
      if (length === undefined || length < 0)
        return this.#fail({
          code: "FRAME_BAD_CONTENT_LENGTH",
          message: "a message on a stream transport needs one valid Content-Length (RFC 3261 §18.3)",
          head: view.slice(0, end.at + end.sep),
        });
      const total = end.at + end.sep + length;
      if (total > this.max)
        return this.#fail({ code: "FRAME_TOO_LARGE", message: `message of ${total} bytes exceeds ${this.max}`, head: view.slice(0, end.at + end.sep) });
      if (this.#len < total) {
        this.#scanned = end.at; // the head is known: later pushes only wait for the body
        break;
      }
      out.push(view.slice(0, total));
      this.#consume(total);
    }
    return ok(out);
  }

  #append(chunk: Uint8Array): void {
    if (this.#len + chunk.length > this.#buf.length) {
      const grown = new Uint8Array(Math.max(this.#len + chunk.length, this.#buf.length * 2, 4096));
      grown.set(this.#buf.subarray(0, this.#len), 0);
      this.#buf = grown;
    }
    this.#buf.set(chunk, this.#len);
    this.#len += chunk.length;
  }

  /** Drops `n` framed bytes from the front; a small remainder does not keep a large buffer alive. */
  #consume(n: number): void {
    const rest = this.#buf.subarray(n, this.#len);
    this.#len = rest.length;
    this.#scanned = 0;
    if (this.#buf.length > 65536 && rest.length < 4096) this.#buf = rest.slice();
    else this.#buf.copyWithin(0, n, n + rest.length);
  }

  #fail(e: FramerError): Result<Uint8Array[], FramerError> {
    this.#failed = true;
    this.#buf = new Uint8Array(0);
    this.#len = 0;
    return err(e);
  }
}

function findHeaderEnd(b: Uint8Array, max: number, from = 0): { at: number; sep: number } | undefined {
  const limit = Math.min(b.length, max + 4);
  for (let i = from; i + 1 < limit; i++) {
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
