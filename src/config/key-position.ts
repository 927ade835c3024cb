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

/**
 * One pass over the text: where each key and each table header is. Lookups
 * are then a few map reads, so locating N issues is linear in the file plus
 * N (a file with thousands of problems used to be scanned once per problem).
 */
export function keyIndex(text: string): (path: string) => Located | undefined {
  const keys = new Map<string, Located>();
  const tables = new Map<string, Located>();
  const counts = new Map<string, number>();
  let table: (string | number)[] = [];
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
      const at = { line: n + 1, column: raw.indexOf("[") + 1 };
      if (!tables.has(pathKey(table))) tables.set(pathKey(table), at);
      continue;
    }
    const k = KEY_LINE.exec(raw);
    if (k === null) continue;
    const full = pathKey([...table, ...splitDotted(k[1] as string)]);
    if (!keys.has(full)) keys.set(full, { line: n + 1, column: raw.search(/\S/) + 1 });
  }
  return (path) => {
    const target = parsePath(path);
    if (target.length === 0) return undefined;
    // The key itself or a key holding it (an inline table); else the innermost table it is in (a missing key).
    for (let len = target.length; len > 0; len--) {
      const at = keys.get(pathKey(target.slice(0, len)));
      if (at !== undefined) return at;
    }
    for (let len = target.length; len > 0; len--) {
      const at = tables.get(pathKey(target.slice(0, len)));
      if (at !== undefined) return at;
    }
    return undefined;
  };
}

function pathKey(p: readonly (string | number)[]): string {
  return JSON.stringify(p);
}

export function locateKey(text: string, path: string): Located | undefined {
  return keyIndex(text)(path);
}
