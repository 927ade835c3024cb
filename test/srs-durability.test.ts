/**
 * #15 item 8: the reference SRS loses nothing it received. A SIGKILLed
 * `siprec srs` (compiled binary) leaves valid WAVs holding the audio up to
 * about a second before the kill (0.5 s between writes, 0.5 s jitter window), every metadata version, and a report that
 * says "complete": false; the next run marks that recording interrupted.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { BIN, ensureBinary } from "./support/siprec-bin.ts";
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseWav } from "../src/media/wav.ts";
import { dominantFrequency } from "../src/media/tone.ts";

beforeAll(() => ensureBinary());

async function startSrs(dir: string, port: number, extra: string[] = []) {
  const srs = Bun.spawn([BIN, "srs", "--listen", `127.0.0.1:${port}`, "--transport", "tcp", "--dir", dir, ...extra], { stdout: "pipe", stderr: "pipe" });
  const reader = srs.stdout.getReader();
  let out = "";
  while (!out.includes("listening")) out += new TextDecoder().decode((await reader.read()).value ?? new Uint8Array());
  return srs;
}

describe("siprec srs killed mid-recording", () => {
  test("SIGKILL 4 s into a call: the WAVs are valid and hold the call's tones up to about a second before the kill (0.5 s between writes, 0.5 s jitter window); metadata on disk; the report says complete: false; the next start marks it interrupted", async () => {
    const dir = mkdtempSync(join(tmpdir(), "siprec-kill-"));
    const port = 20000 + Math.floor(Math.random() * 20000);
    const srs = await startSrs(dir, port);
    const call = Bun.spawn([BIN, "test-call", "--srs", `sip:srs@127.0.0.1:${port}`, "--duration", "10"], { stdout: "pipe", stderr: "pipe" });
    await Bun.sleep(4000);
    srs.kill("SIGKILL");
    await srs.exited;
    call.kill("SIGTERM");
    await call.exited;
    const folders = readdirSync(dir);
    expect(folders.length).toBe(1);
    const folder = join(dir, folders[0]!);
    const files = readdirSync(folder).sort();
    expect(files).toEqual(["label-1.wav", "label-2.wav", "metadata-1.xml", "report.json"]);
    const report = JSON.parse(readFileSync(join(folder, "report.json"), "utf8"));
    expect(report.complete).toBe(false);
    expect(report.writtenAt).toBeString();
    expect(readFileSync(join(folder, "metadata-1.xml"), "utf8")).toContain("<recording");
    const tones: number[] = [];
    for (const f of ["label-1.wav", "label-2.wav"]) {
      const w = parseWav(new Uint8Array(readFileSync(join(folder, f))));
      if (!w.ok) throw new Error(`${f}: ${w.error.message}`);
      // About 4 s recorded, at most the 0.5 s jitter window and 0.5 s between writes missing.
      expect(w.value.durationMs).toBeGreaterThanOrEqual(1800);
      expect(w.value.durationMs).toBeLessThanOrEqual(4200);
      tones.push(dominantFrequency(w.value.samples8k.subarray(4000, 5600), 8000, [440, 880]));
    }
    expect(tones).toEqual([440, 880]);
    // The next run finds the cut recording and says so, in the report and the log.
    const again = await startSrs(dir, port + 1, ["--stop-after", "1"]);
    const err = await new Response(again.stderr).text();
    await again.exited;
    const marked = JSON.parse(readFileSync(join(folder, "report.json"), "utf8"));
    expect(marked.complete).toBe(false);
    expect(marked.interrupted.why).toContain("stopped before the recording ended");
    expect(err).toContain("marked interrupted");
  }, 30_000);
});
