/**
 * Validation results as text (one line per finding, compiler style), JSON
 * or JUnit XML (one <testcase> per input, one <failure> per error) for CI.
 */
import { type Finding, RULES } from "./rules.ts";

export interface FileResult {
  readonly file: string;
  readonly findings: readonly Finding[];
  /** Set when the input could not be read at all (usage/IO error). */
  readonly readError?: string;
}

export function withStrict(f: Finding, strict: boolean): Finding {
  return strict && f.severity === "warning" ? { ...f, severity: "error" } : f;
}

export function countBy(results: readonly FileResult[]): { errors: number; warnings: number } {
  let errors = 0;
  let warnings = 0;
  for (const r of results) for (const f of r.findings) f.severity === "error" ? errors++ : warnings++;
  return { errors, warnings };
}

function where(f: Finding): string {
  return `${f.file}${f.line === undefined ? "" : `:${f.line}${f.column === undefined ? "" : `:${f.column}`}`}`;
}

export function formatText(results: readonly FileResult[]): string[] {
  const lines: string[] = [];
  for (const r of results) {
    if (r.readError !== undefined) lines.push(`${r.file}: cannot read: ${r.readError}`);
    for (const f of r.findings) lines.push(`${where(f)}: ${f.severity} [${f.rule}] ${f.message} (${RULES[f.rule].rfc})`);
  }
  const { errors, warnings } = countBy(results);
  const valid = results.filter((r) => r.readError === undefined && r.findings.every((f) => f.severity !== "error")).length;
  const unreadable = results.filter((r) => r.readError !== undefined).length;
  lines.push(
    `${results.length} input${results.length === 1 ? "" : "s"}: ${valid} valid, ${errors} error${errors === 1 ? "" : "s"}, ${warnings} warning${warnings === 1 ? "" : "s"}${unreadable === 0 ? "" : `, ${unreadable} unreadable`}`,
  );
  return lines;
}

export function formatJson(results: readonly FileResult[]): string {
  const { errors, warnings } = countBy(results);
  return JSON.stringify({
    valid: errors === 0 && results.every((r) => r.readError === undefined),
    errors,
    warnings,
    files: results.map((r) => ({
      file: r.file,
      valid: r.readError === undefined && r.findings.every((f) => f.severity !== "error"),
      ...(r.readError === undefined ? {} : { readError: r.readError }),
      findings: r.findings.map((f) => ({
        ...f,
        rfc: RULES[f.rule].rfc,
        ...("checklist" in RULES[f.rule] ? { checklist: (RULES[f.rule] as { checklist: string }).checklist } : {}),
      })),
    })),
  });
}

function esc(s: string): string {
  return s
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, "\uFFFD")
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}

export function formatJunit(results: readonly FileResult[], durationMs = 0): string {
  const failures = results.filter((r) => r.readError === undefined && r.findings.some((f) => f.severity === "error")).length;
  const errored = results.filter((r) => r.readError !== undefined).length;
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="siprec validate" tests="${results.length}" failures="${failures}" errors="${errored}" time="${(durationMs / 1000).toFixed(3)}">`,
    `  <testsuite name="siprec validate" tests="${results.length}" failures="${failures}" errors="${errored}" skipped="0" time="${(durationMs / 1000).toFixed(3)}">`,
  ];
  for (const r of results) {
    out.push(`    <testcase classname="siprec.validate" name="${esc(r.file)}" file="${esc(r.file)}">`);
    const errs = r.findings.filter((f) => f.severity === "error");
    if (r.readError !== undefined) out.push(`      <error message="${esc(r.readError)}" type="read"/>`);
    for (const f of errs)
      out.push(`      <failure message="${esc(f.message)}" type="${f.rule}">${esc(`${where(f)} [${f.rule}] ${RULES[f.rule].rfc}`)}</failure>`);
    const warns = r.findings.filter((f) => f.severity === "warning");
    if (warns.length > 0) out.push(`      <system-out>${esc(warns.map((f) => `${where(f)}: warning [${f.rule}] ${f.message}`).join("\n"))}</system-out>`);
    out.push("    </testcase>");
  }
  out.push("  </testsuite>", "</testsuites>");
  return out.join("\n");
}
