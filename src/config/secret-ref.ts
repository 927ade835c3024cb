/**
 * Secrets in the config file come in three spellings, at most one per key:
 *   password      = "inline value"
 *   password_env  = "SIPREC_ESL_PASSWORD"   (read from the environment)
 *   password_file = "/run/secrets/esl"       (read from a file, trailing newline dropped)
 * Parsing keeps a reference; config/secrets.ts turns references into Secret
 * values once env and files can be read.
 */
import { z } from "zod";
import { envName, filePath } from "./fields.ts";

export type SecretRef =
  | { readonly $secret: "inline"; readonly value: string }
  | { readonly $secret: "env"; readonly name: string }
  | { readonly $secret: "file"; readonly path: string };

export function isSecretRef(v: unknown): v is SecretRef {
  return typeof v === "object" && v !== null && "$secret" in v;
}

export function secretFields<P extends string>(prefix: P): Record<P | `${P}_env` | `${P}_file`, z.ZodOptional<z.ZodString>> {
  return {
    // An empty secret is no secret (an empty control token would let every request through).
    [prefix]: z.string().min(1, { message: "must not be empty (an empty secret is no secret)" }).max(65536).optional(),
    [`${prefix}_env`]: envName.optional(),
    [`${prefix}_file`]: filePath.optional(),
  } as Record<P | `${P}_env` | `${P}_file`, z.ZodOptional<z.ZodString>>;
}

type WithSecret<P extends string> = { [K in P | `${P}_env` | `${P}_file`]?: string | undefined };

/** Adds an issue when more than one spelling of `prefix` is set. */
export function checkExclusive<P extends string>(obj: WithSecret<P>, prefix: P, ctx: z.RefinementCtx): void {
  const set = [prefix, `${prefix}_env`, `${prefix}_file`].filter((k) => (obj as Record<string, unknown>)[k] !== undefined);
  if (set.length > 1) {
    ctx.addIssue({ code: "custom", path: [set[1] as string], message: `set only one of ${set.join(", ")}`, input: obj });
  }
}

/** The reference for `prefix`, or undefined when none of its spellings is set. */
export function secretRefOf<P extends string>(obj: WithSecret<P>, prefix: P): SecretRef | undefined {
  const o = obj as Record<string, string | undefined>;
  const inline = o[prefix];
  if (inline !== undefined) return { $secret: "inline", value: inline };
  const env = o[`${prefix}_env`];
  if (env !== undefined) return { $secret: "env", name: env };
  const file = o[`${prefix}_file`];
  if (file !== undefined) return { $secret: "file", path: file };
  return undefined;
}

/** Removes the three spellings of `prefix` from `obj`. */
export function withoutSecretKeys<T extends object, P extends string>(obj: T, prefix: P): Omit<T, P | `${P}_env` | `${P}_file`> {
  const copy = { ...obj } as Record<string, unknown>;
  delete copy[prefix];
  delete copy[`${prefix}_env`];
  delete copy[`${prefix}_file`];
  return copy as Omit<T, P | `${P}_env` | `${P}_file`>;
}
