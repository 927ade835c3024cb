/** The compiled executable the tests run: $SIPREC_BIN (scripts/test.sh builds it first) or dist/siprec, built when missing. */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

const ROOT = new URL("../..", import.meta.url).pathname;
export const BIN = resolve(process.env["SIPREC_BIN"] ?? join(ROOT, "dist/siprec"));

/** Builds dist/siprec when a test run starts without it. */
export function ensureBinary(): void {
  if (existsSync(BIN)) return;
  const b = Bun.spawnSync(["bash", join(ROOT, "scripts/build.sh")], { stderr: "pipe" });
  if (b.exitCode !== 0) throw new Error(`build failed: ${b.stderr.toString()}`);
}
