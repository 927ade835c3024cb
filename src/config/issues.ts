/**
 * Config problems as operators read them: a key path in TOML terms
 * (`srs[1].transport`), what was expected and what was found, and where
 * known the line and column in the file.
 */
import type { z } from "zod";

export interface ConfigIssue {
  /** `srs[1].transport`; "" for the document itself. */
  readonly path: string;
  readonly message: string;
  readonly severity: "error" | "warning";
  readonly line?: number;
  readonly column?: number;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out === "" ? String(seg) : `.${String(seg)}`;
  }
  return out;
}

export function formatIssue(i: ConfigIssue, file?: string): string {
  const where = i.line === undefined ? (file ?? "") : `${file ?? ""}:${i.line}${i.column === undefined ? "" : `:${i.column}`}`;
  const prefix = where === "" ? "" : `${where}: `;
  const sev = i.severity === "warning" ? "warning: " : "";
  const key = i.path === "" ? "" : `${i.path}: `;
  return `${prefix}${sev}${key}${i.message}`;
}

/** What a TOML value looks like, for "got ..." in messages. */
export function describeValue(v: unknown): string {
  if (v === undefined) return "nothing";
  if (typeof v === "string") return JSON.stringify(v.length > 80 ? `${v.slice(0, 77)}...` : v);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return "an array";
  if (v instanceof Date) return "a date";
  return "a table";
}

function typeName(expected: string): string {
  switch (expected) {
    case "int":
      return "an integer";
    case "number":
      return "a number";
    case "string":
      return "a string";
    case "boolean":
      return "true or false";
    case "array":
      return "an array";
    case "object":
      return "a table";
    default:
      return expected;
  }
}

type ZodIssue = z.core.$ZodIssue;

export function issuesFromZod(raw: readonly ZodIssue[], knownKeys: ReadonlySet<string> = new Set()): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const i of raw) {
    if (i.code === "unrecognized_keys") {
      for (const key of i.keys) {
        const hint = suggest(key, knownKeys);
        out.push({ path: formatPath([...i.path, key]), message: `unknown key${hint === undefined ? "" : ` (did you mean "${hint}"?)`}`, severity: "error" });
      }
      continue;
    }
    out.push({ path: formatPath(i.path), message: messageOf(i), severity: "error" });
  }
  return out;
}

/** zod's own messages start like this; anything else was written in our schema. */
const DEFAULT_MESSAGE = /^(Invalid|Too (small|big)|Unrecognized)/;

function messageOf(i: ZodIssue): string {
  const input = (i as { input?: unknown }).input;
  if (!DEFAULT_MESSAGE.test(i.message)) {
    return i.code === "invalid_format" && input !== undefined ? `${i.message}, got ${describeValue(input)}` : i.message;
  }
  switch (i.code) {
    case "invalid_value":
      return `expected one of ${i.values.map((v) => String(v)).join("|")}, got ${describeValue(input)}`;
    case "invalid_type":
      if (input === undefined) return "required key is missing";
      return `expected ${typeName(i.expected)}, got ${describeValue(input)}`;
    case "too_small":
      if (i.origin === "array") return `needs at least ${String(i.minimum)} entr${i.minimum === 1 ? "y" : "ies"}`;
      if (i.origin === "string") return `must not be empty`;
      return `must be ${i.inclusive === false ? ">" : ">="} ${String(i.minimum)}, got ${describeValue(input)}`;
    case "too_big":
      if (i.origin === "array") return `allows at most ${String(i.maximum)} entries`;
      if (i.origin === "string") return `is longer than ${String(i.maximum)} characters`;
      return `must be ${i.inclusive === false ? "<" : "<="} ${String(i.maximum)}, got ${describeValue(input)}`;
    case "invalid_union": {
      const u = i as { discriminator?: string; options?: unknown[] };
      if (u.discriminator !== undefined) {
        const got = typeof input === "object" && input !== null ? (input as Record<string, unknown>)[u.discriminator] : undefined;
        const choices = (u.options ?? []).map(String).join("|");
        return got === undefined ? `required key is missing (one of ${choices})` : `expected one of ${choices}, got ${describeValue(got)}`;
      }
      return `${i.message}, got ${describeValue(input)}`;
    }
    default:
      return i.message;
  }
}

/** The closest known key within edit distance 2, for typos. */
export function suggest(key: string, known: ReadonlySet<string>): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const k of known) {
    const d = editDistance(key.toLowerCase(), k);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 99;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
    }
    prev = cur;
  }
  return prev[b.length] as number;
}
