/**
 * multipart/mixed bodies (RFC 2046 §5.1, RFC 5621 for SIP).
 *
 * RFC 2046 §5.1.1: "The boundary delimiter MUST occur at the beginning of a
 * line ... the CRLF preceding the boundary delimiter line is conceptually
 * attached to the boundary", and "Boundary delimiters must not appear within
 * the encapsulated material". Parsing accepts CRLF or LF, a preamble and an
 * epilogue, and whitespace after a delimiter; it keeps each part's byte
 * offset so findings can point at lines.
 */
import { type MediaType, header, parseMediaType } from "./headers.ts";
import type { HeaderField } from "./types.ts";
import { concatBytes } from "../../lib/bytes.ts";
import { type Result, err, ok } from "../../lib/result.ts";

export interface BodyPart {
  readonly headers: readonly HeaderField[];
  readonly body: Uint8Array;
  /** Byte offset of `body` within the multipart body. */
  readonly offset: number;
}

export type MultipartErrorCode = "MULTIPART_BAD_BOUNDARY" | "MULTIPART_NO_FIRST_DELIMITER" | "MULTIPART_BAD_PART";

export interface Multipart {
  readonly parts: readonly BodyPart[];
  /**
   * False when the body ends without the closing "--boundary--" line; the
   * last part then runs to the end of the body. Callers that need a whole
   * body (a UA) refuse it; a validator reports it and checks the parts.
   */
  readonly closed: boolean;
}

export interface MultipartError {
  readonly code: MultipartErrorCode;
  readonly message: string;
  readonly offset?: number;
}

export const MAX_PARTS = 16;

/** RFC 2046 §5.1.1 bchars, 1 to 70 characters, not ending in a space. */
const BOUNDARY = /^[0-9A-Za-z'()+_,./:=? -]{0,69}[0-9A-Za-z'()+_,./:=?-]$/;

export function isValidBoundary(b: string): boolean {
  return BOUNDARY.test(b);
}

function bytesToLatin1(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
  return s;
}

/** Header text was read byte-per-char; turn it back into the UTF-8 it was. */
function latin1ToUtf8(s: string): string {
  return new TextDecoder().decode(Uint8Array.from(s, (c) => c.charCodeAt(0)));
}

export function partContentType(p: BodyPart): MediaType | undefined {
  const v = header(p, "content-type");
  return v === undefined ? undefined : parseMediaType(v);
}

/** The disposition type of a part ("recording-session", "session", ...), lower-cased. */
export function partDisposition(p: BodyPart): string | undefined {
  return header(p, "content-disposition")?.split(";")[0]?.trim().toLowerCase();
}

export function parseMultipart(body: Uint8Array, boundary: string): Result<Multipart, MultipartError> {
  if (!isValidBoundary(boundary))
    return err({ code: "MULTIPART_BAD_BOUNDARY", message: `boundary ${JSON.stringify(boundary)} is not valid (RFC 2046 §5.1.1: 1-70 characters)` });
  const text = bytesToLatin1(body);
  const delim = `--${boundary}`;
  // Delimiter lines: at the start, or after a line break.
  const re = new RegExp(`(^|\\r?\\n)${delim.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(--)?[ \\t]*(\\r?\\n|$)`, "g");
  const marks: { start: number; end: number; close: boolean }[] = [];
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    marks.push({ start: m.index, end: m.index + m[0].length, close: m[2] === "--" });
    if (m[2] === "--") break;
    if (m[0].length === 0) re.lastIndex++;
  }
  if (marks.length === 0) return err({ code: "MULTIPART_NO_FIRST_DELIMITER", message: `no "--${boundary}" delimiter line in the body`, offset: 0 });
  const closed = marks[marks.length - 1]?.close === true;
  if (!closed) marks.push({ start: text.length, end: text.length, close: true });
  if (marks.length - 1 > MAX_PARTS) return err({ code: "MULTIPART_BAD_PART", message: `more than ${MAX_PARTS} parts`, offset: marks[MAX_PARTS]?.start ?? 0 });
  const parts: BodyPart[] = [];
  for (let i = 0; i + 1 < marks.length; i++) {
    const from = (marks[i] as { end: number }).end;
    const to = (marks[i + 1] as { start: number }).start;
    const p = parsePart(body, text, from, to);
    if (!p.ok) return p;
    parts.push(p.value);
  }
  return ok({ parts, closed });
}

function parsePart(body: Uint8Array, text: string, from: number, to: number): Result<BodyPart, MultipartError> {
  const chunk = text.slice(from, to);
  const blank = /\r?\n\r?\n/.exec(chunk);
  const startsBlank = /^\r?\n/.exec(chunk);
  let headerText = "";
  let bodyStart = from;
  if (startsBlank !== null) bodyStart = from + startsBlank[0].length;
  else if (blank !== null) {
    headerText = chunk.slice(0, blank.index);
    bodyStart = from + blank.index + blank[0].length;
  } else return err({ code: "MULTIPART_BAD_PART", message: "a body part has no empty line after its headers", offset: from });
  const headers: HeaderField[] = [];
  for (const line of headerText.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && headers.length > 0) {
      const lastH = headers.pop() as HeaderField;
      headers.push({ name: lastH.name, value: `${lastH.value} ${line.trim()}` });
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) return err({ code: "MULTIPART_BAD_PART", message: `bad part header ${JSON.stringify(line.slice(0, 60))}`, offset: from });
    headers.push({ name: line.slice(0, colon).trim(), value: latin1ToUtf8(line.slice(colon + 1)).trim() });
  }
  return ok({ headers, body: body.slice(bodyStart, Math.max(bodyStart, to)), offset: bodyStart });
}

export interface NewPart {
  readonly contentType: string;
  readonly disposition?: string;
  readonly body: Uint8Array;
}

/** A boundary that occurs in no part (RFC 2046 §5.1.1); `draw` returns random tokens. */
export function chooseBoundary(parts: readonly NewPart[], draw: () => string): string {
  for (let i = 0; i < 32; i++) {
    const b = draw();
    if (isValidBoundary(b) && parts.every((p) => !bytesToLatin1(p.body).includes(`--${b}`))) return b;
  }
  throw new Error("could not find a boundary absent from every part");
}

export function buildMultipart(parts: readonly NewPart[], boundary: string): Uint8Array {
  const enc = new TextEncoder();
  const chunks: Uint8Array[] = [];
  for (const p of parts) {
    const head = `--${boundary}\r\nContent-Type: ${p.contentType}\r\n${p.disposition === undefined ? "" : `Content-Disposition: ${p.disposition}\r\n`}\r\n`;
    chunks.push(enc.encode(head), p.body, enc.encode("\r\n"));
  }
  chunks.push(enc.encode(`--${boundary}--\r\n`));
  return concatBytes(chunks);
}
