/** Small statistics and printing helpers shared by the benches. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number;
}

export interface Figure {
  readonly bench: string;
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
  readonly note?: string;
}

export function printFigure(f: Figure): void {
  // A figure with no samples (an empty percentile) prints as "n/a", not as a crash of the whole bench.
  const v = typeof f.value !== "number" || Number.isNaN(f.value) ? "n/a" : Number.isInteger(f.value) ? String(f.value) : f.value.toFixed(2);
  console.log(`${f.bench.padEnd(14)} ${f.metric.padEnd(34)} ${v.padStart(10)} ${f.unit}${f.note === undefined ? "" : `   (${f.note})`}`);
}
