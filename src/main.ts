/** Entry point: the only file that touches process (argv, env, streams, exit). */
import { nodeConfigFs } from "./config/load.ts";
import type { Io } from "./cli/io.ts";
import { run } from "./cli/run.ts";
import { readStdinBounded } from "./cli/stdin.ts";
import { systemClock } from "./platform/system-clock.ts";

const io: Io = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  status: (text) => process.stderr.write(`\r\x1b[2K${text}`),
  env: process.env,
  stdoutIsTTY: process.stdout.isTTY === true,
  stderrIsTTY: process.stderr.isTTY === true,
  fs: nodeConfigFs,
  clock: systemClock,
  readStdin: readStdinBounded,
  stopSignal: () =>
    new Promise((resolve) => {
      process.once("SIGINT", () => resolve("SIGINT"));
      process.once("SIGTERM", () => resolve("SIGTERM"));
    }),
  onReload: (fn) => void process.on("SIGHUP", fn),
};

// No top-level await: --bytecode builds compile to CommonJS.
run(process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code;
    // A command is done: whatever handle is still open must not keep the process alive for long.
    setTimeout(() => process.exit(code), 2000).unref();
  },
  (e: unknown) => {
    process.stderr.write(`siprec: internal error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
