/**
 * siprec's G.722 against another implementation, live: spandsp
 * (Debian libspandsp-dev) encodes and decodes the same signal through a
 * small C helper. Skipped (and said so) when spandsp or a C compiler is
 * missing; CI installs both.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { G722Decoder, G722Encoder } from "../../src/media/g722.ts";
import { checkSignal } from "../support/g722-signal.ts";

const DIR = mkdtempSync(join(tmpdir(), "siprec-g722-"));
const HELPER = join(DIR, "g722-check");
const built = Bun.spawnSync(["sh", "-c", `cc -O2 -o ${HELPER} ${join(import.meta.dir, "helpers/g722-check.c")} $(pkg-config --cflags --libs spandsp)`], {
  stderr: "pipe",
});
const ready = built.exitCode === 0;
if (!ready) console.log(`g722 (spandsp) tests skipped: cannot build the helper (install gcc, pkg-config, libspandsp-dev): ${built.stderr.toString().trim()}`);
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

function spandsp(mode: "enc" | "dec", input: Uint8Array): Uint8Array {
  const r = Bun.spawnSync([HELPER, mode], { stdin: input, stdout: "pipe", stderr: "pipe" });
  expect(r.exitCode).toBe(0);
  return new Uint8Array(r.stdout);
}

describe.skipIf(!ready)("G.722 against spandsp", () => {
  const pcm = checkSignal();
  const ours = new Uint8Array(pcm.length / 2);
  const enc = new G722Encoder();
  for (let i = 0; i < pcm.length; i += 320) enc.encode(pcm.subarray(i, i + 320), ours, i / 2);

  test("our encoder's octets are spandsp's, octet for octet (3 s, up to clipping level)", () => {
    const theirs = spandsp("enc", new Uint8Array(pcm.buffer));
    expect(theirs.length).toBe(ours.length);
    const firstDiff = ours.findIndex((b, i) => b !== theirs[i]);
    expect(firstDiff).toBe(-1);
  });

  test("our decoder's samples are spandsp's for our stream (below clipping: spandsp 0.0.6 saturates differently there)", () => {
    const theirs = new Int16Array(spandsp("dec", ours).slice().buffer);
    const dec = new G722Decoder();
    const mine = new Int16Array(ours.length * 2);
    for (let i = 0; i < ours.length; i += 160) mine.set(dec.decode(ours.subarray(i, i + 160)), i * 2);
    // The first two seconds stay below full scale; the last one clips (an ITU-exact spandsp matches there too).
    const upTo = 32000;
    expect(mine.subarray(0, upTo)).toEqual(theirs.subarray(0, upTo));
  });
});
