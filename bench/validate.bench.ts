/**
 * `siprec validate` throughput and start-up:
 * - warm: documents validated per second in one process (RFC 7865 example 1,
 *   and a whole SIPREC INVITE with SDP + metadata), against a baseline of
 *   libxml2 merely parsing the same XML in the same run;
 * - cold: `dist/siprec validate one.xml` as a CI job runs it, against
 *   `dist/siprec --help` (the same binary without loading libxml2).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type Figure, median } from "./stats.ts";
import { loadLibxml } from "../src/siprec/metadata/libxml.ts";
import { validateBytes } from "../src/validate/validate.ts";
import { buildInvite } from "../test/support/golden-invite.ts";
import { REFERENCE } from "../test/support/vectors.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const EXAMPLE = join(REFERENCE, "examples", "rfc7865-metadata-example-1.xml");

function perSecond(seconds: number, f: () => void): number {
  let n = 0;
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    f();
    n++;
  }
  return n / seconds;
}

function coldMs(args: string[], runs: number): number {
  const t: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    Bun.spawnSync([join(ROOT, "dist/siprec"), ...args], { stdout: "ignore", stderr: "ignore" });
    t.push(performance.now() - t0);
  }
  return median(t);
}

export async function run(): Promise<Figure[]> {
  const lib = await loadLibxml();
  const xml = readFileSync(EXAMPLE);
  const xmlText = xml.toString("utf8");
  const invite = buildInvite();
  const warm = 2;
  const parseOnly = perSecond(warm, () => lib.XmlDocument.fromString(xmlText).dispose());
  const metaRate = perSecond(warm, () => validateBytes(lib, "x", xml));
  const inviteRate = perSecond(warm, () => validateBytes(lib, "x", invite));
  const runs = Number(process.env["BENCH_RUNS"] ?? 20);
  coldMs(["--help"], 2);
  const help = coldMs(["--help"], runs);
  const cold = coldMs(["validate", EXAMPLE], runs);
  return [
    { bench: "validate", metric: "metadata docs/s (warm)", value: Math.round(metaRate), unit: "docs/s", note: "RFC 7865 example 1: XSD + rules" },
    { bench: "validate", metric: "SIPREC INVITEs/s (warm)", value: Math.round(inviteRate), unit: "msgs/s", note: "SIP + multipart + SDP + metadata" },
    { bench: "validate", metric: "libxml2 parse-only (baseline)", value: Math.round(parseOnly), unit: "docs/s" },
    { bench: "validate", metric: "ratio validate / parse-only", value: metaRate / parseOnly, unit: "x" },
    { bench: "validate", metric: "cold `validate one.xml` median", value: cold, unit: "ms", note: `${runs} runs` },
    { bench: "validate", metric: "cold `--help` median (same binary)", value: help, unit: "ms" },
  ];
}
