/**
 * Non-INVITE server transaction (RFC 3261 §17.2.2).
 *
 *            |Request received, pass to TU
 *            V
 *      +-----------+  1xx from TU, send  +-----------+
 *      |  Trying   |-------------------->| Proceeding|  request: resend 1xx
 *      +-----------+                     +-----------+
 *   200-699 |  from TU, send                  | 200-699 from TU, send
 *           V                                 V
 *      Completed (request: resend final; Timer J: 64*T1 unreliable, 0 reliable) --> Terminated
 */
import type { SipRequest, SipResponse } from "../message/types.ts";
import { TERMINATED, type Effect, type Step, type TimerConfig, start } from "./timers.ts";

export type ServerNonInviteName = "trying" | "proceeding" | "completed" | "terminated";

export interface ServerNonInviteState {
  readonly name: ServerNonInviteName;
  readonly request: SipRequest;
  readonly reliable: boolean;
  readonly timers: TimerConfig;
  readonly lastResponse?: SipResponse;
}

export type ServerNonInviteInput =
  | { readonly kind: "request"; readonly req: SipRequest }
  | { readonly kind: "respond"; readonly res: SipResponse }
  | { readonly kind: "timer"; readonly timer: "J" }
  | { readonly kind: "transportError" };

export function startServerNonInvite(request: SipRequest, reliable: boolean, timers: TimerConfig): Step<ServerNonInviteState> {
  return { state: { name: "trying", request, reliable, timers }, effects: [{ kind: "passUp", msg: request }] };
}

export function stepServerNonInvite(s: ServerNonInviteState, i: ServerNonInviteInput): Step<ServerNonInviteState> {
  const done = (extra: Effect[]): Step<ServerNonInviteState> => ({ state: { ...s, name: "terminated" }, effects: [...extra, TERMINATED] });
  switch (s.name) {
    case "trying":
    case "proceeding":
      if (i.kind === "respond") {
        const send: Effect = { kind: "send", msg: i.res };
        if (i.res.status < 200) return { state: { ...s, name: "proceeding", lastResponse: i.res }, effects: [send] };
        // "When the server transaction enters the "Completed" state, it MUST set Timer J to fire in 64*T1 seconds for unreliable transports, and zero seconds for reliable transports."
        return { state: { ...s, name: "completed", lastResponse: i.res }, effects: [send, start("J", s.reliable ? 0 : 64 * s.timers.t1)] };
      }
      // Trying: retransmissions are discarded; Proceeding: "any retransmissions of the request ... the most recently sent provisional response MUST be passed to the transport".
      if (i.kind === "request" && s.name === "proceeding" && s.lastResponse !== undefined)
        return { state: s, effects: [{ kind: "send", msg: s.lastResponse }] };
      if (i.kind === "transportError") return done([{ kind: "transportError" }]);
      return { state: s, effects: [] };
    case "completed":
      if (i.kind === "request" && s.lastResponse !== undefined) return { state: s, effects: [{ kind: "send", msg: s.lastResponse }] };
      if (i.kind === "timer") return done([]);
      if (i.kind === "transportError") return done([{ kind: "transportError" }]);
      return { state: s, effects: [] };
    case "terminated":
      return { state: s, effects: [] };
  }
}
