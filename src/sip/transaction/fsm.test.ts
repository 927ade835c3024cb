import { describe, expect, test } from "bun:test";
import { startClientInvite, stepClientInvite, type ClientInviteState } from "./client-invite.ts";
import { startClientNonInvite, stepClientNonInvite, type ClientNonInviteState } from "./client-non-invite.ts";
import { startServerInvite, stepServerInvite } from "./server-invite.ts";
import { startServerNonInvite, stepServerNonInvite } from "./server-non-invite.ts";
import { DEFAULT_TIMERS, type Effect } from "./timers.ts";
import type { SipRequest, SipResponse } from "../message/types.ts";

const req = (method: string): SipRequest => ({
  kind: "request",
  method,
  uri: "sip:srs@127.0.0.1",
  headers: [
    { name: "Via", value: "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKabc" },
    { name: "Max-Forwards", value: "70" },
    { name: "From", value: "<sip:a@127.0.0.1>;tag=1" },
    { name: "To", value: "<sip:srs@127.0.0.1>" },
    { name: "Call-ID", value: "c1" },
    { name: "CSeq", value: `1 ${method}` },
    { name: "Route", value: "<sip:proxy@127.0.0.1;lr>" },
  ],
  body: new Uint8Array(),
  bodyOffset: 0,
});
const res = (status: number, method = "INVITE"): SipResponse => ({
  kind: "response",
  status,
  reason: "x",
  headers: [
    { name: "Via", value: "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKabc" },
    { name: "To", value: "<sip:srs@127.0.0.1>;tag=srs" },
    { name: "CSeq", value: `1 ${method}` },
  ],
  body: new Uint8Array(),
  bodyOffset: 0,
});
const kinds = (e: readonly Effect[]) =>
  e.map((x) =>
    x.kind === "startTimer"
      ? `start ${x.timer}=${x.ms}`
      : x.kind === "cancelTimer"
        ? `cancel ${x.timer}`
        : x.kind === "send"
          ? `send ${x.msg.kind === "request" ? x.msg.method : x.msg.status}`
          : x.kind === "passUp"
            ? `up ${x.msg.kind === "request" ? x.msg.method : x.msg.status}`
            : x.kind,
  );

describe("INVITE client transaction (RFC 3261 §17.1.1)", () => {
  test("UDP: Timer A doubles 500, 1000, 2000 … until Timer B (32 s) times out", () => {
    let st = startClientInvite(req("INVITE"), false, DEFAULT_TIMERS);
    expect(kinds(st.effects)).toEqual(["send INVITE", "start A=500", "start B=32000"]);
    const intervals: number[] = [];
    for (let i = 0; i < 6; i++) {
      st = stepClientInvite(st.state, { kind: "timer", timer: "A" });
      intervals.push((st.effects.find((e) => e.kind === "startTimer") as { ms: number }).ms);
      expect(kinds(st.effects)[0]).toBe("send INVITE");
    }
    expect(intervals).toEqual([1000, 2000, 4000, 8000, 16000, 32000]);
    const b = stepClientInvite(st.state, { kind: "timer", timer: "B" });
    expect(kinds(b.effects)).toEqual(["cancel A", "timeout", "terminated"]);
  });

  test("TCP: no Timer A", () => {
    expect(kinds(startClientInvite(req("INVITE"), true, DEFAULT_TIMERS).effects)).toEqual(["send INVITE", "start B=32000"]);
  });

  test("1xx stops retransmissions; a final error is ACKed, and re-ACKed on retransmission; Timer D 32 s", () => {
    let st = startClientInvite(req("INVITE"), false, DEFAULT_TIMERS);
    st = stepClientInvite(st.state, { kind: "response", res: res(100) });
    expect(kinds(st.effects)).toEqual(["cancel A", "cancel B", "up 100"]);
    expect(kinds(stepClientInvite(st.state, { kind: "timer", timer: "A" }).effects)).toEqual([]);
    st = stepClientInvite(st.state, { kind: "response", res: res(486) });
    expect(kinds(st.effects)).toEqual(["cancel A", "cancel B", "send ACK", "up 486", "start D=32000"]);
    const ack = (st.state as ClientInviteState).ack as SipRequest;
    // RFC 3261 §17.1.1.3: same Request-URI, top Via, From, Call-ID, Route; To with the response's tag; CSeq ACK.
    expect(ack.uri).toBe("sip:srs@127.0.0.1");
    expect(ack.headers.map((h) => `${h.name}: ${h.value}`)).toEqual([
      "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKabc",
      "Max-Forwards: 70",
      "From: <sip:a@127.0.0.1>;tag=1",
      "To: <sip:srs@127.0.0.1>;tag=srs",
      "Call-ID: c1",
      "CSeq: 1 ACK",
      "Route: <sip:proxy@127.0.0.1;lr>",
    ]);
    expect(kinds(stepClientInvite(st.state, { kind: "response", res: res(486) }).effects)).toEqual(["send ACK"]);
    expect(kinds(stepClientInvite(st.state, { kind: "timer", timer: "D" }).effects)).toEqual(["terminated"]);
  });

  test("2xx: Accepted (RFC 6026), 2xx retransmissions go up, Timer M ends it", () => {
    let st = startClientInvite(req("INVITE"), false, DEFAULT_TIMERS);
    st = stepClientInvite(st.state, { kind: "response", res: res(200) });
    expect(kinds(st.effects)).toEqual(["cancel A", "cancel B", "up 200", "start M=32000"]);
    expect(kinds(stepClientInvite(st.state, { kind: "response", res: res(200) }).effects)).toEqual(["up 200"]);
    expect(kinds(stepClientInvite(st.state, { kind: "timer", timer: "M" }).effects)).toEqual(["terminated"]);
  });

  test("transport error → TU told (503), terminated", () => {
    const st = startClientInvite(req("INVITE"), true, DEFAULT_TIMERS);
    expect(kinds(stepClientInvite(st.state, { kind: "transportError" }).effects)).toEqual(["cancel A", "cancel B", "transportError", "terminated"]);
  });
});

