/**
 * Reads the import graph of src/ and checks it against ARCHITECTURE.md's
 * layer table: imports point down (or sideways within a layer), no cycles,
 * and lower layers use no process/timer/randomness/runtime APIs.
 */
import { dirname, join, normalize, relative } from "node:path";

export type Layer = 0 | 1 | 2 | 3 | 4;

/** First match wins. Paths are relative to the repository root. */
export const LAYER_RULES: readonly [RegExp, Layer][] = [
  [/^src\/main\.ts$/, 4],
  [/^src\/(cli|daemon)\//, 4],
  [/^src\/platform\//, 3],
  [/^src\/config\/(load|srs-target)\.ts$/, 3],
  /** The SIP stack on real sockets, and the apps' wiring of an engine to real sockets and files (open-*.ts). */
  [/^src\/sip\/stack\.ts$/, 3],
  [/^src\/[a-z-]+\/open-[a-z-]+\.ts$/, 3],
  [/^src\/[a-z-]+\/(udp|tcp|tls|http|file|dns)-[a-z-]+\.ts$/, 3],
  [/^src\/[a-z-]+\/[a-z-]+\/(udp|tcp|tls|http|file)-[a-z-]+\.ts$/, 3],
  [/^src\/sip\/(transaction|dialog|ua)\//, 2],
  [/^src\/sip\/transport\.ts$/, 2],
  [/^src\/sip\/auth\//, 1],
  [/^src\/esl\/client(\/|\.ts$)/, 2],
  [/^src\/rtp\/(forker|frame-pacer|dtmf|rtcp-reporter|rtcp-receiver|port-allocator)\.ts$/, 2],
  [/^src\/siprec\/session\//, 2],
  /** The apps' engines: the reference SRS, replay, test-call (their CLI commands only parse, print and exit). */
  [/^src\/(srs|replay|test-call)\//, 2],
  [/^src\/validate\//, 2],
  /** The daemon's per-call logic (triggers, call table, tap legs): engines fed by ESL events. */
  [/^src\/recorder\//, 2],
  [/^src\/(sip\/message|sdp|siprec|rtp|esl|pcap|config|media)\//, 1],
  [/^src\/lib\//, 0],
];

export function layerOf(file: string): Layer | undefined {
  for (const [re, layer] of LAYER_RULES) if (re.test(file)) return layer;
  return undefined;
}

interface Banned {
  readonly re: RegExp;
  readonly what: string;
  readonly maxLayer: Layer;
  readonly except?: RegExp;
}

/** APIs a layer must not use (the layer and every layer below it). */
export const BANNED: readonly Banned[] = [
  { re: /\bprocess\s*\.\s*(exit|argv|env|on|once|stdout|stderr|stdin)\b/, what: "process (argv/env/exit/streams)", maxLayer: 3 },
  { re: /\bBun\s*\.(?!\s*CryptoHasher\b)/, what: "Bun APIs", maxLayer: 2 },
  {
    re: /\bBun\s*\.\s*CryptoHasher\b/,
    what: "Bun.CryptoHasher (only rtp/srtp and sip/auth may compute with it)",
    maxLayer: 2,
    except: /^src\/(rtp\/srtp|sip\/auth)\//,
  },
  { re: /\b(setTimeout|setInterval|setImmediate|queueMicrotask)\s*\(/, what: "timers (use the injected Clock)", maxLayer: 2 },
  { re: /\b(Date\.now|performance\.now)\s*\(|\bnew Date\(\s*\)/, what: "the wall clock (use the injected Clock)", maxLayer: 2 },
  { re: /\bMath\.random\s*\(|\bcrypto\.(getRandomValues|randomUUID)\s*\(/, what: "randomness (use the injected IdSource)", maxLayer: 2 },
  { re: /\bconsole\s*\./, what: "console (use the injected Logger)", maxLayer: 3 },
  { re: /from\s+["']node:(?!crypto["'])[a-z_/]+["']|from\s+["'](fs|net|dgram|tls|child_process|os)["']/, what: "node I/O modules", maxLayer: 2 },
  {
    re: /from\s+["']node:crypto["']/,
    what: "node:crypto (only rtp/srtp and sip/auth may compute with it)",
    maxLayer: 2,
    except: /^src\/(rtp\/srtp|sip\/auth)\//,
  },
];

export interface SourceFile {
  readonly path: string;
  readonly text: string;
}

export interface Violation {
  readonly file: string;
  readonly message: string;
}

/** Source without comments, so prose that names an API is not a use of it. */
export function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
}

export function importsOf(file: SourceFile): string[] {
  const out: string[] = [];
  const code = stripComments(file.text);
  for (const m of code.matchAll(
    /(?:^|\s)(?:import|export)\s[^;]*?from\s+["']([^"']+)["']|import\s*\(\s*["']([^"']+)["']\s*\)|^\s*import\s+["']([^"']+)["']/gm,
  )) {
    out.push((m[1] ?? m[2] ?? m[3]) as string);
  }
  return out;
}

/** Edges forbidden whatever the layers say: the daemon is an app beside the CLI, not on it. */
export const FORBIDDEN_EDGES: readonly { readonly from: RegExp; readonly to: RegExp; readonly why: string }[] = [
  { from: /^src\/daemon\//, to: /^src\/cli\//, why: "the daemon imports the CLI (share it below both: src/platform, src/config, src/sip)" },
];

export function checkArchitecture(files: readonly SourceFile[]): Violation[] {
  const violations: Violation[] = [];
  const known = new Set(files.map((f) => f.path));
  const edges = new Map<string, string[]>();
  for (const f of files) {
    const from = layerOf(f.path);
    if (from === undefined) {
      violations.push({ file: f.path, message: "not mapped to a layer (add it to LAYER_RULES in test/support/import-graph.ts)" });
      continue;
    }
    const targets: string[] = [];
    for (const spec of importsOf(f)) {
      if (!spec.startsWith(".")) {
        if (from === 0) violations.push({ file: f.path, message: `layer 0 imports package "${spec}"` });
        continue;
      }
      const target = normalize(join(dirname(f.path), spec));
      // Embedded assets (package.json, the RFC 7865 schema) are data, not code.
      if (!target.endsWith(".ts")) continue;
      if (!known.has(target)) {
        violations.push({ file: f.path, message: `imports ${spec}, which is not a source file under src/` });
        continue;
      }
      targets.push(target);
      const to = layerOf(target);
      if (to !== undefined && to > from) violations.push({ file: f.path, message: `layer ${from} imports layer ${to}: ${target}` });
      for (const e of FORBIDDEN_EDGES) if (e.from.test(f.path) && e.to.test(target)) violations.push({ file: f.path, message: `${e.why}: ${target}` });
    }
    edges.set(f.path, targets);
    const code = stripComments(f.text);
    for (const b of BANNED) {
      if (from <= b.maxLayer && b.re.test(code) && !(b.except?.test(f.path) ?? false))
        violations.push({ file: f.path, message: `layer ${from} uses ${b.what}` });
    }
  }
  for (const cycle of findCycles(edges)) violations.push({ file: cycle[0] as string, message: `import cycle: ${cycle.join(" -> ")}` });
  return violations;
}

export function findCycles(edges: ReadonlyMap<string, readonly string[]>): string[][] {
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (n: string): void => {
    state.set(n, "visiting");
    stack.push(n);
    for (const m of edges.get(n) ?? []) {
      const s = state.get(m);
      if (s === "visiting") cycles.push([...stack.slice(stack.indexOf(m)), m]);
      else if (s === undefined) visit(m);
    }
    stack.pop();
    state.set(n, "done");
  };
  for (const n of [...edges.keys()].sort()) if (!state.has(n)) visit(n);
  return cycles;
}

export function toRepoPath(root: string, abs: string): string {
  return relative(root, abs).split("\\").join("/");
}
