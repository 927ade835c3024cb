/** The real IdSource: Web Crypto's CSPRNG (SSRCs and SRTP-adjacent values must be unpredictable). */
import type { IdSource } from "../lib/ids.ts";

export const cryptoIds: IdSource = {
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    crypto.getRandomValues(out);
    return out;
  },
  uint32(): number {
    return crypto.getRandomValues(new Uint32Array(1))[0] as number;
  },
};
