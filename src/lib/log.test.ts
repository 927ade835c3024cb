import { describe, expect, test } from "bun:test";
import { createLogger, type LogSink } from "./log.ts";
import { AppError } from "./errors.ts";
import { Secret } from "./secret.ts";
import { parseConfigText } from "../config/parse.ts";
import { resolveSecrets, secretValues } from "../config/secrets.ts";

function sink(over: Partial<LogSink> = {}): LogSink & { lines: string[] } {
  const lines: string[] = [];
  return { level: "trace", format: "json", write: (l) => lines.push(l), wallNow: () => Date.UTC(2026, 10, 26, 12, 0, 0, 5), lines, ...over };
}

describe("structured lines", () => {
  test("JSON: one object per line with stable keys", () => {
    const s = sink();
    createLogger(s).info("recording started", { callUuid: "c-1", streams: 2 });
    expect(JSON.parse(s.lines[0] as string)).toEqual({ ts: "2026-11-26T12:00:00.005Z", level: "info", msg: "recording started", callUuid: "c-1", streams: 2 });
  });

  test("text: readable, values quoted only when needed", () => {
    const s = sink({ format: "text" });
    createLogger(s).warn("srs down", { srs: "nice-1", reason: "timed out after 32 s" });
    expect(s.lines[0]).toBe('2026-11-26T12:00:00.005Z WARN  srs down srs=nice-1 reason="timed out after 32 s"');
  });

  test("levels filter", () => {
    const s = sink({ level: "warn" });
    const log = createLogger(s);
    log.debug("no");
    log.info("no");
    log.warn("yes");
    log.error("yes");
    expect(s.lines).toHaveLength(2);
    expect(log.isEnabled("info")).toBe(false);
    expect(log.isEnabled("error")).toBe(true);
  });

  test("child loggers carry ids; call fields override", () => {
    const s = sink();
    const rec = createLogger(s).child({ recordingId: "r-9" }).child({ callUuid: "u-1" });
    rec.info("x", { callUuid: "u-2" });
    expect(JSON.parse(s.lines[0] as string)).toMatchObject({ recordingId: "r-9", callUuid: "u-2" });
  });

  test("errors keep name, code, message and cause", () => {
    const s = sink();
    const e = new AppError("SRS_TIMEOUT", "no answer", { cause: new Error("socket closed") });
    createLogger(s).error("failed", { error: e });
    expect(JSON.parse(s.lines[0] as string).error).toEqual({
      name: "AppError",
      message: "no answer",
      code: "SRS_TIMEOUT",
      cause: { name: "Error", message: "socket closed" },
    });
  });

  test("reserved keys in fields do not overwrite the line's own", () => {
    const s = sink();
    createLogger(s).info("real", { msg: "fake", level: "error" });
    expect(JSON.parse(s.lines[0] as string)).toMatchObject({ msg: "real", level: "info", "field.msg": "fake", "field.level": "error" });
  });
});

describe("secrets never appear in log output", () => {
  const PASSWORD = "Sup3r-Secret!pw";
  const KEY = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkq\n-----END PRIVATE KEY-----";

  test("Secret values, alone or nested, in both formats", () => {
    for (const format of ["json", "text"] as const) {
      const s = sink({ format });
      const secret = new Secret(PASSWORD, "env:ESL_PW");
      const log = createLogger(s).child({ password: secret });
      log.info("connecting", { auth: { user: "u", password: secret }, list: [secret] });
      log.info(`template ${secret} and ${String(secret)} and ${JSON.stringify({ secret })}`);
      for (const l of s.lines) expect(l).not.toContain(PASSWORD);
      expect(s.lines.join("\n")).toContain("[redacted]");
    }
  });

  test("clear text that slipped into a message or an error is scrubbed", () => {
    const s = sink({ secrets: [PASSWORD, KEY] });
    const log = createLogger(s);
    log.error(`auth failed with ${PASSWORD}`, { error: new Error(`peer echoed ${PASSWORD}`), pem: KEY });
    expect(s.lines[0]).not.toContain(PASSWORD);
    expect(s.lines[0]).not.toContain("MIIEvQIBADANBgkq");
  });

  test("a whole loaded config logged as a field leaks nothing", async () => {
    const draft = parseConfigText(
      `[freeswitch]\npassword = "${PASSWORD}"\n[[srs]]\nname = "a"\nuri = "sips:r.example.com"\ntls_cert_file = "/c.pem"\ntls_key_env = "K"\nauth_username = "u"\nauth_password_file = "/p"\n`,
    );
    if (!draft.ok) throw new Error(JSON.stringify(draft.error));
    const cfg = await resolveSecrets(draft.value, { env: { K: KEY }, readText: async () => ({ ok: true, value: "digest-pass-123\n" }) });
    if (!cfg.ok) throw new Error(JSON.stringify(cfg.error));
    for (const format of ["json", "text"] as const) {
      const s = sink({ format, secrets: secretValues(cfg.value) });
      createLogger(s).info("config loaded", { config: cfg.value });
      const out = s.lines.join("\n");
      for (const leak of [PASSWORD, "MIIEvQIBADANBgkq", "digest-pass-123"]) expect(out).not.toContain(leak);
    }
  });
});
