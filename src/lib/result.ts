/**
 * Result values: how codecs and loaders report failure on untrusted input
 * without throwing (ARCHITECTURE.md, "Codecs return a result value").
 */
export type Result<T, E> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };

export function ok<T>(value: T): { readonly ok: true; readonly value: T } {
  return { ok: true, value };
}

export function err<E>(error: E): { readonly ok: false; readonly error: E } {
  return { ok: false, error };
}
