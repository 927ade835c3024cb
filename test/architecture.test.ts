import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { Glob } from "bun";
import { checkArchitecture, layerOf, type SourceFile } from "./support/import-graph.ts";
import { SHARED_FOLDER, sharedReads } from "./support/shared-reads.ts";

const ROOT = new URL("..", import.meta.url).pathname;

function sources(): SourceFile[] {
  const files: SourceFile[] = [];
  for (const path of new Glob("src/**/*.ts").scanSync({ cwd: ROOT })) {
    if (path.endsWith(".test.ts") || path.endsWith(".d.ts")) continue;
    files.push({ path, text: readFileSync(`${ROOT}/${path}`, "utf8") });
  }
  return files.sort((a, b) => a.path.localeCompare(b.path));
}

describe("architecture (ARCHITECTURE.md layer table)", () => {
  test("src/ has files to check", () => {
    expect(sources().length).toBeGreaterThan(10);
  });

  test("no upward import, no cycle, no forbidden API in a lower layer", () => {
    expect(checkArchitecture(sources())).toEqual([]);
  });

  test("files stay under ~300 lines (500 is the hard stop)", () => {
    const long = sources()
      .map((f) => ({ path: f.path, lines: f.text.split("\n").length }))
      .filter((f) => f.lines > 500);
    expect(long).toEqual([]);
  });

  test("no test, bench or script reads the shared folder beside the repository (a plain clone has none): test data lives in test/vectors and test/fixtures", () => {
    const found: string[] = [];
    for (const pattern of ["src/**/*.ts", "test/**/*.ts", "bench/**/*.ts", "scripts/*.sh", ".ci/run"]) {
      for (const path of new Glob(pattern).scanSync({ cwd: ROOT, dot: true })) {
        const lines = sharedReads(readFileSync(`${ROOT}/${path}`, "utf8"), path.endsWith(".ts") ? "ts" : "sh");
        for (const line of lines) found.push(`${path}:${line}`);
      }
    }
    expect(found).toEqual([]);
  });

  test("file names are kebab-case", () => {
    expect(sources().filter((f) => !/^[a-z0-9/.-]+$/.test(f.path))).toEqual([]);
  });
});

