/**
 * The CLI: run(argv, io) → exit code. commander parses; every subcommand is
 * a module in cli/commands registered from one table. Nothing here exits the
 * process or reads globals: main.ts does that with the returned code.
 */
import { Command, CommanderError } from "commander";
import type { CliCommand, CliContext } from "./command.ts";
import { configCommand } from "./commands/config.ts";
import { daemonCommand } from "./commands/daemon.ts";
import { statusCommand } from "./commands/status.ts";
import { replayCommand } from "./commands/replay.ts";
import { srsCommand } from "./commands/srs.ts";
import { testCallCommand } from "./commands/test-call.ts";
import { validateCommand } from "./commands/validate.ts";
import { EXIT, type ExitCode } from "./exit-codes.ts";
import type { Io } from "./io.ts";
import { versionLine } from "../platform/version.ts";
import { describeError } from "../lib/errors.ts";
import { LOG_LEVELS, isLogLevel } from "../lib/log.ts";

/** Every subcommand that exists, in the order `--help` lists them. */
export const COMMANDS: readonly CliCommand[] = [daemonCommand, statusCommand, testCallCommand, srsCommand, validateCommand, replayCommand, configCommand];

export function buildProgram(ctx: CliContext): Command {
  const program = new Command("siprec")
    .description("SIPREC recording client (RFC 7866/7865) for FreeSWITCH")
    .version(versionLine(), "-V, --version", "print the version and build commit")
    .helpOption("-h, --help", "show help for a command")
    .option("--log-level <level>", "log detail for every command: trace, debug, info, warn, error (the daemon's default: [log] level)")
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.io.out(s.replace(/\n$/, "")),
      writeErr: (s) => ctx.io.err(s.replace(/\n$/, "")),
      outputError: (s, write) => write(s),
    });
  // The global --log-level is checked once, before any command's action.
  program.hook("preAction", () => {
    const level = program.opts<{ logLevel?: string }>().logLevel;
    if (level !== undefined && !isLogLevel(level))
      program.error(`siprec: --log-level must be one of ${LOG_LEVELS.join(", ")}, got ${JSON.stringify(level)}`, {
        exitCode: EXIT.USAGE,
        code: "siprec.usage",
      });
  });
  for (const c of COMMANDS) c.register(program, ctx);
  for (const sub of program.commands) sub.exitOverride().configureOutput(program.configureOutput());
  return program;
}

export async function run(argv: readonly string[], io: Io): Promise<ExitCode> {
  let code: ExitCode = EXIT.OK;
  let program: Command | undefined;
  const ctx: CliContext = {
    io,
    setExit: (c) => (code = c),
    logLevel: () => {
      const level = program?.opts<{ logLevel?: string }>().logLevel;
      return level !== undefined && isLogLevel(level) ? level : undefined;
    },
  };
  program = buildProgram(ctx);
  if (argv.length === 0) {
    io.err(program.helpInformation().replace(/\n$/, ""));
    return EXIT.USAGE;
  }
  try {
    await program.parseAsync([...argv], { from: "user" });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === "commander.helpDisplayed" || e.code === "commander.version" || e.code === "commander.help") return EXIT.OK;
      // A command group without a subcommand ("siprec config") prints its help.
      if (e.code === "commander.executeSubCommandAsync") return EXIT.USAGE;
      return EXIT.USAGE;
    }
    io.err(`siprec: internal error: ${describeError(e)}`);
    return EXIT.FAILURE;
  }
}
