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

/** 16 random bytes with the RFC 4122 §4.4 version-4 and variant bits set. */
export function uuidV4Bytes(ids: IdSource): Uint8Array {
  const b = ids.bytes(16);
  b[6] = ((b[6] as number) & 0x0f) | 0x40;
  b[8] = ((b[8] as number) & 0x3f) | 0x80;
  return b;
}

/** A version-4 UUID in its 8-4-4-4-12 text form (ESL Job-UUIDs, origination uuids). */
export function uuidV4(ids: IdSource): string {
  const hex = Array.from(uuidV4Bytes(ids), (x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
