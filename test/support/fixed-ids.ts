/** A deterministic IdSource: a counter-driven byte stream, so ids are stable across runs. */
import type { IdSource } from "../../src/lib/ids.ts";

export class FixedIds implements IdSource {
  #counter: number;

  constructor(seed = 1) {
    this.#counter = seed;
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      // xorshift-ish mixing of a counter: deterministic, not constant.
      let x = (this.#counter++ * 2654435761) >>> 0;
      x ^= x >>> 16;
      out[i] = x & 0xff;
    }
    return out;
  }

  uint32(): number {
    const b = this.bytes(4);
    return (((b[0] as number) << 24) | ((b[1] as number) << 16) | ((b[2] as number) << 8) | (b[3] as number)) >>> 0;
  }
}