describe("non-INVITE client transaction (RFC 3261 §17.1.2)", () => {
  test("Timer E walks 500 → 1000 → 2000 → 4000 and stays at T2; Timer F at 32 s", () => {
    let st = startClientNonInvite(req("OPTIONS"), false, DEFAULT_TIMERS);
    expect(kinds(st.effects)).toEqual(["send OPTIONS", "start E=500", "start F=32000"]);
    const seen: number[] = [];
    for (let i = 0; i < 6; i++) {
      st = stepClientNonInvite(st.state, { kind: "timer", timer: "E" });
      seen.push((st.state as ClientNonInviteState).intervalE);
    }
    expect(seen).toEqual([1000, 2000, 4000, 4000, 4000, 4000]);
    expect(kinds(stepClientNonInvite(st.state, { kind: "timer", timer: "F" }).effects)).toEqual(["cancel E", "timeout", "terminated"]);
  });

  test("Proceeding retransmits every T2; final → Completed with Timer K = T4 (0 on TCP)", () => {
    let st = startClientNonInvite(req("BYE"), false, DEFAULT_TIMERS);
    st = stepClientNonInvite(st.state, { kind: "response", res: res(100, "BYE") });
    expect(kinds(stepClientNonInvite(st.state, { kind: "timer", timer: "E" }).effects)).toEqual(["send BYE", "start E=4000"]);
    st = stepClientNonInvite(st.state, { kind: "response", res: res(200, "BYE") });
    expect(kinds(st.effects)).toEqual(["cancel E", "cancel F", "up 200", "start K=5000"]);
    expect(kinds(stepClientNonInvite(st.state, { kind: "response", res: res(200, "BYE") }).effects)).toEqual([]);
    const tcp = startClientNonInvite(req("BYE"), true, DEFAULT_TIMERS);
    expect(kinds(stepClientNonInvite(tcp.state, { kind: "response", res: res(200, "BYE") }).effects)).toContain("start K=0");
  });
});

