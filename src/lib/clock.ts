/**
 * Clock port. Engines get time only from here, so timer behaviour (SIP
 * retransmissions, RTP pacing, reconnect back-off) is tested with a manual
 * clock instead of real sleeps. The system implementation lives in
 * src/platform/system-clock.ts (layer 3).
 */
export type TimerId = number;

export interface Clock {
  /** Milliseconds on a monotonic timeline (not wall-clock). */
  now(): number;
  /** Milliseconds since the Unix epoch, for timestamps put on the wire or in logs. */
  wallNow(): number;
  setTimer(ms: number, fire: () => void): TimerId;
  clearTimer(id: TimerId): void;
}
