/**
 * What a subcommand module exports: a name, a one-line summary (shown by
 * `siprec --help`) and a function that adds it to the commander program.
 * Actions report their exit code through the context, never process.exit.
 */
import type { Command } from "commander";
import type { ExitCode } from "./exit-codes.ts";
import type { Io } from "./io.ts";
import type { LogLevel } from "../lib/log.ts";

export interface CliContext {
  readonly io: Io;
  setExit(code: ExitCode): void;
  /** The global --log-level, when given (checked before any action runs). */
  logLevel(): LogLevel | undefined;
}

export interface CliCommand {
  readonly name: string;
  readonly summary: string;
  register(program: Command, ctx: CliContext): void;
}
