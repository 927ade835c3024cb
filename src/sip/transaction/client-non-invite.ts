/**
 * Non-INVITE client transaction (RFC 3261 §17.1.2).
 *
 *                    |Request from TU, request sent
 *  Timer E           V
 *  send request +-----------+
 *      +--------|  Trying   |-------------+  Timer F or transport error
 *      +------->|           |             |  inform TU
 *               +-----------+             |
 *   200-699 |        |1xx                 |
 *   resp to TU       V                    |
 *      |        Proceeding (Timer E at T2) |
 *      V             | 200-699            V
 *   Completed <------+                Terminated
 *   (Timer K: T4 unreliable, 0 reliable) --> Terminated
 */
import type { SipRequest, SipResponse } from "../message/types.ts";
import { TERMINATED, type Effect, type Step, type TimerConfig, cancel, start } from "./timers.ts";

export type ClientNonInviteName = "trying" | "proceeding" | "completed" | "terminated";

export interface ClientNonInviteState {
  readonly name: ClientNonInviteName;
  readonly request: SipRequest;
  readonly reliable: boolean;
  readonly timers: TimerConfig;
  readonly intervalE: number;
}

export type ClientNonInviteInput =
  | { readonly kind: "response"; readonly res: SipResponse }
  | { readonly kind: "timer"; readonly timer: "E" | "F" | "K" }
  | { readonly kind: "transportError" };

export function startClientNonInvite(request: SipRequest, reliable: boolean, timers: TimerConfig): Step<ClientNonInviteState> {
  const effects: Effect[] = [{ kind: "send", msg: request }];
  // RFC 3261 §17.1.2.2: "If an unreliable transport is in use, the client transaction MUST set timer E to fire in T1 seconds."
  if (!reliable) effects.push(start("E", timers.t1));
  effects.push(start("F", 64 * timers.t1));
  return { state: { name: "trying", request, reliable, timers, intervalE: timers.t1 }, effects };
}

export function stepClientNonInvite(s: ClientNonInviteState, i: ClientNonInviteInput): Step<ClientNonInviteState> {
  const done = (extra: Effect[]): Step<ClientNonInviteState> => ({ state: { ...s, name: "terminated" }, effects: [...extra, TERMINATED] });
  switch (s.name) {
    case "trying":
    case "proceeding":
      if (i.kind === "timer" && i.timer === "E") {
        // Trying: "the timer is reset with a value of MIN(2*T1, T2)" and doubles up to T2; Proceeding: "reset with a value of T2".
        const next = s.name === "trying" ? Math.min(s.intervalE * 2, s.timers.t2) : s.timers.t2;
        return { state: { ...s, intervalE: next }, effects: [{ kind: "send", msg: s.request }, start("E", next)] };
      }
      if (i.kind === "timer" && i.timer === "F") return done([cancel("E"), { kind: "timeout" }]);
      if (i.kind === "transportError") return done([cancel("E"), cancel("F"), { kind: "transportError" }]);
      if (i.kind === "response") {
        if (i.res.status < 200) return { state: { ...s, name: "proceeding" }, effects: [{ kind: "passUp", msg: i.res }] };
        // "Once the client transaction enters the "Completed" state, it MUST set Timer K to fire in T4 seconds for unreliable transports, and zero seconds for reliable transports."
        return {
          state: { ...s, name: "completed" },
          effects: [cancel("E"), cancel("F"), { kind: "passUp", msg: i.res }, start("K", s.reliable ? 0 : s.timers.t4)],
        };
      }
      return { state: s, effects: [] };
    case "completed":
      if (i.kind === "timer" && i.timer === "K") return done([]);
      return { state: s, effects: [] };
    case "terminated":
      return { state: s, effects: [] };
  }
}
