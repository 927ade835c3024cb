/**
 * Turns the secret references of a parsed config into Secret values, reading
 * environment variables and files through injected sources. Every problem is
 * reported with the key path the operator wrote (`freeswitch.password_env`).
 */
import type { ConfigIssue } from "./issues.ts";
import { formatPath } from "./issues.ts";
import { type SecretRef, isSecretRef } from "./secret-ref.ts";
import type { ConfigDraft } from "./schema.ts";
import { type Result, err, ok } from "../lib/result.ts";
import { Secret } from "../lib/secret.ts";

/** T with every SecretRef replaced by a Secret, deeply readonly. */
export type Resolved<T> = T extends SecretRef
  ? Secret
  : T extends readonly (infer U)[]
    ? readonly Resolved<U>[]
    : T extends object
      ? { readonly [K in keyof T]: Resolved<T[K]> }
      : T;

export type Config = Resolved<ConfigDraft>;

export interface SecretSources {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Reads a whole text file; the error is a short reason ("not found"). */
  readText(path: string): Promise<Result<string, string>>;
}

export async function resolveSecrets(draft: ConfigDraft, sources: SecretSources): Promise<Result<Config, ConfigIssue[]>> {
  const issues: ConfigIssue[] = [];
  const value = await walk(draft, [], sources, issues);
  if (issues.length > 0) return err(issues);
  return ok(deepFreeze(value) as Config);
}

async function walk(v: unknown, path: (string | number)[], src: SecretSources, issues: ConfigIssue[]): Promise<unknown> {
  if (isSecretRef(v)) return resolveOne(v, path, src, issues);
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    for (let i = 0; i < v.length; i++) out.push(await walk(v[i], [...path, i], src, issues));
    return out;
  }
  if (typeof v === "object" && v !== null && !(v instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = await walk(x, [...path, k], src, issues);
    return out;
  }
  return v;
}

async function resolveOne(ref: SecretRef, path: (string | number)[], src: SecretSources, issues: ConfigIssue[]): Promise<Secret | undefined> {
  const last = String(path[path.length - 1]);
  const at = (suffix: string): string => formatPath([...path.slice(0, -1), `${last}${suffix}`]);
  switch (ref.$secret) {
    case "inline":
      return new Secret(ref.value, "inline");
    case "env": {
      const value = src.env[ref.name];
      if (value === undefined) {
        issues.push({ path: at("_env"), message: `environment variable ${ref.name} is not set`, severity: "error" });
        return undefined;
      }
      if (value === "") issues.push({ path: at("_env"), message: `environment variable ${ref.name} is empty`, severity: "error" });
      return new Secret(value, `env:${ref.name}`);
    }
    case "file": {
      const r = await src.readText(ref.path);
      if (!r.ok) {
        issues.push({ path: at("_file"), message: `cannot read ${JSON.stringify(ref.path)}: ${r.error}`, severity: "error" });
        return undefined;
      }
      // Files written with `echo` end in a newline that is not part of the secret.
      const value = r.value.replace(/\r?\n$/, "");
      if (value === "") issues.push({ path: at("_file"), message: `${JSON.stringify(ref.path)} is empty`, severity: "error" });
      return new Secret(value, `file:${ref.path}`);
    }
  }
}

function deepFreeze<T>(v: T): T {
  if (typeof v === "object" && v !== null && !(v instanceof Secret) && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

/** Clear-text values of every secret in a config, for the log scrubber. */
export function secretValues(c: Config): string[] {
  const out: string[] = [];
  const visit = (v: unknown): void => {
    if (v instanceof Secret) out.push(v.reveal());
    else if (typeof v === "object" && v !== null) for (const x of Object.values(v)) visit(x);
  };
  visit(c);
  return out;
}
