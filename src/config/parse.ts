/**
 * Config text → typed draft: TOML syntax (smol-toml, with line:column) then
 * the schema (every issue at once, each located to a line where possible).
 * Pure.
 */
import { TomlError, parse as parseToml } from "smol-toml";
import type { ConfigIssue } from "./issues.ts";
import { keyIndex } from "./key-position.ts";
import { type ConfigDraft, parseConfigValue } from "./schema.ts";
import { type Result, err, ok } from "../lib/result.ts";

export function parseConfigText(text: string): Result<ConfigDraft, ConfigIssue[]> {
  if (text.trim() === "") {
    return err([{ path: "", message: "the config file is empty; at least one [[srs]] server is required (see conf/siprec.toml)", severity: "error" }]);
  }
  let doc: unknown;
  try {
    doc = parseToml(text);
  } catch (e) {
    if (e instanceof TomlError) {
      const reason = e.message.split("\n")[0]?.replace(/^Invalid TOML document: /, "") ?? "syntax error";
      return err([{ path: "", message: `TOML syntax error: ${reason}`, severity: "error", line: e.line, column: e.column }]);
    }
    return err([{ path: "", message: `TOML syntax error: ${(e as Error).message}`, severity: "error" }]);
  }
  const r = parseConfigValue(doc);
  if (r.ok) return ok(r.value);
  const locate = keyIndex(text);
  const located = r.error.map((i) => {
    const at = locate(i.path);
    return at === undefined ? i : { ...i, line: at.line, column: at.column };
  });
  // In file order, so an operator fixes them top to bottom.
  return err(located.sort((a, b) => (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER)));
}