describe("the checker itself catches violations", () => {
  const f = (path: string, text: string): SourceFile => ({ path, text });

  test("layers are mapped as the table says", () => {
    expect(layerOf("src/lib/result.ts")).toBe(0);
    expect(layerOf("src/config/schema.ts")).toBe(1);
    expect(layerOf("src/sip/message/parse.ts")).toBe(1);
    expect(layerOf("src/sip/transaction/layer.ts")).toBe(2);
    expect(layerOf("src/esl/client.ts")).toBe(2);
    expect(layerOf("src/sip/udp-transport.ts")).toBe(3);
    expect(layerOf("src/esl/tcp-connection.ts")).toBe(3);
    expect(layerOf("src/config/load.ts")).toBe(3);
    expect(layerOf("src/cli/run.ts")).toBe(4);
    expect(layerOf("src/main.ts")).toBe(4);
    expect(layerOf("src/srs/server.ts")).toBe(2);
    expect(layerOf("src/replay/capture-pacer.ts")).toBe(2);
    expect(layerOf("src/test-call/run.ts")).toBe(2);
    expect(layerOf("src/srs/file-recording-sink.ts")).toBe(3);
    expect(layerOf("src/srs/open-srs.ts")).toBe(3);
    expect(layerOf("src/sip/stack.ts")).toBe(3);
    expect(layerOf("src/pcap/file-scan.ts")).toBe(3);
    expect(layerOf("src/siprec/session/outbound-streams.ts")).toBe(2);
    expect(layerOf("src/weird/thing.ts")).toBeUndefined();
  });

  test("upward edge", () => {
    const v = checkArchitecture([f("src/lib/a.ts", 'import { x } from "../cli/run.ts";'), f("src/cli/run.ts", "export const x = 1;")]);
    expect(v.map((x) => x.message)).toContain("layer 0 imports layer 4: src/cli/run.ts");
  });

  test("a planted daemon → CLI import is refused (both layer 4, still forbidden)", () => {
    const v = checkArchitecture([f("src/daemon/a.ts", 'import { x } from "../cli/run.ts";'), f("src/cli/run.ts", "export const x = 1;")]);
    expect(v.map((x) => x.message)).toEqual(["the daemon imports the CLI (share it below both: src/platform, src/config, src/sip): src/cli/run.ts"]);
    expect(checkArchitecture([f("src/cli/a.ts", 'import { x } from "../daemon/app.ts";'), f("src/daemon/app.ts", "export const x = 1;")])).toEqual([]);
  });

  test("a planted timer, file write or Bun API in an engine folder is refused", () => {
    const msgs = (path: string, text: string) => checkArchitecture([f(path, text)]).map((x) => x.message);
    expect(msgs("src/srs/server.ts", "setTimeout(() => {}, 50);")).toEqual(["layer 2 uses timers (use the injected Clock)"]);
    expect(msgs("src/replay/capture-pacer.ts", 'import { writeFileSync } from "node:fs";')).toEqual(["layer 2 uses node I/O modules"]);
    expect(msgs("src/test-call/run.ts", "const f = Bun.file(x);")).toEqual(["layer 2 uses Bun APIs"]);
    expect(msgs("src/srs/file-recording-sink.ts", 'import { writeFileSync } from "node:fs";')).toEqual([]);
  });

  test("cycle", () => {
    const v = checkArchitecture([f("src/sdp/a.ts", 'import "./b.ts";'), f("src/sdp/b.ts", 'export * from "./a.ts";')]);
    expect(v.some((x) => x.message.startsWith("import cycle: src/sdp/a.ts -> src/sdp/b.ts -> src/sdp/a.ts"))).toBe(true);
  });

  test("forbidden APIs by layer, comments ignored", () => {
    const msgs = (path: string, text: string) => checkArchitecture([f(path, text)]).map((x) => x.message);
    expect(msgs("src/sdp/a.ts", "const t = Date.now();")).toEqual(["layer 1 uses the wall clock (use the injected Clock)"]);
    expect(msgs("src/sip/ua/a.ts", "setTimeout(() => {}, 1);")).toEqual(["layer 2 uses timers (use the injected Clock)"]);
    expect(msgs("src/rtp/packet.ts", "const r = Math.random();")).toEqual(["layer 1 uses randomness (use the injected IdSource)"]);
    expect(msgs("src/config/load.ts", "const e = process.env.X;")).toEqual(["layer 3 uses process (argv/env/exit/streams)"]);
    expect(msgs("src/esl/frame.ts", 'import { readFile } from "node:fs";')).toEqual(["layer 1 uses node I/O modules"]);
    expect(msgs("src/sdp/a.ts", 'import { createHash } from "node:crypto";')).toEqual([
      "layer 1 uses node:crypto (only rtp/srtp and sip/auth may compute with it)",
    ]);
    expect(msgs("src/rtp/srtp/kdf.ts", 'import { createCipheriv } from "node:crypto";')).toEqual([]);
    expect(msgs("src/rtp/srtp/context.ts", 'const h = new Bun.CryptoHasher("sha1", k);')).toEqual([]);
    expect(msgs("src/sdp/a.ts", 'const h = new Bun.CryptoHasher("sha1", k);')).toEqual([
      "layer 1 uses Bun.CryptoHasher (only rtp/srtp and sip/auth may compute with it)",
    ]);
    expect(msgs("src/lib/a.ts", 'import { z } from "zod";')).toEqual(['layer 0 imports package "zod"']);
    expect(msgs("src/sdp/a.ts", "// Date.now() is not used here\n/* setTimeout( */ export {};")).toEqual([]);
    expect(msgs("src/cli/a.ts", "process.exit(1); Bun.spawn([]);")).toEqual([]);
    expect(msgs("src/weird/a.ts", "")).toEqual(["not mapped to a layer (add it to LAYER_RULES in test/support/import-graph.ts)"]);
  });

  test("reads of the shared folder are found in code, not in comments", () => {
    // The inputs spell the folder as @ so that this file does not read it either.
    const reads = (text: string, kind: "ts" | "sh") => sharedReads(text.replaceAll("@", SHARED_FOLDER), kind);
    expect(reads('const a = join(ROOT, "..", "@", "x");', "ts")).toEqual([1]);
    expect(reads("const b = readFileSync(`${ROOT}/../@/fixtures/a.pcap`);", "ts")).toEqual([1]);
    expect(reads("x;\nconst c = '/work/@/reference/y.xml';", "ts")).toEqual([2]);
    expect(reads('// see ../@/design\n/* "@" */ const d = 1;', "ts")).toEqual([]);
    expect(reads('const e = "@-stack";', "ts")).toEqual([]);
    expect(reads("cp ../@/fixtures/a .\n# ../@ is not here", "sh")).toEqual([1]);
  });

  test("imports of missing files are reported", () => {
    expect(checkArchitecture([f("src/sdp/a.ts", 'import "./gone.ts";')]).map((x) => x.message)).toEqual([
      "imports ./gone.ts, which is not a source file under src/",
    ]);
  });
});
