/**
 * Seeded mutation ("fuzz-lite", conventions.md §5.1): deterministic variants
 * of a real input with bytes deleted, inserted or cut out, for "the parser
 * returns an error and never throws" tests. The seed makes failures
 * replayable.
 */
export function* mutations<T>(
  base: readonly T[],
  opts: { seed: number; count: number; maxEdits?: number; maxCut?: number; insert: (r: number) => T },
): Generator<T[]> {
  let seed = opts.seed;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (let i = 0; i < opts.count; i++) {
    const b = [...base];
    for (let k = 0; k < 1 + rnd(opts.maxEdits ?? 6); k++) {
      const at = rnd(Math.max(1, b.length));
      const op = rnd(3);
      if (op === 0) b.splice(at, 1);
      else if (op === 1) b.splice(at, 0, opts.insert(rnd(256)));
      else b.splice(at, 1 + rnd(opts.maxCut ?? 20));
    }
    yield b;
  }
}

export function* textMutations(base: string, seed: number, count: number): Generator<string> {
  for (const m of mutations([...base], { seed, count, insert: (r) => String.fromCharCode(r) })) yield m.join("");
}

export function* byteMutations(base: Uint8Array, seed: number, count: number): Generator<Uint8Array> {
  for (const m of mutations([...base], { seed, count, insert: (r) => r })) yield Uint8Array.from(m);
}

/** A seeded uniform generator in [0, 1) (LCG), for damage placed at random but replayable. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}
