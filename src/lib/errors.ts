/**
 * Typed errors. Every failure that crosses a module boundary is an AppError
 * with a code drawn from a closed string union, so the CLI can map it to an
 * exit code in one table and logs carry a stable `code` field.
 */
export class AppError<C extends string = string> extends Error {
  override readonly name: string = "AppError";
  readonly code: C;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: C, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = Object.freeze({ ...(options.details ?? {}) });
  }
}

/** Exhaustiveness guard for switch statements over unions. */
export function assertNever(value: never, what = "value"): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}

/** Best-effort message of anything thrown, for places that must not throw themselves. */
export function describeError(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
