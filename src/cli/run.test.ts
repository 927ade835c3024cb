import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { COMMANDS, run } from "./run.ts";
import { loggerFor, resolveLogFormat } from "./logger.ts";
import { VERSION } from "../platform/version.ts";
import { memoryIo } from "../../test/support/memory-io.ts";

const EXAMPLE = readFileSync(new URL("../../conf/siprec.toml", import.meta.url), "utf8");
const MIN = `[[srs]]\nname = "a"\nuri = "sip:srs@127.0.0.1:5070"\n`;

describe("global flags", () => {
  test("--version prints version and commit", async () => {
    const io = memoryIo();
    expect(await run(["--version"], io)).toBe(0);
    expect(io.stdout[0]).toMatch(new RegExp(`^siprec ${VERSION.replace(/\./g, "\\.")} \\(commit \\S+, bun \\d`));
  });

  test("--help lists every subcommand with its summary", async () => {
    const io = memoryIo();
    expect(await run(["--help"], io)).toBe(0);
    const help = io.stdout.join("\n").replace(/\s+/g, " ");
    for (const c of COMMANDS) expect(help).toContain(`${c.name} `), expect(help).toContain(c.summary.split(" ").slice(0, 4).join(" "));
  });

  test("no arguments: usage on stderr, exit 2", async () => {
    const io = memoryIo();
    expect(await run([], io)).toBe(2);
    expect(io.stderr.join("\n")).toContain("Usage: siprec");
  });

  test("unknown command or flag: exit 2 with a suggestion", async () => {
    const io = memoryIo();
    expect(await run(["confgi"], io)).toBe(2);
    expect(io.stderr.join("\n")).toContain("(Did you mean config?)");
    expect(await run(["config", "check", "--bogus"], memoryIo())).toBe(2);
  });
});

describe("one CLI vocabulary", () => {
  test("--log-level is global: checked before any command runs, before or after the command name", async () => {
    for (const argv of [
      ["--log-level", "loud", "config", "check"],
      ["config", "check", "--log-level", "loud"],
    ]) {
      const io = memoryIo();
      expect(await run(argv, io)).toBe(2);
      expect(io.stderr.join("\n")).toContain('--log-level must be one of trace, debug, info, warn, error, got "loud"');
    }
  });

  test("srs: one error line per bad flag, each naming the flag and what it takes", async () => {
    const io = memoryIo();
    expect(await run(["srs", "--listen", "nowhere", "--reject", "99", "--stop-after", "-1", "--refresher", "both", "--transport", "udp,sctp"], io)).toBe(2);
    expect(io.stderr).toEqual([
      'siprec srs: --listen "nowhere": expected host:port',
      'siprec srs: --transport: "sctp" (udp, tcp, tls)',
      "siprec srs: --reject 99: a status 300-699",
      "siprec srs: --stop-after -1: seconds ≥ 0",
      "siprec srs: --refresher both: uas or uac",
    ]);
  });

  test("test-call and replay share the SRS-target options (--local-address; test-call's old --local hidden)", async () => {
    const help = async (cmd: string) => {
      const io = memoryIo();
      await run([cmd, "--help"], io);
      return io.stdout.join("\n");
    };
    const [tc, rp] = [await help("test-call"), await help("replay")];
    for (const flag of [
      "--srs <uri|name>",
      "-c, --config <file>",
      "--transport <t>",
      "--tls-ca <file>",
      "--tls-no-verify",
      "--srtp ",
      "--srtp-suite <list>",
      "--local-address <ip>",
    ]) {
      expect(tc).toContain(flag);
      expect(rp).toContain(flag);
    }
    expect(tc).not.toContain("--local <");
  });
});

