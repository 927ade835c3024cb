/**
 * A one-line progress bar with an estimate of the time left, for
 * `Io.status` on a terminal: `label [#######.......]  50%  0:05 left`.
 * The estimate extrapolates the rate so far (exact at a steady pace).
 */
export function progressLine(label: string, done: number, total: number, elapsedMs: number, width = 24): string {
  const f = total <= 0 ? 1 : Math.min(1, Math.max(0, done / total));
  const filled = Math.round(f * width);
  const bar = `[${"#".repeat(filled)}${".".repeat(width - filled)}]`;
  const pct = `${String(Math.floor(f * 100)).padStart(3)}%`;
  const left = f <= 0 ? "" : `  ${clock(((1 - f) / f) * elapsedMs)} left`;
  return `${label} ${bar} ${pct}${left}`;
}

/** m:ss, or h:mm:ss from an hour. */
export function clock(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const [h, m, sec] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  const two = (n: number): string => String(n).padStart(2, "0");
  return h > 0 ? `${h}:${two(m)}:${two(sec)}` : `${m}:${two(sec)}`;
}
