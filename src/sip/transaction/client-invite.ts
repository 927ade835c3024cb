/**
 * INVITE client transaction (RFC 3261 §17.1.1, with RFC 6026's Accepted state).
 *
 *                      |INVITE from TU
 *    Timer A fires     |INVITE sent
 *    Reset A,          V                      Timer B fires
 *    INVITE sent +-----------+                or Transport Err.
 *      +---------|           |---------------+inform TU
 *      |         |  Calling  |-------------+ |
 *      +-------->|           |      2xx    | |
 *                +-----------+ 2xx to TU   | |
 *                   |  |                   | |
 *   300-699         |  |1xx                | |
 *   ACK sent        |  |1xx to TU          | |
 *   resp. to TU     |  V                   | |
 *           +----- Proceeding ---- 2xx --> Accepted (Timer M) --> Terminated
 *           V
 *       Completed (Timer D, ACK on each final retransmission) --> Terminated
 */
import { canonicalName } from "../message/headers.ts";
import type { SipRequest, SipResponse } from "../message/types.ts";
import { TERMINATED, type Effect, type Step, type TimerConfig, cancel, start } from "./timers.ts";

export type ClientInviteName = "calling" | "proceeding" | "accepted" | "completed" | "terminated";

export interface ClientInviteState {
  readonly name: ClientInviteName;
  readonly request: SipRequest;
  readonly reliable: boolean;
  readonly timers: TimerConfig;
  /** Current Timer A interval. */
  readonly intervalA: number;
  /** The ACK for a non-2xx final response, resent on each retransmission of it. */
  readonly ack?: SipRequest;
}

export type ClientInviteInput =
  | { readonly kind: "response"; readonly res: SipResponse }
  | { readonly kind: "timer"; readonly timer: "A" | "B" | "D" | "M" }
  | { readonly kind: "transportError" };

/** RFC 3261 §17.1.1.3: the ACK for a non-2xx response. */
export function buildNon2xxAck(req: SipRequest, res: SipResponse): SipRequest {
  const pick = (n: string) => req.headers.filter((h) => canonicalName(h.name) === n);
  const to = res.headers.find((h) => canonicalName(h.name) === "to");
  const cseq = (req.headers.find((h) => canonicalName(h.name) === "cseq")?.value ?? "1 INVITE").trim().split(/\s+/)[0];
  // "The Via header field ... MUST contain only a single Via header field value ... equal to the top Via header field of the original request."
  const via = req.headers.find((h) => canonicalName(h.name) === "via");
  return {
    kind: "request",
    method: "ACK",
    uri: req.uri,
    headers: [
      ...(via === undefined ? [] : [via]),
      ...pick("max-forwards"),
      ...pick("from"),
      ...(to === undefined ? pick("to") : [to]),
      ...pick("call-id"),
      { name: "CSeq", value: `${cseq} ACK` },
      ...pick("route"),
    ],
    body: new Uint8Array(),
    bodyOffset: 0,
  };
}

export function startClientInvite(request: SipRequest, reliable: boolean, timers: TimerConfig): Step<ClientInviteState> {
  const effects: Effect[] = [{ kind: "send", msg: request }];
  // RFC 3261 §17.1.1.2: "If an unreliable transport is being used, the client transaction MUST start timer A with a value of T1."
  if (!reliable) effects.push(start("A", timers.t1));
  // "For any transport, the client transaction MUST start timer B with a value of 64*T1 seconds."
  effects.push(start("B", 64 * timers.t1));
  return { state: { name: "calling", request, reliable, timers, intervalA: timers.t1 }, effects };
}

function toCompleted(s: ClientInviteState, res: SipResponse): Step<ClientInviteState> {
  const ack = buildNon2xxAck(s.request, res);
  // RFC 3261 §17.1.1.2: Timer D "at least 32 seconds for unreliable transports, and ... zero seconds for reliable transports".
  return {
    state: { ...s, name: "completed", ack },
    effects: [cancel("A"), cancel("B"), { kind: "send", msg: ack }, { kind: "passUp", msg: res }, start("D", s.reliable ? 0 : 32_000)],
  };
}

function toAccepted(s: ClientInviteState, res: SipResponse): Step<ClientInviteState> {
  // RFC 6026 §8.4: on a 2xx the transaction enters Accepted and starts Timer M (64*T1); the TU sends the ACK.
  return { state: { ...s, name: "accepted" }, effects: [cancel("A"), cancel("B"), { kind: "passUp", msg: res }, start("M", 64 * s.timers.t1)] };
}

export function stepClientInvite(s: ClientInviteState, i: ClientInviteInput): Step<ClientInviteState> {
  const done = (extra: Effect[] = []): Step<ClientInviteState> => ({ state: { ...s, name: "terminated" }, effects: [...extra, TERMINATED] });
  switch (s.name) {
    case "calling":
    case "proceeding":
      if (i.kind === "timer" && i.timer === "A" && s.name === "calling") {
        // "the client transaction MUST retransmit the request ... and reset the timer with a value of 2*T1" (doubling each time).
        const next = s.intervalA * 2;
        return { state: { ...s, intervalA: next }, effects: [{ kind: "send", msg: s.request }, start("A", next)] };
      }
      if (i.kind === "timer" && i.timer === "B" && s.name === "calling") return done([cancel("A"), { kind: "timeout" }]);
      if (i.kind === "transportError") return done([cancel("A"), cancel("B"), { kind: "transportError" }]);
      if (i.kind === "response") {
        const code = i.res.status;
        if (code < 200)
          return {
            state: { ...s, name: "proceeding" },
            effects: s.name === "calling" ? [cancel("A"), cancel("B"), { kind: "passUp", msg: i.res }] : [{ kind: "passUp", msg: i.res }],
          };
        if (code < 300) return toAccepted(s, i.res);
        return toCompleted(s, i.res);
      }
      return { state: s, effects: [] };
    case "completed":
      // "Any retransmissions of the final response that are received while in the "Completed" state MUST cause the ACK to be re-passed to the transport layer".
      if (i.kind === "response" && i.res.status >= 300 && s.ack !== undefined) return { state: s, effects: [{ kind: "send", msg: s.ack }] };
      if (i.kind === "timer" && i.timer === "D") return done();
      if (i.kind === "transportError") return done([cancel("D"), { kind: "transportError" }]);
      return { state: s, effects: [] };
    case "accepted":
      // RFC 6026 §8.4: 2xx retransmissions in Accepted go to the TU, which re-sends its ACK.
      if (i.kind === "response" && i.res.status >= 200 && i.res.status < 300) return { state: s, effects: [{ kind: "passUp", msg: i.res }] };
      if (i.kind === "timer" && i.timer === "M") return done();
      return { state: s, effects: [] };
    case "terminated":
      return { state: s, effects: [] };
  }
}
