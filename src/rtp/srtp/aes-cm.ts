/**
 * AES in counter mode as SRTP uses it (RFC 3711 §4.1.1): keystream block j
 * is AES_k(IV + j). One ECB cipher per key is reused for every packet, and a
 * packet's counter blocks go through it in a single update call.
 *
 * Why node:crypto here: AES and HMAC-SHA1 are pure computations; keys stay
 * in this module and are never logged.
 */
import { type Cipheriv, createCipheriv } from "node:crypto";

export class AesCm {
  readonly #ecb: Cipheriv;
  #counters = new Uint8Array(16 * 64);

  constructor(key: Uint8Array) {
    this.#ecb = createCipheriv(`aes-${key.length * 8}-ecb`, key, null);
    this.#ecb.setAutoPadding(false);
  }

  /** `n` keystream bytes for the 16-byte IV (a view valid until the next call). */
  keystream(iv: Uint8Array, n: number): Uint8Array {
    const blocks = Math.ceil(n / 16);
    if (this.#counters.length < blocks * 16) this.#counters = new Uint8Array(blocks * 16);
    const c = this.#counters;
    for (let j = 0; j < blocks; j++) {
      c.set(iv, j * 16);
      // Add j to the low 16 bits (SRTP packets stay below 2^16 blocks).
      const lo = (((iv[14] as number) << 8) | (iv[15] as number)) + j;
      c[j * 16 + 14] = (lo >> 8) & 0xff;
      c[j * 16 + 15] = lo & 0xff;
      if (lo > 0xffff) {
        for (let k = 13; k >= 0; k--) {
          const v = ((c[j * 16 + k] as number) + 1) & 0xff;
          c[j * 16 + k] = v;
          if (v !== 0) break;
        }
      }
    }
    const ks = this.#ecb.update(c.subarray(0, blocks * 16));
    return new Uint8Array(ks.buffer, ks.byteOffset, n);
  }

  /** XORs the keystream into `data` in place (one ECB call per packet; measured faster than a CTR cipher per packet). */
  xorInPlace(iv: Uint8Array, data: Uint8Array): void {
    const ks = this.keystream(iv, data.length);
    for (let i = 0; i < data.length; i++) data[i] = (data[i] as number) ^ (ks[i] as number);
  }
}
