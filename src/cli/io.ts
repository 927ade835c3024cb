/**
 * Everything a command may touch of the outside world. main.ts builds the
 * real one; tests pass a recording fake, so no command needs spawning to be
 * tested.
 */
import type { ConfigFs } from "../config/load.ts";
import type { Clock } from "../lib/clock.ts";

export interface Io {
  /** Writes text to standard output (a newline is added). */
  out(text: string): void;
  /** Writes text to standard error (a newline is added). */
  err(text: string): void;
  /**
   * Rewrites the status line at the bottom of a terminal's standard error
   * (a progress bar: no newline; "" clears it). Callers use it only when
   * `stderrIsTTY`.
   */
  status(text: string): void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdoutIsTTY: boolean;
  readonly stderrIsTTY: boolean;
  readonly fs: ConfigFs;
  readonly clock: Clock;
  /** Reads standard input up to `maxBytes`; `truncated` when there was more. */
  readStdin(maxBytes: number): Promise<{ bytes: Uint8Array; truncated: boolean }>;
  /** Resolves with the signal name when the process is asked to stop (SIGINT/SIGTERM). */
  stopSignal(): Promise<string>;
  /** Calls `fn` on every request to reload the configuration (SIGHUP). */
  onReload(fn: () => void): void;
}
