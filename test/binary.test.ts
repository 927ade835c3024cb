/**
 * Smoke tests of the compiled executable: what an operator runs, with real
 * files on disk. scripts/test.sh builds dist/siprec first and passes it as
 * SIPREC_BIN; run alone, this file builds it.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { BIN, ensureBinary } from "./support/siprec-bin.ts";
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, truncateSync, writeFileSync } from "node:fs";
import { siprecCapture } from "./support/siprec-capture.ts";
import { FS_FIXTURES } from "./support/esl-fixtures.ts";
import { REFERENCE } from "./support/vectors.ts";
import { parseWav } from "../src/media/wav.ts";
import { dominantFrequency } from "../src/media/tone.ts";

function wavHz(path: string): number {
  const w = parseWav(new Uint8Array(readFileSync(path)));
  if (!w.ok) throw new Error(w.error.message);
  return dominantFrequency(w.value.samples8k.subarray(4000, 5600), 8000, [440, 880]);
}
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = new URL("..", import.meta.url).pathname;
const TMP = mkdtempSync(join(tmpdir(), "siprec-bin-"));

beforeAll(() => ensureBinary());

function siprec(...args: string[]): { code: number; out: string; err: string } {
  const r = Bun.spawnSync([BIN, ...args], { cwd: TMP, env: { PATH: process.env["PATH"] ?? "/usr/bin" }, stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode ?? -1, out: r.stdout.toString(), err: r.stderr.toString() };
}

describe("dist/siprec", () => {
  test("--version names the build commit", () => {
    const r = siprec("--version");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^siprec \d+\.\d+\.\d+ \(commit [0-9a-f]{7,}(-dirty)?, bun \d/);
  });

  test("--help lists the subcommands", () => {
    const r = siprec("--help");
    expect(r.code).toBe(0);
    expect(r.out).toContain("config");
  });

  test("config check on the shipped example", () => {
    const r = siprec("config", "check", "-c", join(ROOT, "conf/siprec.toml"));
    expect(r.code).toBe(0);
    expect(r.err).toContain("ok (1 recording server");
  });

  test("validate: the embedded libxml2 and RFC 7865 schema work in the binary", () => {
    const ref = join(REFERENCE, "examples");
    const good = siprec("validate", join(ref, "rfc7865-metadata-example-1.xml"), join(ref, "rfc8068-3.2.2-01-hold-partial.xml"));
    expect([good.code, good.out.trim()]).toEqual([0, "2 inputs: 2 valid, 0 errors, 0 warnings"]);
    const bad = siprec("validate", "--format", "json", join(ref, "constructed", "neg-participant-without-nameID.xml"));
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.out).files[0].findings[0].rule).toBe("metadata-participant-nameid");
  });

  test("validate reads standard input", () => {
    const xml = Bun.file(join(REFERENCE, "examples", "rfc7865-metadata-example-2.xml"));
    const r = Bun.spawnSync([BIN, "validate", "-"], { stdin: xml, stdout: "pipe", stderr: "pipe" });
    expect([r.exitCode, r.stdout.toString().trim()]).toEqual([0, "1 input: 1 valid, 0 errors, 0 warnings"]);
  });

  test("test-call → srs as compiled binaries: two WAVs with the recorded length, exit 0", async () => {
    const rec = join(TMP, "rec");
    const port = 20000 + Math.floor(Math.random() * 20000);
    const srs = Bun.spawn([BIN, "srs", "--listen", `127.0.0.1:${port}`, "--transport", "tcp", "--dir", rec, "--duration", "20"], {
      stdout: "pipe",
      stderr: "pipe",
    });
    const reader = srs.stdout.getReader();
    let out = "";
    while (!out.includes("listening")) out += new TextDecoder().decode((await reader.read()).value ?? new Uint8Array());
    const call = Bun.spawnSync([BIN, "test-call", "--srs", `sip:srs@127.0.0.1:${port}`, "--duration", "2", "--json"], { stdout: "pipe", stderr: "pipe" });
    expect(call.exitCode).toBe(0);
    const j = JSON.parse(call.stdout.toString());
    expect(j.ok).toBe(true);
    while (!out.includes("recording ")) out += new TextDecoder().decode((await reader.read()).value ?? new Uint8Array());
    srs.kill("SIGINT");
    expect(await srs.exited).toBe(0);
    expect(out).toMatch(/label-1\.wav (19|20|21)\d\d ms, label-2\.wav (19|20|21)\d\d ms/);
  }, 30_000);

  test("siprec srs fault options as compiled binaries: --answer-inactive-for (Figure 7) and --session-expires 90 --refresher uac; test-call records through them with every check green", async () => {
    for (const [flags, what] of [
      [["--answer-inactive-for", "1"], "ready: recvonly"],
      [["--session-expires", "90", "--refresher", "uac"], ""],
    ] as const) {
      const rec = join(TMP, `rec-fault-${flags[0].slice(2)}`);
      const port = 20000 + Math.floor(Math.random() * 20000);
      const srs = Bun.spawn([BIN, "srs", "--listen", `127.0.0.1:${port}`, "--transport", "tcp", "--dir", rec, "--stop-after", "20", ...flags], {
        stdout: "pipe",
        stderr: "pipe",
      });
      const reader = srs.stdout.getReader();
      let out = "";
      while (!out.includes("listening")) out += new TextDecoder().decode((await reader.read()).value ?? new Uint8Array());
      const call = Bun.spawnSync([BIN, "test-call", "--srs", `sip:srs@127.0.0.1:${port}`, "--duration", "3", "--json"], { stdout: "pipe", stderr: "pipe" });
      const j = JSON.parse(call.stdout.toString()) as { ok: boolean; checks: { name: string; ok: boolean | null }[]; report: { ladder: { what: string }[] } };
      expect(j.checks.filter((c) => c.ok === false)).toEqual([]);
      expect(call.exitCode).toBe(0);
      if (what !== "") expect(j.report.ladder.some((e) => e.what.startsWith("INVITE from the SRS"))).toBe(true);
      while (!out.includes("recording ")) out += new TextDecoder().decode((await reader.read()).value ?? new Uint8Array());
      srs.kill("SIGINT");
      expect(await srs.exited).toBe(0);
      expect(out).toMatch(/label-1\.wav \d+ ms, label-2\.wav \d+ ms/);
    }
    expect(siprec("srs", "--session-expires", "30").code).toBe(2);
    expect(siprec("srs", "--refresher", "both").code).toBe(2);
  }, 40_000);

  test("replay → srs as compiled binaries: a SIPREC capture (its labels, its metadata via the embedded libxml2) and a FreeSWITCH fixture call, WAVs with the right tones", async () => {
    const rec = join(TMP, "replayed");
    const port = 20000 + Math.floor(Math.random() * 20000);
    writeFileSync(join(TMP, "siprec.pcap"), siprecCapture({ transferAtS: 1 }));
    const list = siprec("replay", "--list", "--json", join(TMP, "siprec.pcap"));
    expect(list.code).toBe(0);
    expect(JSON.parse(list.out).calls[0].siprec).toBe(true);
    const srs = Bun.spawn([BIN, "srs", "--listen", `127.0.0.1:${port}`, "--transport", "tcp", "--dir", rec], { stdout: "pipe", stderr: "pipe" });
    const reader = srs.stdout.getReader();
    let out = "";
    while (!out.includes("listening")) out += new TextDecoder().decode((await reader.read()).value ?? new Uint8Array());
    for (const capture of [join(TMP, "siprec.pcap"), join(FS_FIXTURES, "call-pcma-two-way.pcapng")]) {
      const r = Bun.spawnSync([BIN, "replay", capture, "--all", "--srs", `sip:srs@127.0.0.1:${port}`, "--max-speed", "--max-duration", "2", "--json"], {
        stdout: "pipe",
        stderr: "pipe",
      });
      expect([r.exitCode, r.stderr.toString()]).toEqual([0, ""]);
    }
    while ((out.match(/recording /g) ?? []).length < 3) out += new TextDecoder().decode((await reader.read()).value ?? new Uint8Array());
    srs.kill("SIGINT");
    expect(await srs.exited).toBe(0);
    const folders = readdirSync(rec).map((f) => join(rec, f));
    const tones = folders
      .map((f) =>
        readdirSync(f)
          .filter((w) => w.endsWith(".wav"))
          .sort()
          .map((w) => `${w} ${wavHz(join(f, w))}`)
          .join(", "),
      )
      .sort();
    expect(tones).toEqual(["label-1.wav 440, label-2.wav 880", "label-1.wav 440, label-2.wav 880", "label-10.wav 440, label-11.wav 880"]);
  }, 30_000);

  test("usage errors exit 2", () => {
    expect(siprec("no-such-command").code).toBe(2);
    expect(siprec("config", "check", "--no-such-flag").code).toBe(2);
    expect(siprec("test-call", "--srs", "sip:x@127.0.0.1", "--streams", "3").code).toBe(2);
    expect(siprec("srs", "--listen", "nowhere").code).toBe(2);
  });

  const bad: [string, () => string, string][] = [
    ["missing file", () => join(TMP, "nope.toml"), "no such file"],
    ["directory", () => (mkdirSync(join(TMP, "d.toml"), { recursive: true }), join(TMP, "d.toml")), "is a directory"],
    ["empty file", () => (writeFileSync(join(TMP, "e.toml"), ""), join(TMP, "e.toml")), "empty"],
    ["binary garbage", () => (writeFileSync(join(TMP, "g.toml"), new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2])), join(TMP, "g.toml")), "not a text file"],
    [
      "50 MB file",
      () => (writeFileSync(join(TMP, "big.toml"), ""), truncateSync(join(TMP, "big.toml"), 50 * 1024 * 1024), join(TMP, "big.toml")),
      "the limit is",
    ],
    [
      "misspelled key",
      () => (writeFileSync(join(TMP, "k.toml"), '[[srs]]\nname = "a"\nuri = "sip:a@127.0.0.1"\nprioirty = 1\n'), join(TMP, "k.toml")),
      "k.toml:4:1: srs[0].prioirty: unknown key",
    ],
    ["syntax error", () => (writeFileSync(join(TMP, "s.toml"), '[[srs]]\nname = "a\n'), join(TMP, "s.toml")), "s.toml:2:"],
    ["path under a file", () => join(ROOT, "package.json", "x.toml"), "not a directory"],
  ];
  for (const [what, make, expected] of bad) {
    test(`bad input: ${what} → one clear line, exit 1`, () => {
      const r = siprec("config", "check", "-c", make());
      expect(r.code).toBe(1);
      expect(r.err).toContain(expected);
      expect(r.err.trim().split("\n")).toHaveLength(1);
      expect(r.err).not.toMatch(/\n\s+at |error: .*\n.*\^/);
    });
  }
});
