/**
 * Builds the process logger from [log] config: JSON lines off a terminal
 * (journald, log shippers), readable text on one. Logs go to stderr so
 * command output on stdout stays machine-readable.
 */
import type { Io } from "./io.ts";
import { type Config, secretValues } from "../config/secrets.ts";
import { type LogFormat, type LogLevel, type Logger, createLogger } from "../lib/log.ts";

export function resolveLogFormat(format: "auto" | LogFormat, io: Io): LogFormat {
  if (format !== "auto") return format;
  return io.stderrIsTTY ? "text" : "json";
}

export function loggerFor(io: Io, log: { level: LogLevel; format: "auto" | LogFormat }, config?: Config): Logger {
  return createLogger({
    level: log.level,
    format: resolveLogFormat(log.format, io),
    write: (line) => io.err(line),
    wallNow: () => io.clock.wallNow(),
    secrets: config === undefined ? [] : secretValues(config),
  });
}
