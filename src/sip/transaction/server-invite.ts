/**
 * INVITE server transaction (RFC 3261 §17.2.1, with RFC 6026's Accepted state).
 *
 *                     |INVITE, pass INV to TU, send 100 Trying
 *  INVITE             V
 *  send response +-----------+
 *     +----------| Proceeding|----- 2xx from TU, send ----> Accepted (Timer L) --> Terminated
 *     +--------->|           |
 *                +-----------+
 *    300-699 from TU |
 *    send response   V
 *                +-----------+  INVITE / Timer G: send response (G doubles to T2)
 *                | Completed |  Timer H: inform TU (no ACK) --> Terminated
 *                +-----------+
 *                    | ACK
 *                    V
 *                Confirmed (Timer I: T4 unreliable, 0 reliable) --> Terminated
 */
import type { SipRequest, SipResponse } from "../message/types.ts";
import { TERMINATED, type Effect, type Step, type TimerConfig, cancel, start } from "./timers.ts";

export type ServerInviteName = "proceeding" | "accepted" | "completed" | "confirmed" | "terminated";

export interface ServerInviteState {
  readonly name: ServerInviteName;
  readonly request: SipRequest;
  readonly reliable: boolean;
  readonly timers: TimerConfig;
  readonly lastResponse?: SipResponse;
  readonly intervalG: number;
}

export type ServerInviteInput =
  | { readonly kind: "request"; readonly req: SipRequest }
  | { readonly kind: "respond"; readonly res: SipResponse }
  | { readonly kind: "timer"; readonly timer: "G" | "H" | "I" | "L" }
  | { readonly kind: "transportError" };

export function startServerInvite(request: SipRequest, reliable: boolean, timers: TimerConfig, trying: SipResponse): Step<ServerInviteState> {
  // RFC 3261 §17.2.1: "the server transaction MUST generate a 100 (Trying) response unless it knows that the TU will generate a provisional or final response within 200 ms".
  return {
    state: { name: "proceeding", request, reliable, timers, lastResponse: trying, intervalG: timers.t1 },
    effects: [
      { kind: "passUp", msg: request },
      { kind: "send", msg: trying },
    ],
  };
}

function respond(s: ServerInviteState, res: SipResponse): Step<ServerInviteState> {
  const send: Effect = { kind: "send", msg: res };
  if (res.status < 200) return { state: { ...s, lastResponse: res }, effects: [send] };
  if (res.status < 300) return { state: { ...s, name: "accepted", lastResponse: res }, effects: [send, start("L", 64 * s.timers.t1)] };
  // "When the "Completed" state is entered, timer H MUST be set to fire in 64*T1 seconds for all transports ... timer G is set to fire in T1 seconds" (unreliable only).
  const effects: Effect[] = [send, start("H", 64 * s.timers.t1)];
  if (!s.reliable) effects.push(start("G", s.timers.t1));
  return { state: { ...s, name: "completed", lastResponse: res, intervalG: s.timers.t1 }, effects };
}

export function stepServerInvite(s: ServerInviteState, i: ServerInviteInput): Step<ServerInviteState> {
  const done = (extra: Effect[]): Step<ServerInviteState> => ({ state: { ...s, name: "terminated" }, effects: [...extra, TERMINATED] });
  const resend = (): Effect[] => (s.lastResponse === undefined ? [] : [{ kind: "send", msg: s.lastResponse }]);
  switch (s.name) {
    case "proceeding":
      // "If a request retransmission is received while in the "Proceeding" state, the most recent provisional response ... MUST be passed to the transport layer".
      if (i.kind === "request" && i.req.method === "INVITE") return { state: s, effects: resend() };
      if (i.kind === "respond") return respond(s, i.res);
      if (i.kind === "transportError") return done([{ kind: "transportError" }]);
      return { state: s, effects: [] };
    case "accepted":
      // RFC 6026 §8.5/8.7: the TU retransmits its 2xx; ACKs for the 2xx are passed to the TU; INVITE retransmissions are absorbed.
      if (i.kind === "respond" && i.res.status >= 200 && i.res.status < 300) return { state: s, effects: [{ kind: "send", msg: i.res }] };
      if (i.kind === "request" && i.req.method === "ACK") return { state: s, effects: [{ kind: "passUp", msg: i.req }] };
      if (i.kind === "timer" && i.timer === "L") return done([]);
      return { state: s, effects: [] };
    case "completed":
      if (i.kind === "request" && i.req.method === "INVITE") return { state: s, effects: resend() };
      if (i.kind === "timer" && i.timer === "G") {
        const next = Math.min(s.intervalG * 2, s.timers.t2);
        return { state: { ...s, intervalG: next }, effects: [...resend(), start("G", next)] };
      }
      if (i.kind === "request" && i.req.method === "ACK") {
        // "the server transaction MUST transition to the "Confirmed" state ... timer I is set to fire in T4 seconds for unreliable transports, and zero seconds for reliable transports."
        return { state: { ...s, name: "confirmed" }, effects: [cancel("G"), cancel("H"), start("I", s.reliable ? 0 : s.timers.t4)] };
      }
      if (i.kind === "timer" && i.timer === "H") return done([cancel("G"), { kind: "timeout" }]);
      if (i.kind === "transportError") return done([cancel("G"), cancel("H"), { kind: "transportError" }]);
      return { state: s, effects: [] };
    case "confirmed":
      if (i.kind === "timer" && i.timer === "I") return done([]);
      return { state: s, effects: [] };
    case "terminated":
      return { state: s, effects: [] };
  }
}
