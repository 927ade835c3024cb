/** The real Clock: performance.now() for the monotonic timeline, setTimeout for timers. */
import type { Clock, TimerId } from "../lib/clock.ts";

export const systemClock: Clock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
  setTimer(ms: number, fire: () => void): TimerId {
    return setTimeout(fire, Math.max(0, ms)) as unknown as TimerId;
  },
  clearTimer(id: TimerId): void {
    clearTimeout(id as unknown as ReturnType<typeof setTimeout>);
  },
};
