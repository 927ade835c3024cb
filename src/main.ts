/** Entry point: the only file that touches process (argv, env, streams, exit). */
import { nodeConfigFs } from "./config/load.ts";
import type { Io } from "./cli/io.ts";
import { run } from "./cli/run.ts";
import { systemClock } from "./platform/system-clock.ts";

const io: Io = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  env: process.env,
  stdoutIsTTY: process.stdout.isTTY === true,
  stderrIsTTY: process.stderr.isTTY === true,
  fs: nodeConfigFs,
  clock: systemClock,
};

const code = await run(process.argv.slice(2), io);
process.exitCode = code;
