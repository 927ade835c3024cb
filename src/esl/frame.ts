/**
 * ESL framing (mod_event_socket, inbound mode). A frame is a header block of
 * `Name: value` lines ended by an empty line (FreeSWITCH sends LF only); a
 * body follows only when the block has Content-Length, and is exactly that
 * many bytes. Several frames often arrive in one read and a frame may be cut
 * anywhere, so framing relies on Content-Length alone.
 *
 * Bounded: a header block without its empty line past `maxHeaderBytes`, or a
 * Content-Length beyond `maxBodyBytes`, fails the stream (it cannot be
 * resynchronised; the connection must be dropped and re-established).
 */
import { type Result, err, ok } from "../lib/result.ts";

export type EslHeaders = readonly (readonly [string, string])[];

export interface EslFrame {
  /** Outer headers in wire order (not URL-decoded: FreeSWITCH sends them plain). */
  readonly headers: EslHeaders;
  /** The Content-Type header, "" when absent. */
  readonly contentType: string;
  readonly body: Uint8Array | undefined;
}

export type EslFrameErrorCode = "ESL_HEADER_TOO_LONG" | "ESL_BAD_HEADER_LINE" | "ESL_BAD_CONTENT_LENGTH" | "ESL_BODY_TOO_LARGE" | "ESL_STREAM_FAILED";

export interface EslFrameError {
  readonly code: EslFrameErrorCode;
  readonly message: string;
  /** Offset in the stream where the offending frame starts. */
  readonly offset: number;
}

export interface EslFramerLimits {
  readonly maxHeaderBytes: number;
  readonly maxBodyBytes: number;
}

/** `show channels as json` on a busy switch is large; single events are a few KiB. */
export const DEFAULT_ESL_LIMITS: EslFramerLimits = { maxHeaderBytes: 64 * 1024, maxBodyBytes: 64 * 1024 * 1024 };

const LF = 0x0a;
const CR = 0x0d;
const decoder = new TextDecoder("utf-8", { fatal: false });

export class EslFramer {
  #buf = new Uint8Array(4096);
  #start = 0;
  #end = 0;
  /** Where a header-end search may resume (bytes before it hold no "\n\n"). */
  #scanFrom = 0;
  #consumed = 0;
  #failed = false;

  constructor(private readonly limits: EslFramerLimits = DEFAULT_ESL_LIMITS) {}

  /** Bytes held waiting for the rest of a frame. */
  get buffered(): number {
    return this.#end - this.#start;
  }

  push(chunk: Uint8Array): Result<EslFrame[], EslFrameError> {
    if (this.#failed) return err({ code: "ESL_STREAM_FAILED", message: "the stream already failed; reconnect", offset: this.#consumed });
    this.#append(chunk);
    const out: EslFrame[] = [];
    for (;;) {
      const r = this.#next();
      if (!r.ok) {
        this.#failed = true;
        this.#buf = new Uint8Array(0);
        this.#start = this.#end = this.#scanFrom = 0;
        return err(r.error);
      }
      if (r.value === undefined) break;
      out.push(r.value);
    }
    if (this.#start === this.#end) this.#start = this.#end = this.#scanFrom = 0;
    return ok(out);
  }

  #next(): Result<EslFrame | undefined, EslFrameError> {
    // Stray line ends between frames carry nothing.
    while (this.#start < this.#end && (this.#buf[this.#start] === LF || this.#buf[this.#start] === CR)) this.#skip(1);
    if (this.#start === this.#end) return ok(undefined);
    const headEnd = this.#findHeaderEnd();
    if (headEnd === undefined) {
      if (this.#end - this.#start > this.limits.maxHeaderBytes) {
        return err({ code: "ESL_HEADER_TOO_LONG", message: `no end of header block within ${this.limits.maxHeaderBytes} bytes`, offset: this.#consumed });
      }
      return ok(undefined);
    }
    const head = parseHeaderBlock(decoder.decode(this.#buf.subarray(this.#start, headEnd.at)), this.#consumed);
    if (!head.ok) return head;
    const lengthText = headerValue(head.value, "Content-Length");
    let length = 0;
    if (lengthText !== undefined) {
      if (!/^\d{1,12}$/.test(lengthText.trim())) {
        return err({ code: "ESL_BAD_CONTENT_LENGTH", message: `Content-Length ${JSON.stringify(lengthText)} is not a byte count`, offset: this.#consumed });
      }
      length = Number(lengthText.trim());
      if (length > this.limits.maxBodyBytes) {
        return err({ code: "ESL_BODY_TOO_LARGE", message: `body of ${length} bytes exceeds ${this.limits.maxBodyBytes}`, offset: this.#consumed });
      }
    }
    const bodyAt = headEnd.at + headEnd.sep;
    if (this.#end < bodyAt + length) return ok(undefined);
    const body = lengthText === undefined ? undefined : this.#buf.slice(bodyAt, bodyAt + length);
    this.#skip(bodyAt + length - this.#start);
    return ok({ headers: head.value, contentType: headerValue(head.value, "Content-Type") ?? "", body });
  }

  #skip(n: number): void {
    this.#start += n;
    this.#consumed += n;
    if (this.#scanFrom < this.#start) this.#scanFrom = this.#start;
  }

  #findHeaderEnd(): { at: number; sep: number } | undefined {
    const b = this.#buf;
    for (let i = Math.max(this.#start, this.#scanFrom - 2); i + 1 < this.#end; i++) {
      if (b[i] !== LF) continue;
      if (b[i + 1] === LF) return { at: i, sep: 2 };
      if (b[i + 1] === CR && i + 2 < this.#end && b[i + 2] === LF) return { at: i, sep: 3 };
    }
    this.#scanFrom = this.#end;
    return undefined;
  }

  #append(chunk: Uint8Array): void {
    const used = this.#end - this.#start;
    if (this.#end + chunk.length > this.#buf.length) {
      const need = used + chunk.length;
      if (need <= this.#buf.length && this.#start > 0) {
        this.#buf.copyWithin(0, this.#start, this.#end);
      } else {
        let cap = this.#buf.length || 4096;
        while (cap < need) cap *= 2;
        const grown = new Uint8Array(cap);
        grown.set(this.#buf.subarray(this.#start, this.#end), 0);
        this.#buf = grown;
      }
      this.#scanFrom -= this.#start;
      this.#end = used;
      this.#start = 0;
    }
    this.#buf.set(chunk, this.#end);
    this.#end += chunk.length;
  }
}

/** `Name: value` lines (LF or CRLF). Used for outer frames and plain event bodies alike. */
export function parseHeaderBlock(text: string, offset = 0): Result<[string, string][], EslFrameError> {
  const out: [string, string][] = [];
  for (const raw of text.split("\n")) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line === "") continue;
    const colon = line.indexOf(":");
    if (colon <= 0) return err({ code: "ESL_BAD_HEADER_LINE", message: `header line without a name: ${JSON.stringify(line.slice(0, 80))}`, offset });
    out.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return ok(out);
}

/** First value of a header, names compared case-insensitively. */
export function headerValue(headers: EslHeaders, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [n, v] of headers) if (n.toLowerCase() === lower) return v;
  return undefined;
}

/** A frame's body as text. */
export function bodyText(frame: EslFrame): string {
  return frame.body === undefined ? "" : decoder.decode(frame.body);
}
