/**
 * SRTP key derivation (RFC 3711 §4.3). With key_derivation_rate 0:
 *
 *   key_id = <label> || r      (r = 0)
 *   x      = key_id XOR master_salt
 *   session key = AES-CM(master_key, IV = x * 2^16), truncated
 *
 * Labels 0/1/2 give the SRTP encryption key, authentication key and salt;
 * 3/4/5 the same for SRTCP (§4.3.2).
 */
import { AesCm } from "./aes-cm.ts";
import { SUITES, type SrtpSuite } from "./profiles.ts";

export interface SessionKeys {
  readonly enc: Uint8Array;
  readonly auth: Uint8Array;
  readonly salt: Uint8Array;
}

export const AUTH_KEY_LENGTH = 20;

export function deriveKey(prf: AesCm, masterSalt: Uint8Array, label: number, length: number): Uint8Array {
  const iv = new Uint8Array(16);
  iv.set(masterSalt, 0);
  // key_id is 56 bits (label || 48-bit r) aligned to the right of the 112-bit salt: the label sits at byte 7.
  iv[7] = (iv[7] as number) ^ label;
  return prf.keystream(iv, length).slice();
}

export function deriveSessionKeys(suite: SrtpSuite, masterKey: Uint8Array, masterSalt: Uint8Array): { rtp: SessionKeys; rtcp: SessionKeys } {
  const p = SUITES[suite];
  if (masterKey.length !== p.keyLength || masterSalt.length !== p.saltLength)
    throw new Error(`${suite} needs a ${p.keyLength}-byte master key and a ${p.saltLength}-byte salt`);
  const prf = new AesCm(masterKey);
  // RFC 7714 §11 (erratum 4938): the 96-bit AEAD master salt "must be multiplied by 2^16" to form the
  // 112-bit KDF salt, i.e. it fills the first 12 of the 14 octets, as deriveKey places any salt.
  const set = (base: number): SessionKeys => ({
    enc: deriveKey(prf, masterSalt, base, p.keyLength),
    auth: p.aead ? new Uint8Array(0) : deriveKey(prf, masterSalt, base + 1, AUTH_KEY_LENGTH),
    salt: deriveKey(prf, masterSalt, base + 2, p.saltLength),
  });
  return { rtp: set(0), rtcp: set(3) };
}
