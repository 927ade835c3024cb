/**
 * Id source port: every random value on the wire (SIP tags, branches,
 * Call-IDs, SSRCs, initial RTP sequence numbers and timestamps, metadata ids)
 * is drawn from here, so tests use fixed ids. The cryptographic
 * implementation is src/platform/crypto-ids.ts (layer 3).
 */
export interface IdSource {
  /** `n` uniformly random bytes. */
  bytes(n: number): Uint8Array;
  /** A random unsigned 32-bit integer. */
  uint32(): number;
}

const TOKEN_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

/** A lowercase alphanumeric token of `length` characters (SIP tags, Call-ID local parts). */
export function randomToken(ids: IdSource, length: number): string {
  const raw = ids.bytes(length);
  let out = "";
  for (const b of raw) out += TOKEN_ALPHABET[b % TOKEN_ALPHABET.length];
  return out;
}
