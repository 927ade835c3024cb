/**
 * The tap listener on real UDP, sent the INVITE FreeSWITCH 1.10.12 really
 * sends for a native_eavesdrop tap leg (esl-tap-legs-tap-only.pcap) and the
 * RTP that leg carried.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { TapListener, type TapLeg } from "./tap-listener.ts";
import { type Logger, createLogger, silentLogger } from "../lib/log.ts";
import type { Clock } from "../lib/clock.ts";
import { ManualClock } from "../../test/support/manual-clock.ts";
import { openRtpSocket } from "../rtp/udp-socket.ts";
import { type Stack, sipStack } from "../../test/support/sip-stack.ts";
import { udpDatagrams } from "../../test/support/pcap-udp.ts";

const RECORDING = "34b54d89-ba79-4813-a8ff-8fa4b9115fb6";
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
const tapPcap = udpDatagrams("esl-tap-legs-tap-only.pcap");
const capturedInvite = dec(tapPcap.find((d) => d.dport === 5090 && dec(d.payload).startsWith("INVITE "))!.payload);
const capturedRtp = tapPcap
  .filter((d) => d.dport === 6000)
  .slice(0, 20)
  .map((d) => d.payload);

let stack: Stack | undefined;
let fs: Bun.udp.Socket<"buffer"> | undefined;
afterEach(() => {
  stack?.close();
  fs?.close();
  stack = fs = undefined;
});

async function setup(o: { log?: Logger; clock?: Clock } = {}) {
  stack = await sipStack("udp");
  const tap = new TapListener("127.0.0.1", (onPacket) => openRtpSocket({ host: "127.0.0.1", port: 0, onPacket }), o.log ?? silentLogger, o.clock);
  stack.ua.onInvite = (inv) => void tap.onInvite(inv);
  const inbox: string[] = [];
  const sock: Bun.udp.Socket<"buffer"> = await Bun.udpSocket({ hostname: "127.0.0.1", port: 0, socket: { data: (_s, d) => void inbox.push(dec(d)) } });
  fs = sock;
  const fsPort = sock.port;
  const send = (text: string): void => void sock.send(text, stack!.transport.local.port, "127.0.0.1");
  /** The captured INVITE, with its Contact pointed at our fake FreeSWITCH, a fresh Call-ID/branch, and extra headers. */
  const invite = (n: number, extra: string[] = [], replace: [string, string][] = []): string => {
    let t = capturedInvite
      .replace("<sip:mod_sofia@127.0.0.1:5060>", `<sip:mod_sofia@127.0.0.1:${fsPort}>`)
      .replace(/Call-ID: (\S+)/, `Call-ID: $1-${n}`)
      .replace(/branch=(\S+)/, `branch=$1${n}`);
    for (const [a, b] of replace) t = t.replace(a, b);
    return t.replace("X-Siprec-Direction: read\r\n", `X-Siprec-Direction: read\r\n${extra.map((h) => `${h}\r\n`).join("")}`);
  };
  const until = async (pred: () => boolean, ms = 3000): Promise<void> => {
    const end = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > end) throw new Error(`timed out; inbox: ${inbox.map((m) => m.split("\r\n")[0]).join(" | ")}`);
      await Bun.sleep(5);
    }
  };
  const finals = (): string[] => inbox.map((m) => m.split("\r\n")[0]!).filter((l) => /^SIP\/2.0 [2-6]/.test(l));
  const sendRtp = (p: Uint8Array, port: number): void => void sock.send(p, port, "127.0.0.1");
  return { tap, inbox, send, sendRtp, invite, until, finals };
}

