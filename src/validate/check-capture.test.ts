/** siprec validate on damaged SIPREC captures: findings, never a throw. */
import { expect, test } from "bun:test";
import { checkCapture } from "./check-capture.ts";
import { FindingSink } from "./rules.ts";
import { loadLibxml } from "../siprec/metadata/libxml.ts";
import { siprecCapture } from "../../test/support/siprec-capture.ts";
import { seededRandom } from "../../test/support/mutate.ts";

test("damaged SIPREC captures through siprec validate's capture check: findings, never a throw", async () => {
  const lib = await loadLibxml();
  const clean = siprecCapture({ transferAtS: 1 });
  const r = seededRandom(7);
  const rules = new Set<string>();
  for (let i = 0; i < 80; i++) {
    // Damage the SIP region (the first ~6 KiB: INVITE with its metadata, 200 OK) most of the time.
    const b = new Uint8Array(clean);
    for (let k = 0; k < 6; k++) b[Math.floor(r() * (i % 2 === 0 ? 6000 : b.length))] = Math.floor(r() * 256);
    const sink = new FindingSink(`m${i}.pcap`);
    checkCapture(lib, i % 5 === 0 ? b.subarray(0, Math.floor(r() * b.length)) : b, sink);
    for (const f of sink.findings) rules.add(f.rule);
  }
  // The damage shows up as findings of several kinds (not one catch-all).
  expect(rules.size).toBeGreaterThan(2);
});