describe("siprec config check", () => {
  test("valid file: exit 0 and a summary", async () => {
    const io = memoryIo({ files: { "/c.toml": EXAMPLE } });
    expect(await run(["config", "check", "-c", "/c.toml"], io)).toBe(0);
    expect(io.stderr.at(-1)).toBe("/c.toml: ok (1 recording server in 1 group, 1 trigger)");
    expect(io.stdout).toEqual([]);
  });

  test("uses $SIPREC_CONFIG", async () => {
    const io = memoryIo({ files: { "/e.toml": MIN }, env: { SIPREC_CONFIG: "/e.toml" } });
    expect(await run(["config", "check"], io)).toBe(0);
  });

  test("--print shows the effective config with secrets redacted", async () => {
    const io = memoryIo({
      files: { "/c.toml": `[freeswitch]\npassword_env = "PW"\n${MIN}auth_username = "u"\nauth_password = "digest-secret"\n` },
      env: { PW: "esl-secret" },
    });
    expect(await run(["config", "check", "-c", "/c.toml", "--print"], io)).toBe(0);
    const out = io.stdout.join("\n");
    expect(out).toContain('password = "[redacted] (env:PW)"');
    expect(out).toContain('auth_password = "[redacted] (inline)"');
    expect(out).toContain("options_interval = 30");
    expect(io.text()).not.toContain("esl-secret");
    expect(io.text()).not.toContain("digest-secret");
  });

  test("--json, valid and invalid", async () => {
    const good = memoryIo({ files: { "/c.toml": `[freeswitch]\npassword = "pw-123456"\n${MIN}` } });
    expect(await run(["config", "check", "-c", "/c.toml", "--json", "--print"], good)).toBe(0);
    const g = JSON.parse(good.stdout[0] as string);
    expect(g.ok).toBe(true);
    expect(g.config.freeswitch.password).toBe("[redacted]");
    const bad = memoryIo({ files: { "/c.toml": `${MIN}transport = "tpc"\n` } });
    expect(await run(["config", "check", "-c", "/c.toml", "--json"], bad)).toBe(1);
    expect(JSON.parse(bad.stdout[0] as string)).toMatchObject({ ok: false, code: "CONFIG_INVALID", issues: [{ path: "srs[0].transport", line: 4 }] });
  });

  test("invalid file: exit 1, every error, no stack trace", async () => {
    const io = memoryIo({ files: { "/c.toml": `[log]\nlevel = "loud"\nformat = "xml"\n${MIN}trasnport = "tcp"\n` } });
    expect(await run(["config", "check", "-c", "/c.toml"], io)).toBe(1);
    expect(io.stderr).toEqual([
      '/c.toml:2:1: log.level: expected one of trace|debug|info|warn|error, got "loud"',
      '/c.toml:3:1: log.format: expected one of auto|json|text, got "xml"',
      '/c.toml:7:1: srs[0].trasnport: unknown key (did you mean "transport"?)',
    ]);
  });

  test("syntax error names the line", async () => {
    const io = memoryIo({ files: { "/c.toml": `${MIN}name = \n` } });
    expect(await run(["config", "check", "-c", "/c.toml"], io)).toBe(1);
    expect(io.stderr[0]).toMatch(/^\/c\.toml:4:\d+: TOML syntax error: /);
  });

  test("warnings do not fail the check", async () => {
    const io = memoryIo({ files: { "/c.toml": `${MIN}transport = "udp"\n` } });
    expect(await run(["config", "check", "-c", "/c.toml"], io)).toBe(0);
    expect(io.stderr[0]).toContain("warning: srs[0].transport");
  });

  for (const [what, entry] of [
    ["missing", undefined],
    ["a directory", { dir: true as const }],
    ["binary garbage", new Uint8Array([0, 1, 2, 3, 255])],
    ["*_file pointing nowhere", `[freeswitch]\npassword_file = "/none"\n${MIN}`],
    ["duplicate [[srs]] names", `${MIN}${MIN}`],
  ] as const) {
    test(`bad input (${what}): one clear message, exit 1`, async () => {
      const io = memoryIo({ files: entry === undefined ? {} : { "/c.toml": entry } });
      expect(await run(["config", "check", "-c", "/c.toml"], io)).toBe(1);
      expect(io.stderr).toHaveLength(1);
      expect(io.stderr[0]).toStartWith("/c.toml");
      expect(io.stderr[0]).not.toContain("    at ");
    });
  }
});

describe("process logger", () => {
  test("auto format: text on a terminal, JSON otherwise", () => {
    expect(resolveLogFormat("auto", memoryIo({ tty: true }))).toBe("text");
    expect(resolveLogFormat("auto", memoryIo({ tty: false }))).toBe("json");
    expect(resolveLogFormat("json", memoryIo({ tty: true }))).toBe("json");
  });

  test("writes structured lines to stderr with the io clock", () => {
    const io = memoryIo();
    loggerFor(io, { level: "info", format: "auto" }).info("hello", { n: 1 });
    expect(JSON.parse(io.stderr[0] as string)).toEqual({ ts: "2026-11-26T12:00:00.000Z", level: "info", msg: "hello", n: 1 });
  });
});
