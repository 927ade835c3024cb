/**
 * Structured logger. Every line is a message plus fields with stable keys
 * (`callUuid`, `recordingId`, `srs`, `jobUuid`, ...). Child loggers carry the
 * ids of what they work on. Output is one JSON object per line (machines,
 * journald) or readable text (a terminal).
 *
 * Secrets: Secret values render as "[redacted]" by construction, and every
 * clear-text secret value registered with the sink is scrubbed from the final
 * line as a second line of defence (a password echoed back inside an error
 * message from a peer, for instance).
 */
import { REDACTED, isSecret } from "./secret.ts";

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFormat = "json" | "text";
export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  trace(msg: string, fields?: LogFields): void;
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
  isEnabled(level: LogLevel): boolean;
}

export interface LogSink {
  readonly level: LogLevel;
  readonly format: LogFormat;
  /** Writes one finished line (without newline). */
  write(line: string): void;
  /** Milliseconds since the epoch. */
  wallNow(): number;
  /** Clear-text secret values to scrub from every line. */
  readonly secrets?: readonly string[];
}

const RANK: Record<LogLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50 };

export function createLogger(sink: LogSink, bound: LogFields = {}): Logger {
  const threshold = RANK[sink.level];
  const scrub = makeScrubber(sink.secrets ?? []);
  const emit = (level: LogLevel, msg: string, fields?: LogFields): void => {
    if (RANK[level] < threshold) return;
    const all = fields === undefined ? bound : { ...bound, ...fields };
    const ts = new Date(sink.wallNow()).toISOString();
    const line = sink.format === "json" ? formatJson(ts, level, msg, all) : formatText(ts, level, msg, all);
    sink.write(scrub(line));
  };
  return {
    trace: (m, f) => emit("trace", m, f),
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    child: (f) => createLogger(sink, { ...bound, ...f }),
    isEnabled: (level) => RANK[level] >= threshold,
  };
}

/** A logger that drops everything (for library callers that pass none). */
export const silentLogger: Logger = {
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
  isEnabled: () => false,
};

function makeScrubber(secrets: readonly string[]): (line: string) => string {
  // Very short values would scrub ordinary words; 4 characters is the floor.
  const values = secrets.filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
  if (values.length === 0) return (line) => line;
  return (line) => {
    let out = line;
    for (const v of values) {
      out = out.split(v).join(REDACTED);
      const asJson = JSON.stringify(v).slice(1, -1);
      if (asJson !== v) out = out.split(asJson).join(REDACTED);
    }
    return out;
  };
}

/** Turns a field value into plain JSON-able data; errors keep name, code and message. */
export function toLogValue(v: unknown, depth = 0): unknown {
  if (isSecret(v)) return REDACTED;
  if (v === null || typeof v !== "object") return typeof v === "bigint" ? v.toString() : v;
  if (depth > 6) return "[deep]";
  if (v instanceof Error) {
    const e = v as Error & { code?: unknown };
    const out: Record<string, unknown> = { name: e.name, message: e.message };
    if (e.code !== undefined) out["code"] = e.code;
    if (e.cause !== undefined) out["cause"] = toLogValue(e.cause, depth + 1);
    return out;
  }
  if (v instanceof Uint8Array) return `<${v.byteLength} bytes>`;
  if (Array.isArray(v)) return v.map((x) => toLogValue(x, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = toLogValue(x, depth + 1);
  return out;
}

function formatJson(ts: string, level: LogLevel, msg: string, fields: LogFields): string {
  const rec: Record<string, unknown> = { ts, level, msg };
  for (const [k, v] of Object.entries(fields)) {
    if (k === "ts" || k === "level" || k === "msg") rec[`field.${k}`] = toLogValue(v);
    else rec[k] = toLogValue(v);
  }
  return JSON.stringify(rec);
}

function formatText(ts: string, level: LogLevel, msg: string, fields: LogFields): string {
  const parts = [ts, level.toUpperCase().padEnd(5), msg];
  for (const [k, v] of Object.entries(fields)) parts.push(`${k}=${textValue(toLogValue(v))}`);
  return parts.join(" ");
}

function textValue(v: unknown): string {
  if (typeof v === "string") return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  if (typeof v === "number" || typeof v === "boolean" || v === null || v === undefined) return String(v);
  return JSON.stringify(v);
}

export function isLogLevel(s: string): s is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(s);
}