describe("tap listener", () => {
  test("a flood of refused INVITEs from one source is one log line per 10 s, with the count of the rest", async () => {
    const lines: Record<string, unknown>[] = [];
    const clock = new ManualClock();
    const { send, invite, until, finals } = await setup({
      log: createLogger({ level: "info", format: "json", write: (l) => void lines.push(JSON.parse(l) as Record<string, unknown>), wallNow: () => 0 }),
      clock,
    });
    for (let n = 1; n <= 5; n++) send(invite(100 + n, ["X-Siprec-Token: wrong"]));
    await until(() => finals().length === 5);
    expect(finals().every((l) => l.startsWith("SIP/2.0 403"))).toBe(true);
    expect(lines.filter((l) => l["msg"] === "tap leg refused").length).toBe(1);
    clock.advance(10_000);
    send(invite(200, ["X-Siprec-Token: wrong"]));
    await until(() => finals().length === 6);
    const refused = lines.filter((l) => l["msg"] === "tap leg refused");
    expect(refused.length).toBe(2);
    expect(refused[1]?.["alsoRefusedFromThisSource"]).toBe(4);
  });

  test("answers an expected leg with the right token, hands over its RTP byte for byte, refuses a replay, hangs up with BYE", async () => {
    const { tap, inbox, send, sendRtp, invite, until, finals } = await setup();
    const legs: TapLeg[] = [];
    const packets: Uint8Array[] = [];
    const ended: string[] = [];
    tap.expect({
      recordingId: RECORDING,
      direction: "read",
      token: "s3cr3t",
      onAnswered: (l) => legs.push(l),
      onPacket: (p) => packets.push(p),
      onEnded: (r) => ended.push(r),
    });
    send(invite(1, ["X-Siprec-Token: s3cr3t"]));
    await until(() => legs.length === 1 && finals().length === 1);
    expect(finals()).toEqual(["SIP/2.0 200 OK"]);
    expect(legs[0]).toMatchObject({ recordingId: RECORDING, direction: "read", codec: "PCMU", payloadType: 0, clockRate: 8000, telephoneEventPt: 101 });
    const ok = inbox.find((m) => m.startsWith("SIP/2.0 200"))!;
    expect(ok).toContain("a=recvonly");
    expect(ok).toContain("m=audio ");
    const rtpPort = Number(/m=audio (\d+) RTP\/AVP 0\r\n/.exec(ok)![1]);
    expect(capturedRtp.length).toBe(20);
    for (const p of capturedRtp) sendRtp(p, rtpPort);
    await until(() => packets.length === capturedRtp.length);
    expect(packets.map((p) => Buffer.from(p).toString("hex"))).toEqual(capturedRtp.map((p) => Buffer.from(p).toString("hex")));
    send(invite(2, ["X-Siprec-Token: s3cr3t"]));
    await until(() => finals().length === 2);
    expect(finals()[1]).toBe("SIP/2.0 403 Forbidden (tap leg already answered)");
    legs[0]!.hangup();
    await until(() => inbox.some((m) => m.startsWith("BYE sip:mod_sofia@127.0.0.1")));
    expect(ended).toEqual(["local-bye"]);
    expect(tap.rejected["already-answered"]).toBe(1);
  });

  test("the captured INVITE as FreeSWITCH sent it (no token), a wrong token, a wrong direction, a stranger: all 403, nothing answered", async () => {
    const { tap, send, invite, until, finals } = await setup();
    const answered: TapLeg[] = [];
    tap.expect({ recordingId: RECORDING, direction: "read", token: "s3cr3t", onAnswered: (l) => answered.push(l), onPacket: () => {}, onEnded: () => {} });
    send(invite(1));
    send(invite(2, ["X-Siprec-Token: guess"]));
    send(invite(3, ["X-Siprec-Token: s3cr3t"], [["X-Siprec-Direction: read", "X-Siprec-Direction: write"]]));
    send(invite(4, [], [[`X-Siprec-Session: ${RECORDING}\r\n`, ""]]));
    await until(() => finals().length === 4);
    expect(finals().sort()).toEqual([
      "SIP/2.0 403 Forbidden (bad tap token)",
      "SIP/2.0 403 Forbidden (bad tap token)",
      "SIP/2.0 403 Forbidden (no such tap leg expected)",
      "SIP/2.0 403 Forbidden (not a siprec tap leg)",
    ]);
    expect(answered).toEqual([]);
    expect(tap.rejected).toMatchObject({ "bad-token": 2, "unknown-leg": 1, "no-session": 1 });
  });

  test("a disarmed expectation (the leg never came in time) refuses a late leg", async () => {
    const { tap, send, invite, until, finals } = await setup();
    const disarm = tap.expect({ recordingId: RECORDING, direction: "read", token: "s3cr3t", onAnswered: () => {}, onPacket: () => {}, onEnded: () => {} });
    disarm();
    send(invite(1, ["X-Siprec-Token: s3cr3t"]));
    await until(() => finals().length === 1);
    expect(finals()).toEqual(["SIP/2.0 403 Forbidden (no such tap leg expected)"]);
  });
});
