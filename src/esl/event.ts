/**
 * ESL event bodies → one typed value, whichever format was subscribed.
 *
 * text/event-plain: one `Name: url-encoded-value` line per header, an empty
 * line, and — when the last header is Content-Length — exactly that many body
 * bytes. text/event-json: one JSON object of strings, the body as
 * `"_body"`. FreeSWITCH encodes multi-value headers as `ARRAY::a|:b` in plain
 * form and as JSON arrays; both come out here as the `ARRAY::` text.
 */
import { type Result, err, ok } from "../lib/result.ts";
import { type EslFrame, parseHeaderBlock } from "./frame.ts";

export interface EslEvent {
  /** Event-Name, e.g. CHANNEL_ANSWER, CUSTOM, BACKGROUND_JOB. */
  readonly name: string;
  /** Event-Subclass of CUSTOM events (e.g. `siprec::start`), else undefined. */
  readonly subclass: string | undefined;
  /** Decoded headers in wire order; the first of a repeated name wins on lookup. */
  readonly headers: ReadonlyMap<string, string>;
  /** The event body (BACKGROUND_JOB's command output), undefined when none. */
  readonly body: string | undefined;
}

export type EslEventErrorCode = "ESL_EVENT_BAD_HEADER" | "ESL_EVENT_BAD_JSON" | "ESL_EVENT_NO_NAME" | "ESL_EVENT_BAD_LENGTH" | "ESL_EVENT_NOT_AN_EVENT";

export interface EslEventError {
  readonly code: EslEventErrorCode;
  readonly message: string;
}

const decoder = new TextDecoder("utf-8", { fatal: false });
const encoder = new TextEncoder();

/** The event in an ESL frame of type text/event-plain or text/event-json. */
export function parseEventFrame(frame: EslFrame): Result<EslEvent, EslEventError> {
  const body = frame.body ?? new Uint8Array(0);
  if (frame.contentType === "text/event-plain") return parseEventPlain(body);
  if (frame.contentType === "text/event-json") return parseEventJson(decoder.decode(body));
  return err({ code: "ESL_EVENT_NOT_AN_EVENT", message: `frame of type ${JSON.stringify(frame.contentType)} is not an event` });
}

export function parseEventPlain(bytes: Uint8Array): Result<EslEvent, EslEventError> {
  let headEnd = bytes.length;
  let bodyAt = bytes.length;
  for (let i = 0; i + 1 < bytes.length; i++) {
    if (bytes[i] === 0x0a && bytes[i + 1] === 0x0a) {
      headEnd = i;
      bodyAt = i + 2;
      break;
    }
  }
  const lines = parseHeaderBlock(decoder.decode(bytes.subarray(0, headEnd)));
  if (!lines.ok) return err({ code: "ESL_EVENT_BAD_HEADER", message: lines.error.message });
  const headers = new Map<string, string>();
  for (const [name, value] of lines.value) if (!headers.has(name)) headers.set(name, urlDecode(value));
  const lengthText = headers.get("Content-Length");
  let body: string | undefined;
  if (lengthText !== undefined) {
    const length = /^\d{1,12}$/.test(lengthText) ? Number(lengthText) : Number.NaN;
    if (!(length <= bytes.length - bodyAt)) {
      return err({
        code: "ESL_EVENT_BAD_LENGTH",
        message: `inner Content-Length ${JSON.stringify(lengthText)} but ${Math.max(0, bytes.length - bodyAt)} body bytes`,
      });
    }
    body = decoder.decode(bytes.subarray(bodyAt, bodyAt + length));
  }
  return finish(headers, body);
}

export function parseEventJson(text: string): Result<EslEvent, EslEventError> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return err({ code: "ESL_EVENT_BAD_JSON", message: `event is not JSON: ${(e as Error).message}` });
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return err({ code: "ESL_EVENT_BAD_JSON", message: "event JSON is not an object" });
  }
  const headers = new Map<string, string>();
  let body: string | undefined;
  for (const [name, value] of Object.entries(parsed)) {
    if (name === "_body") {
      if (typeof value !== "string") return err({ code: "ESL_EVENT_BAD_JSON", message: "_body is not a string" });
      body = value;
      continue;
    }
    if (typeof value === "string") headers.set(name, value);
    else if (Array.isArray(value) && value.every((v) => typeof v === "string")) headers.set(name, `ARRAY::${value.join("|:")}`);
    else return err({ code: "ESL_EVENT_BAD_JSON", message: `header ${JSON.stringify(name)} is not a string` });
  }
  const lengthText = headers.get("Content-Length");
  if (body !== undefined && lengthText !== undefined && Number(lengthText) !== encoder.encode(body).length) {
    return err({ code: "ESL_EVENT_BAD_LENGTH", message: `"Content-Length" ${JSON.stringify(lengthText)} does not match the _body` });
  }
  return finish(headers, body);
}

function finish(headers: Map<string, string>, body: string | undefined): Result<EslEvent, EslEventError> {
  const name = headers.get("Event-Name");
  if (name === undefined || name === "") return err({ code: "ESL_EVENT_NO_NAME", message: "event without Event-Name" });
  const subclass = name === "CUSTOM" ? headers.get("Event-Subclass") : undefined;
  return ok({ name, subclass, headers, body });
}

/** One UTF-8 character as percent escapes (1–4 bytes). */
const UTF8_ESCAPE =
  /%[0-7][0-9A-Fa-f]|%[C-Dc-d][0-9A-Fa-f]%[89ABab][0-9A-Fa-f]|%[Ee][0-9A-Fa-f](?:%[89ABab][0-9A-Fa-f]){2}|%[Ff][0-7](?:%[89ABab][0-9A-Fa-f]){3}/g;

/** `%XX` decoding that never throws: a bad or non-UTF-8 sequence is kept as written. */
export function urlDecode(value: string): string {
  if (!value.includes("%")) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value.replace(UTF8_ESCAPE, (seq) => {
      try {
        return decodeURIComponent(seq);
      } catch {
        return seq;
      }
    });
  }
}

/** `ARRAY::a|:b` → ["a","b"]; a plain value → [value]. */
export function headerArray(value: string): string[] {
  return value.startsWith("ARRAY::") ? value.slice(7).split("|:") : [value];
}

/** A display key for counting and logging: `CUSTOM/siprec::start` or the name. */
export function eventKey(e: EslEvent): string {
  return e.subclass === undefined ? e.name : `${e.name}/${e.subclass}`;
}
