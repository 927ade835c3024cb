/**
 * Finds the line of a key path (`srs[1].transport`) in TOML source text, so
 * schema errors point at a line like syntax errors do. A line scanner, not a
 * parser: it follows `[table]` and `[[array]]` headers and `key = value`
 * lines (dotted and quoted keys included), which is how config files are
 * written. Returns undefined when it cannot tell.
 */

interface Located {
  readonly line: number;
  readonly column: number;
}

const HEADER = /^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$/;
const KEY_LINE = /^\s*((?:"[^"]*"|'[^']*'|[A-Za-z0-9_-]+)(?:\s*\.\s*(?:"[^"]*"|'[^']*'|[A-Za-z0-9_-]+))*)\s*=/;

function splitDotted(s: string): string[] {
  const out: string[] = [];
  const re = /\s*("([^"]*)"|'([^']*)'|[A-Za-z0-9_-]+)\s*(?:\.|$)/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null && m[0] !== "") out.push(m[2] ?? m[3] ?? m[1] ?? "");
  return out;
}

/** `srs[1].transport` → ["srs", 1, "transport"] */
export function parsePath(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    if (m[2] !== undefined) out.push(Number(m[2]));
    else if (m[1] !== undefined) out.push(m[1]);
  }
  return out;
}

function samePrefix(a: readonly (string | number)[], b: readonly (string | number)[]): boolean {
  if (a.length > b.length) return false;
  return a.every((x, i) => x === b[i]);
}

export function locateKey(text: string, path: string): Located | undefined {
  const target = parsePath(path);
  if (target.length === 0) return undefined;
  const counts = new Map<string, number>();
  let table: (string | number)[] = [];
  let tableLine: Located | undefined;
  let best: Located | undefined;
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const raw = lines[n] as string;
    const h = HEADER.exec(raw);
    if (h !== null) {
      const names = splitDotted(h[2] as string);
      if (h[1] === "[[") {
        const key = names.join(".");
        const idx = counts.get(key) ?? 0;
        counts.set(key, idx + 1);
        table = [...names, idx];
      } else table = names;
      tableLine = { line: n + 1, column: raw.indexOf("[") + 1 };
      if (samePrefix(table, target) && table.length === target.length) best = tableLine;
      continue;
    }
    const k = KEY_LINE.exec(raw);
    if (k === null) continue;
    const full = [...table, ...splitDotted(k[1] as string)];
    if (samePrefix(full, target)) return { line: n + 1, column: raw.search(/\S/) + 1 };
    // An issue about a table (missing key inside it) points at its header.
    if (best === undefined && tableLine !== undefined && samePrefix(table, target) && table.length > 0) best = tableLine;
  }
  return best;
}
