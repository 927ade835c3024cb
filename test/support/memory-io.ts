/** An Io for CLI tests: captured output, an in-memory file system, a manual clock. */
import type { Io } from "../../src/cli/io.ts";
import type { ConfigFs, FileStat } from "../../src/config/load.ts";
import { ManualClock } from "./manual-clock.ts";

/** A file, a directory, an unreadable path, or a large file that only has a size (never read). */
export type MemoryEntry = string | Uint8Array | { dir: true } | { error: string; code: string } | { size: number };

export class MemoryFs implements ConfigFs {
  readonly files = new Map<string, MemoryEntry>();

  constructor(entries: Record<string, MemoryEntry> = {}) {
    for (const [k, v] of Object.entries(entries)) this.files.set(k, v);
  }

  async stat(path: string): Promise<FileStat> {
    const e = this.files.get(path);
    if (e === undefined) return { kind: "missing" };
    if (typeof e === "string" || e instanceof Uint8Array) return { kind: "file", size: typeof e === "string" ? Buffer.byteLength(e) : e.byteLength };
    if ("dir" in e) return { kind: "directory" };
    if ("size" in e) return { kind: "file", size: e.size };
    return { kind: "error", reason: e.error };
  }

  async readFile(path: string): Promise<Uint8Array> {
    const e = this.files.get(path);
    if (typeof e === "string") return new TextEncoder().encode(e);
    if (e instanceof Uint8Array) return e;
    if (e !== undefined && "size" in e) throw new Error(`test bug: ${path} (${e.size} bytes) was read although its size is over every limit`);
    throw Object.assign(new Error(`cannot read ${path}`), { code: e !== undefined && "code" in e ? e.code : "ENOENT" });
  }
}

export interface MemoryIo extends Io {
  readonly stdout: string[];
  readonly stderr: string[];
  /** What `status()` drew, in order. */
  readonly statusLines: string[];
  readonly fs: MemoryFs;
  readonly clock: ManualClock;
  text(): string;
}

export function memoryIo(
  opts: { env?: Record<string, string>; files?: Record<string, MemoryEntry>; tty?: boolean; stdin?: string | Uint8Array } = {},
): MemoryIo {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const statusLines: string[] = [];
  return {
    stdout,
    stderr,
    statusLines,
    out: (t) => stdout.push(t),
    err: (t) => stderr.push(t),
    status: (t) => statusLines.push(t),
    env: opts.env ?? {},
    stdoutIsTTY: opts.tty ?? false,
    stderrIsTTY: opts.tty ?? false,
    fs: new MemoryFs(opts.files ?? {}),
    clock: new ManualClock(),
    readStdin: async (max) => {
      const all = typeof opts.stdin === "string" ? new TextEncoder().encode(opts.stdin) : (opts.stdin ?? new Uint8Array());
      return { bytes: all.subarray(0, max), truncated: all.length > max };
    },
    stopSignal: () => new Promise<string>(() => {}),
    onReload: () => {},
    text: () => [...stdout, ...stderr].join("\n"),
  };
}