describe("INVITE server transaction (RFC 3261 §17.2.1)", () => {
  const trying = res(100);
  test("100 Trying at once; retransmitted INVITE resends the latest provisional", () => {
    let st = startServerInvite(req("INVITE"), false, DEFAULT_TIMERS, trying);
    expect(kinds(st.effects)).toEqual(["up INVITE", "send 100"]);
    st = stepServerInvite(st.state, { kind: "respond", res: res(180) });
    expect(kinds(stepServerInvite(st.state, { kind: "request", req: req("INVITE") }).effects)).toEqual(["send 180"]);
  });

  test("error response: Timer G doubles to T2, ACK confirms, Timer I = T4", () => {
    let st = startServerInvite(req("INVITE"), false, DEFAULT_TIMERS, trying);
    st = stepServerInvite(st.state, { kind: "respond", res: res(488) });
    expect(kinds(st.effects)).toEqual(["send 488", "start H=32000", "start G=500"]);
    const gs: string[] = [];
    for (let i = 0; i < 5; i++) {
      st = stepServerInvite(st.state, { kind: "timer", timer: "G" });
      gs.push(kinds(st.effects).join(","));
    }
    expect(gs).toEqual(["send 488,start G=1000", "send 488,start G=2000", "send 488,start G=4000", "send 488,start G=4000", "send 488,start G=4000"]);
    st = stepServerInvite(st.state, { kind: "request", req: req("ACK") });
    expect(kinds(st.effects)).toEqual(["cancel G", "cancel H", "start I=5000"]);
    expect(kinds(stepServerInvite(st.state, { kind: "timer", timer: "I" }).effects)).toEqual(["terminated"]);
  });

  test("no ACK: Timer H tells the TU", () => {
    let st = startServerInvite(req("INVITE"), true, DEFAULT_TIMERS, trying);
    st = stepServerInvite(st.state, { kind: "respond", res: res(500) });
    expect(kinds(st.effects)).toEqual(["send 500", "start H=32000"]);
    expect(kinds(stepServerInvite(st.state, { kind: "timer", timer: "H" }).effects)).toEqual(["cancel G", "timeout", "terminated"]);
  });

  test("2xx: Accepted; TU's 2xx retransmissions sent, ACK passed up, Timer L", () => {
    let st = startServerInvite(req("INVITE"), false, DEFAULT_TIMERS, trying);
    st = stepServerInvite(st.state, { kind: "respond", res: res(200) });
    expect(kinds(st.effects)).toEqual(["send 200", "start L=32000"]);
    expect(kinds(stepServerInvite(st.state, { kind: "respond", res: res(200) }).effects)).toEqual(["send 200"]);
    expect(kinds(stepServerInvite(st.state, { kind: "request", req: req("INVITE") }).effects)).toEqual([]);
    expect(kinds(stepServerInvite(st.state, { kind: "request", req: req("ACK") }).effects)).toEqual(["up ACK"]);
  });
});

describe("non-INVITE server transaction (RFC 3261 §17.2.2)", () => {
  test("retransmissions: ignored in Trying, 1xx resent in Proceeding, final resent in Completed; Timer J", () => {
    let st = startServerNonInvite(req("BYE"), false, DEFAULT_TIMERS);
    expect(kinds(st.effects)).toEqual(["up BYE"]);
    expect(kinds(stepServerNonInvite(st.state, { kind: "request", req: req("BYE") }).effects)).toEqual([]);
    st = stepServerNonInvite(st.state, { kind: "respond", res: res(100, "BYE") });
    expect(kinds(stepServerNonInvite(st.state, { kind: "request", req: req("BYE") }).effects)).toEqual(["send 100"]);
    st = stepServerNonInvite(st.state, { kind: "respond", res: res(200, "BYE") });
    expect(kinds(st.effects)).toEqual(["send 200", "start J=32000"]);
    expect(kinds(stepServerNonInvite(st.state, { kind: "request", req: req("BYE") }).effects)).toEqual(["send 200"]);
    expect(kinds(stepServerNonInvite(st.state, { kind: "timer", timer: "J" }).effects)).toEqual(["terminated"]);
    const tcp = startServerNonInvite(req("BYE"), true, DEFAULT_TIMERS);
    expect(kinds(stepServerNonInvite(tcp.state, { kind: "respond", res: res(200, "BYE") }).effects)).toEqual(["send 200", "start J=0"]);
  });
});
