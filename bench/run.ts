/**
 * Bench runner: runs every bench/*.bench.ts (or those named on the command
 * line) and prints their figures. Benches report numbers and ratios against a
 * baseline measured in the same run; they never fail on a threshold.
 */
import { Glob } from "bun";
import { type Figure, printFigure } from "./stats.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const wanted = process.argv.slice(2);
const files = [...new Glob("bench/*.bench.ts").scanSync({ cwd: ROOT })].sort().filter((f) => wanted.length === 0 || wanted.some((w) => f.includes(w)));

console.log(`siprec benches on ${navigator.hardwareConcurrency} cores, bun ${Bun.version}`);
let failed = 0;
for (const f of files) {
  const mod = (await import(`${ROOT}/${f}`)) as { run: () => Figure[] | Promise<Figure[]> };
  try {
    for (const fig of await mod.run()) printFigure(fig);
  } catch (e) {
    failed++;
    console.log(`${f}: FAILED: ${e instanceof Error ? e.message : String(e)}`);
  }
}
process.exitCode = failed === 0 ? 0 : 1;
