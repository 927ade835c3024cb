/**
 * A secret value (ESL password, digest password, TLS private key, API token).
 *
 * The value is held in a private field and every way a value is usually turned
 * into text (String(), template literals, JSON.stringify, Bun/Node inspect)
 * yields "[redacted]". Only `reveal()` hands out the clear text, so a secret
 * can only leak through a call that names it.
 */
const INSPECT = Symbol.for("nodejs.util.inspect.custom");

export const REDACTED = "[redacted]";

export class Secret {
  readonly #value: string;
  /** Where the value came from, safe to print: "inline", "env:NAME", "file:/path". */
  readonly source: string;

  constructor(value: string, source: string) {
    this.#value = value;
    this.source = source;
  }

  reveal(): string {
    return this.#value;
  }

  get isEmpty(): boolean {
    return this.#value.length === 0;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [INSPECT](): string {
    return `Secret(${REDACTED}, ${this.source})`;
  }
}

export function isSecret(v: unknown): v is Secret {
  return v instanceof Secret;
}

/** Compares two strings in time that depends only on their lengths (tokens, passwords). */
export function timingSafeEqualText(a: string, b: string): boolean {
  const len = Math.max(a.length, b.length);
  let diff = a.length ^ b.length;
  for (let i = 0; i < len; i++) diff |= (a.charCodeAt(i) || 0) ^ (b.charCodeAt(i) || 0);
  return diff === 0;
}
