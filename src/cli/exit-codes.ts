/** Exit codes, in one table (conventions.md: "The CLI maps error codes to exit codes in one table"). */
import type { ConfigErrorCode } from "../config/load.ts";

export const EXIT = {
  OK: 0,
  /** The command ran and found a problem (invalid config, failed call, findings). */
  FAILURE: 1,
  /** The command line itself is wrong (unknown command or flag, missing argument). */
  USAGE: 2,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

const BY_CODE: Record<ConfigErrorCode, ExitCode> = {
  CONFIG_NOT_FOUND: EXIT.FAILURE,
  CONFIG_UNREADABLE: EXIT.FAILURE,
  CONFIG_INVALID: EXIT.FAILURE,
};

export function exitCodeFor(code: ConfigErrorCode): ExitCode {
  return BY_CODE[code];
}
