/**
 * Exponential back-off, one rule for every retry: ESL reconnects, tap-leg
 * restores, resume re-INVITEs. Attempt 0 waits `initialMs`, each next one
 * twice as long, capped at `maxMs`; with `jitter` (a draw in [0, 1)) the
 * wait is 80–100 % of the step, so many clients do not retry in lock-step.
 */
export interface Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
}

export function backoffMs(b: Backoff, attempt: number, jitter?: number): number {
  const step = Math.min(b.maxMs, b.initialMs * 2 ** Math.min(Math.max(0, attempt), 30));
  return jitter === undefined ? step : Math.round(step * (0.8 + 0.2 * jitter));
}
