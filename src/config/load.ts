/**
 * Finds, reads and checks the config file (layer 3: the one place config
 * touches the file system, through a small ConfigFs so tests can simulate
 * unreadable files even when running as root).
 *
 * Lookup order: --config, then $SIPREC_CONFIG, then /etc/siprec/siprec.toml,
 * then ./conf/siprec.toml. A path given explicitly (flag or env) must exist:
 * it never falls through to the defaults.
 */
import { readFile, stat } from "node:fs/promises";
import { type ConfigIssue, formatIssue } from "./issues.ts";
import { parseConfigText } from "./parse.ts";
import { configWarnings } from "./schema.ts";
import { type Config, resolveSecrets } from "./secrets.ts";
import { AppError } from "../lib/errors.ts";
import { type Result, err, ok } from "../lib/result.ts";

export const DEFAULT_CONFIG_PATHS = ["/etc/siprec/siprec.toml", "./conf/siprec.toml"] as const;
/** Config files and secret files are small; anything bigger is a mistake. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

export type FileStat =
  | { readonly kind: "file"; readonly size: number }
  | { readonly kind: "directory" | "other" }
  | { readonly kind: "missing" }
  | { readonly kind: "error"; readonly reason: string };

export interface ConfigFs {
  stat(path: string): Promise<FileStat>;
  readFile(path: string): Promise<Uint8Array>;
}

export type ConfigErrorCode = "CONFIG_NOT_FOUND" | "CONFIG_UNREADABLE" | "CONFIG_INVALID";

export class ConfigError extends AppError<ConfigErrorCode> {
  override readonly name = "ConfigError";
  constructor(
    code: ConfigErrorCode,
    readonly file: string | undefined,
    readonly issues: readonly ConfigIssue[],
  ) {
    super(code, issues.map((i) => formatIssue(i, file)).join("\n"));
  }
}

export interface LoadedConfig {
  readonly path: string;
  readonly config: Config;
  readonly warnings: readonly ConfigIssue[];
}

export interface LoadOptions {
  readonly explicitPath?: string | undefined;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly fs?: ConfigFs;
}

export const nodeConfigFs: ConfigFs = {
  async stat(path) {
    try {
      const s = await stat(path);
      if (s.isFile()) return { kind: "file", size: s.size };
      return { kind: s.isDirectory() ? "directory" : "other" };
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === "ENOENT") return { kind: "missing" };
      return { kind: "error", reason: fsReason(code, e) };
    }
  },
  async readFile(path) {
    return new Uint8Array(await readFile(path));
  },
};

function fsReason(code: string | undefined, e: unknown): string {
  switch (code) {
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "ENOTDIR":
      return "a parent of this path is not a directory";
    case "ELOOP":
      return "too many symbolic links";
    case "ENAMETOOLONG":
      return "path too long";
    default:
      return code ?? (e instanceof Error ? e.message : String(e));
  }
}

/** Reads a small text file with the checks every config input gets. */
export async function readTextFile(path: string, fs: ConfigFs, maxBytes = MAX_CONFIG_BYTES): Promise<Result<string, string>> {
  const s = await fs.stat(path);
  switch (s.kind) {
    case "missing":
      return err("no such file");
    case "directory":
      return err("is a directory, not a file");
    case "other":
      return err("is not a regular file");
    case "error":
      return err(s.reason);
    case "file":
      break;
  }
  if (s.size > maxBytes) return err(`file is ${s.size} bytes; the limit is ${maxBytes}`);
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(path);
  } catch (e) {
    return err(fsReason((e as { code?: string }).code, e));
  }
  if (bytes.byteLength > maxBytes) return err(`file is ${bytes.byteLength} bytes; the limit is ${maxBytes}`);
  const nul = bytes.indexOf(0);
  if (nul >= 0) return err(`not a text file (NUL byte at offset ${nul})`);
  try {
    return ok(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes));
  } catch {
    return err(`not a text file (invalid UTF-8 at byte ${firstInvalidUtf8(bytes)})`);
  }
}

/** Offset of the first byte that starts an invalid UTF-8 sequence (RFC 3629 §4). */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i] as number;
    const need = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (need < 0 || i + need >= b.length + (need === 0 ? 1 : 0)) return i;
    for (let k = 1; k <= need; k++) if (((b[i + k] as number) & 0xc0) !== 0x80) return i;
    // Overlong 3/4-byte forms, surrogates and code points above U+10FFFF.
    const c1 = b[i + 1] as number;
    if ((c === 0xe0 && c1 < 0xa0) || (c === 0xed && c1 > 0x9f) || (c === 0xf0 && c1 < 0x90) || (c === 0xf4 && c1 > 0x8f)) return i;
    i += need + 1;
  }
  return b.length;
}

export async function findConfigFile(opts: LoadOptions): Promise<Result<string, ConfigError>> {
  const fs = opts.fs ?? nodeConfigFs;
  const explicit = opts.explicitPath ?? opts.env["SIPREC_CONFIG"];
  if (explicit !== undefined && explicit !== "") return ok(explicit);
  for (const p of DEFAULT_CONFIG_PATHS) {
    if ((await fs.stat(p)).kind !== "missing") return ok(p);
  }
  return err(
    new ConfigError("CONFIG_NOT_FOUND", undefined, [
      { path: "", message: `no config file found (looked for --config, $SIPREC_CONFIG, ${DEFAULT_CONFIG_PATHS.join(", ")})`, severity: "error" },
    ]),
  );
}

export async function loadConfig(opts: LoadOptions): Promise<Result<LoadedConfig, ConfigError>> {
  const fs = opts.fs ?? nodeConfigFs;
  const found = await findConfigFile(opts);
  if (!found.ok) return found;
  const path = found.value;
  const text = await readTextFile(path, fs);
  if (!text.ok) {
    const code = text.error === "no such file" ? "CONFIG_NOT_FOUND" : "CONFIG_UNREADABLE";
    return err(new ConfigError(code, path, [{ path: "", message: `cannot read config file: ${text.error}`, severity: "error" }]));
  }
  const draft = parseConfigText(text.value);
  if (!draft.ok) return err(new ConfigError("CONFIG_INVALID", path, draft.error));
  const resolved = await resolveSecrets(draft.value, { env: opts.env, readText: (p) => readTextFile(p, fs) });
  if (!resolved.ok) return err(new ConfigError("CONFIG_INVALID", path, resolved.error));
  return ok({ path, config: resolved.value, warnings: configWarnings(draft.value) });
}
