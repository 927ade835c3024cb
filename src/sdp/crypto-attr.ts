/**
 * RFC 4568 SDES key parameters of an a=crypto line.
 *
 * RFC 4568 §9.1: key-param = key-method ":" key-info; key-method = "inline";
 * key-info = key-salt ["|" lifetime] ["|" mki ":" mki-length]
 * where key-salt is base64 of the concatenated master key and salt.
 */
import type { IdSource } from "../lib/ids.ts";
import { type Result, err, ok } from "../lib/result.ts";
import type { CryptoAttr } from "./types.ts";

export interface InlineKey {
  /** master key || master salt */
  readonly keySalt: Uint8Array;
  /** Packets (RFC 4568 §6.1: "2^n" or a decimal number). */
  readonly lifetime?: bigint;
  readonly mki?: { readonly value: number; readonly length: number };
}

export type CryptoSuite = "AES_CM_128_HMAC_SHA1_80" | "AES_CM_128_HMAC_SHA1_32" | "AEAD_AES_128_GCM";

/** Master key and salt lengths in bytes (RFC 4568 §6.2.1, §6.2.2; RFC 7714 §14.1: a 128-bit key and a 96-bit salt). */
export const SUITE_KEY_SALT_BYTES: Readonly<Record<CryptoSuite, { key: number; salt: number }>> = {
  AES_CM_128_HMAC_SHA1_80: { key: 16, salt: 14 },
  AES_CM_128_HMAC_SHA1_32: { key: 16, salt: 14 },
  AEAD_AES_128_GCM: { key: 16, salt: 12 },
};

export function isKnownSuite(s: string): s is CryptoSuite {
  return s in SUITE_KEY_SALT_BYTES;
}

function fromBase64(s: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(s) || s.length % 4 !== 0) return undefined;
  return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
}

function toBase64(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += String.fromCharCode(x);
  return btoa(s);
}

export function parseInlineKey(keyParam: string, suite: CryptoSuite): Result<InlineKey, string> {
  const m = /^inline:([^|]+)(?:\|(2\^\d{1,2}|\d{1,20}))?(?:\|(\d{1,10}):(\d{1,3}))?$/.exec(keyParam);
  if (m === null) return err(`expected "inline:<key||salt>[|lifetime][|mki:length]", got ${JSON.stringify(keyParam.slice(0, 80))}`);
  const keySalt = fromBase64(m[1] as string);
  const want = SUITE_KEY_SALT_BYTES[suite];
  if (keySalt === undefined) return err("the inline key is not valid base64");
  if (keySalt.length !== want.key + want.salt) return err(`${suite} needs a ${want.key + want.salt}-byte key||salt, got ${keySalt.length} bytes`);
  let lifetime: bigint | undefined;
  if (m[2] !== undefined) lifetime = m[2].startsWith("2^") ? 1n << BigInt(m[2].slice(2)) : BigInt(m[2]);
  // RFC 4568 §6.1: the MKI length is 1 to 128 bytes.
  const mkiLen = m[4] === undefined ? undefined : Number(m[4]);
  if (mkiLen !== undefined && (mkiLen < 1 || mkiLen > 128)) return err(`MKI length must be 1..128, got ${mkiLen}`);
  return ok({
    keySalt,
    ...(lifetime === undefined ? {} : { lifetime }),
    ...(mkiLen === undefined ? {} : { mki: { value: Number(m[3]), length: mkiLen } }),
  });
}

export function serializeInlineKey(k: InlineKey): string {
  let out = `inline:${toBase64(k.keySalt)}`;
  if (k.lifetime !== undefined) {
    const pow = k.lifetime > 0n && (k.lifetime & (k.lifetime - 1n)) === 0n ? k.lifetime.toString(2).length - 1 : -1;
    out += pow >= 0 ? `|2^${pow}` : `|${k.lifetime}`;
  }
  if (k.mki !== undefined) out += `|${k.mki.value}:${k.mki.length}`;
  return out;
}

/**
 * A fresh SDES key for an offer (RFC 4568 §6.1): random master key and salt
 * from the id source, never derived from the recorded call's own keys.
 */
export function newCryptoAttr(tag: number, suite: CryptoSuite, ids: IdSource): { attr: CryptoAttr; keySalt: Uint8Array } {
  const sizes = SUITE_KEY_SALT_BYTES[suite];
  const keySalt = ids.bytes(sizes.key + sizes.salt);
  return { attr: { tag, suite, keyParams: serializeInlineKey({ keySalt }) }, keySalt };
}

/** Splits key||salt into the SRTP master key and salt. */
export function splitKeySalt(suite: CryptoSuite, keySalt: Uint8Array): { masterKey: Uint8Array; masterSalt: Uint8Array } {
  const k = SUITE_KEY_SALT_BYTES[suite].key;
  return { masterKey: keySalt.slice(0, k), masterSalt: keySalt.slice(k) };
}
