import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { MAX_CONFIG_BYTES, firstInvalidUtf8, loadConfig, readTextFile } from "./load.ts";
import { formatIssue } from "./issues.ts";
import { MemoryFs, type MemoryEntry } from "../../test/support/memory-io.ts";

const EXAMPLE = readFileSync(new URL("../../conf/siprec.toml", import.meta.url), "utf8");
const MIN = `[[srs]]\nname = "a"\nuri = "sip:srs@127.0.0.1:5070"\n`;

async function load(files: Record<string, MemoryEntry>, opts: { path?: string; env?: Record<string, string> } = {}) {
  return loadConfig({ explicitPath: opts.path, env: opts.env ?? {}, fs: new MemoryFs(files) });
}

async function failure(files: Record<string, MemoryEntry>, opts: { path?: string; env?: Record<string, string> } = {}) {
  const r = await load(files, opts);
  if (r.ok) throw new Error("expected a failure");
  return r.error;
}

describe("lookup order", () => {
  const files = { "/etc/siprec/siprec.toml": MIN, "./conf/siprec.toml": EXAMPLE, "/flag.toml": MIN, "/env.toml": MIN };
  test("--config wins over $SIPREC_CONFIG", async () => {
    const r = await load(files, { path: "/flag.toml", env: { SIPREC_CONFIG: "/env.toml" } });
    expect(r.ok && r.value.path).toBe("/flag.toml");
  });
  test("$SIPREC_CONFIG wins over the default paths", async () => {
    const r = await load(files, { env: { SIPREC_CONFIG: "/env.toml" } });
    expect(r.ok && r.value.path).toBe("/env.toml");
  });
  test("/etc before ./conf", async () => {
    const r = await load(files);
    expect(r.ok && r.value.path).toBe("/etc/siprec/siprec.toml");
  });
  test("./conf last", async () => {
    const r = await load({ "./conf/siprec.toml": EXAMPLE });
    expect(r.ok && r.value.path).toBe("./conf/siprec.toml");
  });
  test("an explicit path never falls through to the defaults", async () => {
    const e = await failure({ "./conf/siprec.toml": EXAMPLE }, { path: "/missing.toml" });
    expect(e.code).toBe("CONFIG_NOT_FOUND");
    expect(e.message).toBe("/missing.toml: cannot read config file: no such file");
  });
  test("nothing anywhere lists where it looked", async () => {
    const e = await failure({});
    expect(e.message).toContain("/etc/siprec/siprec.toml, ./conf/siprec.toml");
  });
});

describe("bad files get one clear message", () => {
  const cases: [string, MemoryEntry, string][] = [
    ["directory", { dir: true }, "is a directory, not a file"],
    ["unreadable", { error: "permission denied", code: "EACCES" }, "permission denied"],
    ["empty", "", "the config file is empty"],
    ["binary garbage", new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x00, 0x00]), "not a text file (NUL byte at offset 6)"],
    ["invalid UTF-8", new Uint8Array([0x61, 0x3d, 0x22, 0xc3, 0x28, 0x22]), "not a text file (invalid UTF-8 at byte 3)"],
    ["50 MB", new Uint8Array(50 * 1024 * 1024).fill(0x61), `file is 52428800 bytes; the limit is ${MAX_CONFIG_BYTES}`],
  ];
  for (const [what, entry, message] of cases) {
    test(what, async () => {
      const e = await failure({ "/c.toml": entry }, { path: "/c.toml" });
      expect(e.issues).toHaveLength(1);
      expect(e.message).toContain(message);
      expect(e.message).toStartWith("/c.toml");
    });
  }
});

describe("secrets from env and files", () => {
  const cfg = (fs: string) => `[freeswitch]\n${fs}\n${MIN}`;
  test("inline, env and file spellings", async () => {
    for (const [line, env, files, source] of [
      ['password = "inline-pw"', {}, {}, "inline"],
      ['password_env = "ESL_PW"', { ESL_PW: "env-pw" }, {}, "env:ESL_PW"],
      ['password_file = "/s/pw"', {}, { "/s/pw": "file-pw\n" }, "file:/s/pw"],
    ] as const) {
      const r = await load({ "/c.toml": cfg(line), ...files }, { path: "/c.toml", env });
      if (!r.ok) throw r.error;
      expect(r.value.config.freeswitch.password.source).toBe(source);
      expect(r.value.config.freeswitch.password.reveal()).toMatch(/^(inline|env|file)-pw$/);
    }
  });
  test("*_file pointing nowhere", async () => {
    const e = await failure({ "/c.toml": cfg('password_file = "/nope"') }, { path: "/c.toml" });
    expect(e.message).toBe('/c.toml: freeswitch.password_file: cannot read "/nope": no such file');
  });
  test("*_env not set or empty", async () => {
    expect((await failure({ "/c.toml": cfg('password_env = "NOPE"') }, { path: "/c.toml" })).message).toBe(
      "/c.toml: freeswitch.password_env: environment variable NOPE is not set",
    );
    expect((await failure({ "/c.toml": cfg('password_env = "E"') }, { path: "/c.toml", env: { E: "" } })).message).toContain("is empty");
  });
  test("secret in an array of tables keeps its index", async () => {
    const e = await failure({ "/c.toml": `${MIN}auth_username = "u"\nauth_password_file = "/x"\n` }, { path: "/c.toml" });
    expect(e.issues[0]?.path).toBe("srs[0].auth_password_file");
  });
  test("a loaded config is frozen", async () => {
    const r = await load({ "/c.toml": MIN }, { path: "/c.toml" });
    if (!r.ok) throw r.error;
    expect(Object.isFrozen(r.value.config.srs)).toBe(true);
    expect(() => ((r.value.config.log as { level: string }).level = "x")).toThrow();
  });
});

describe("readTextFile", () => {
  test("strips nothing and decodes UTF-8 with a BOM-free result", async () => {
    const r = await readTextFile("/f", new MemoryFs({ "/f": "héllo" }));
    expect(r).toEqual({ ok: true, value: "héllo" });
  });
  test("formatIssue puts file, line and column first", () => {
    expect(formatIssue({ path: "srs[0].uri", message: "bad", severity: "error", line: 3, column: 1 }, "/c.toml")).toBe("/c.toml:3:1: srs[0].uri: bad");
    expect(formatIssue({ path: "x", message: "hm", severity: "warning" })).toBe("warning: x: hm");
  });
});

describe("firstInvalidUtf8", () => {
  test("finds the start of the bad sequence", () => {
    expect(firstInvalidUtf8(new Uint8Array([0x61, 0xc3, 0xa9, 0x62]))).toBe(4);
    expect(firstInvalidUtf8(new Uint8Array([0x61, 0xc3]))).toBe(1);
    expect(firstInvalidUtf8(new Uint8Array([0xed, 0xa0, 0x80]))).toBe(0);
    expect(firstInvalidUtf8(new Uint8Array([0x61, 0xff]))).toBe(1);
    expect(firstInvalidUtf8(new TextEncoder().encode("€😀"))).toBe(7);
  });
});
