/**
 * The effective config (defaults filled in) as TOML, with every secret shown
 * as "[redacted]" plus where it came from. Pure.
 */
import { stringify } from "smol-toml";
import type { Config } from "./secrets.ts";
import { REDACTED, Secret } from "../lib/secret.ts";

function redactTree(v: unknown): unknown {
  if (v instanceof Secret) return `${REDACTED} (${v.source})`;
  if (Array.isArray(v)) return v.map(redactTree);
  if (typeof v === "object" && v !== null && !(v instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = redactTree(x);
    return out;
  }
  return v;
}

export function printConfig(c: Config): string {
  return stringify(redactTree(c) as Record<string, unknown>);
}
