/**
 * RFC 3261 Table 4 timer values and the effects every transaction FSM emits.
 *
 *   T1 500 ms (RTT estimate), T2 4 s (max retransmit interval for non-INVITE
 *   requests and INVITE responses), T4 5 s (max time a message stays in the
 *   network). Timer B/F/H/J/L/M = 64*T1. On reliable transports the
 *   "wait for retransmissions" timers (D, I, J, K) are zero.
 */
import type { SipRequest, SipResponse } from "../message/types.ts";

export interface TimerConfig {
  readonly t1: number;
  readonly t2: number;
  readonly t4: number;
}

export const DEFAULT_TIMERS: TimerConfig = { t1: 500, t2: 4000, t4: 5000 };

export type TimerName = "A" | "B" | "D" | "E" | "F" | "G" | "H" | "I" | "J" | "K" | "L" | "M";

export type Effect =
  | { readonly kind: "send"; readonly msg: SipRequest | SipResponse }
  | { readonly kind: "startTimer"; readonly timer: TimerName; readonly ms: number }
  | { readonly kind: "cancelTimer"; readonly timer: TimerName }
  | { readonly kind: "passUp"; readonly msg: SipRequest | SipResponse }
  /** Timer B/F (client) or H (server) fired: RFC 3261 §8.1.3.1 maps this to 408 for the TU. */
  | { readonly kind: "timeout" }
  /** RFC 3261 §8.1.3.1: a transport failure is reported to the TU as 503. */
  | { readonly kind: "transportError" }
  | { readonly kind: "terminated" };

export const start = (timer: TimerName, ms: number): Effect => ({ kind: "startTimer", timer, ms });
export const cancel = (timer: TimerName): Effect => ({ kind: "cancelTimer", timer });
export const TERMINATED: Effect = { kind: "terminated" };

/** A transition result; illegal inputs in a state are ignored (absorbed), never thrown. */
export interface Step<S> {
  readonly state: S;
  readonly effects: readonly Effect[];
}
