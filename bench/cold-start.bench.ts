/**
 * Cold start of `dist/siprec --help` against a hello-world compiled with the
 * same flags, run alternately so machine noise hits both alike. Target:
 * median < 50 ms. Prints figures; asserts nothing.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Figure, median, percentile } from "./stats.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const RUNS = Number(process.env["BENCH_RUNS"] ?? 25);

function buildBaseline(): string {
  const out = join(ROOT, ".bench/hello");
  mkdirSync(join(ROOT, ".bench"), { recursive: true });
  const r = Bun.spawnSync(
    [
      process.execPath,
      "build",
      join(ROOT, "bench/fixtures/hello.ts"),
      "--compile",
      "--minify",
      "--bytecode",
      "--format=esm",
      "--no-compile-autoload-dotenv",
      "--no-compile-autoload-bunfig",
      "--outfile",
      out,
    ],
    { stdout: "ignore", stderr: "pipe" },
  );
  if (r.exitCode !== 0) throw new Error(`baseline build failed: ${r.stderr.toString()}`);
  return out;
}

function timeOnce(cmd: string[]): number {
  const t0 = performance.now();
  const r = Bun.spawnSync(cmd, { stdout: "ignore", stderr: "ignore" });
  const ms = performance.now() - t0;
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")} exited ${r.exitCode}`);
  return ms;
}

export function run(): Figure[] {
  const bin = join(ROOT, "dist/siprec");
  const hello = buildBaseline();
  // Warm the page cache for both files first: we measure start-up, not disk.
  timeOnce([bin, "--help"]);
  timeOnce([hello]);
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    a.push(timeOnce([bin, "--help"]));
    b.push(timeOnce([hello]));
  }
  const m = median(a);
  const base = median(b);
  return [
    { bench: "cold-start", metric: "siprec --help median", value: m, unit: "ms", note: `p90 ${percentile(a, 90).toFixed(1)} ms, ${RUNS} runs, target < 50 ms` },
    { bench: "cold-start", metric: "hello-world median (baseline)", value: base, unit: "ms" },
    { bench: "cold-start", metric: "ratio siprec / hello-world", value: m / base, unit: "x" },
  ];
}
