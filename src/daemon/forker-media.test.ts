/**
 * The daemon's media path on the manual clock and the in-memory RTP
 * network: tap RTP in, per-SRS streams out (own SSRC/sequence, PCMU→PCMA,
 * the PCI gate, hold, re-target, port 0), RTCP sender reports and BYE,
 * DTMF as telephone-events, the SRS's receiver reports heard by the watchdog.
 */
import { describe, expect, test } from "bun:test";
import { ForkerRecordingMedia } from "./forker-media.ts";
import { silentLogger } from "../lib/log.ts";
import { parseRtp, serializeRtp } from "../rtp/packet.ts";
import { parseRtcpCompound, serializeRtcpCompound } from "../rtp/rtcp.ts";
import type { ActiveStream } from "../siprec/session/types.ts";
import type { TapLeg } from "../recorder/tap-listener.ts";
import { ManualClock } from "../../test/support/manual-clock.ts";
import { FixedIds } from "../../test/support/fixed-ids.ts";
import { MemoryRtpNetwork } from "../../test/support/memory-rtp.ts";

const leg = (codec = "PCMU"): TapLeg =>
  ({
    recordingId: "r1",
    direction: "read",
    codec,
    payloadType: codec === "PCMA" ? 8 : 0,
    clockRate: 8000,
    telephoneEventPt: 101,
    hangup: () => {},
  }) as unknown as TapLeg;

function stream(label: string, local: { port: number; rtcpPort?: number }, o: Partial<ActiveStream["outcome"]> = {}): ActiveStream {
  return {
    local: { label, ...local },
    outcome: {
      status: "accepted",
      label,
      connection: { addrType: "IP4", address: "127.0.0.1" },
      port: 50000 + Number(label) * 10,
      rtcp: { address: "127.0.0.1", port: 50001 + Number(label) * 10 },
      payloadType: 0,
      codec: "PCMU",
      clockRate: 8000,
      telephoneEventPt: 101,
      ...o,
    },
  };
}

function rig() {
  const clock = new ManualClock();
  const net = new MemoryRtpNetwork();
  const totals = { packets: 0, bytes: 0 };
  const media = new ForkerRecordingMedia({
    clock,
    ids: new FixedIds(7),
    log: silentLogger,
    sockets: net.sockets,
    ptimeMs: 20,
    cname: "rec@test",
    dtmf: "forward",
    totals,
  });
  let seq = 100;
  const tap = (label: string, n = 1, pt = 0) => {
    for (let i = 0; i < n; i++) {
      media.packet(
        label,
        serializeRtp({
          marker: false,
          payloadType: pt,
          sequence: seq,
          timestamp: seq * 160,
          ssrc: 0xabc,
          csrcs: [],
          payload: new Uint8Array(160).fill(0xff),
          paddingLength: 0,
        }),
      );
      seq++;
      clock.advance(20);
    }
  };
  const to = (port: number) => net.sent.filter((d) => d.toPort === port);
  return { clock, net, media, tap, to, totals };
}

describe("daemon media (forker-media.ts) on the manual clock", () => {
  test("tap RTP goes to the SRS stream with our own SSRC and sequence; PCMU transcoded to PCMA when the SRS chose it; counters", async () => {
    const r = rig();
    r.media.attachLeg("1", leg());
    const d = r.media.driverFor("g");
    const [l1] = await d.prepare(["1"]);
    expect(l1!.port % 2).toBe(0);
    expect(l1!.rtcpPort).toBe(l1!.port + 1);
    d.start([stream("1", l1!, { codec: "PCMA", payloadType: 8 })], "g");
    r.tap("1", 5);
    const out = r
      .to(50010)
      .map((x) => parseRtp(x.data))
      .filter((p) => p.ok)
      .map((p) => p.value);
    expect(out.length).toBe(5);
    expect(new Set(out.map((p) => p.ssrc)).size).toBe(1);
    expect(out[0]!.ssrc).not.toBe(0xabc);
    expect(out.every((p) => p.payloadType === 8)).toBe(true);
    expect(out.map((p) => (p.sequence - out[0]!.sequence) & 0xffff)).toEqual([0, 1, 2, 3, 4]);
    // A-law of the µ-law byte 0xff (silence) is 0xd5.
    expect(out[0]!.payload[0]).toBe(0xd5);
    expect(r.totals.packets).toBe(5);
    const figures = d.stop();
    expect(figures).toMatchObject([{ label: "1", packets: 5 }]);
  });

  test("the PCI gate stops every packet at once and resumes on the same SSRC; a held stream sends nothing", async () => {
    const r = rig();
    r.media.attachLeg("1", leg());
    const d = r.media.driverFor("g");
    const [l1] = await d.prepare(["1"]);
    d.start([stream("1", l1!)], "g");
    r.tap("1", 2);
    r.media.gate(false);
    r.tap("1", 3);
    r.media.gate(true);
    r.tap("1", 2);
    expect(r.to(50010).length).toBe(4);
    d.start([stream("1", l1!, { status: "inactive" })], "g");
    r.tap("1", 3);
    expect(r.to(50010).length).toBe(4);
    d.start([stream("1", l1!)], "g");
    r.tap("1", 1);
    const ssrcs = new Set(r.to(50010).map((x) => (parseRtp(x.data) as { ok: true; value: { ssrc: number } }).value.ssrc));
    expect(ssrcs.size).toBe(1);
  });

  test("a re-target moves the stream to the new address keeping SSRC and sequence; port 0 stops it for good and frees its ports", async () => {
    const r = rig();
    r.media.attachLeg("1", leg());
    r.media.attachLeg("2", leg());
    const d = r.media.driverFor("g");
    const [l1, l2] = await d.prepare(["1", "2"]);
    expect(r.net.sockets.inUse).toBe(2);
    d.start([stream("1", l1!), stream("2", l2!)], "g");
    r.tap("1", 2);
    d.start([stream("1", l1!, { port: 51000 }), stream("2", l2!)], "g");
    r.tap("1", 2);
    const a = r.to(50010).map((x) => (parseRtp(x.data) as { ok: true; value: { ssrc: number; sequence: number } }).value);
    const b = r.to(51000).map((x) => (parseRtp(x.data) as { ok: true; value: { ssrc: number; sequence: number } }).value);
    expect([a.length, b.length]).toEqual([2, 2]);
    expect(b[0]!.ssrc).toBe(a[0]!.ssrc);
    expect((b[0]!.sequence - a[1]!.sequence) & 0xffff).toBe(1);
    d.start([stream("1", l1!, { port: 51000 })], "g");
    expect(r.net.sockets.inUse).toBe(1);
    r.tap("2", 2);
    expect(r.to(50020).length).toBe(0);
    d.stop();
    r.clock.advance(100);
    expect(r.net.sockets.inUse).toBe(0);
  });

  test("RTCP: sender reports per stream to the SRS's RTCP port, a BYE at the end; the SRS's receiver reports are heard (not our own reflected back)", async () => {
    const r = rig();
    r.media.attachLeg("1", leg());
    const d = r.media.driverFor("g");
    const [l1] = await d.prepare(["1"]);
    d.start([stream("1", l1!)], "g");
    r.tap("1", 400); // 8 s: at least one randomized 5 s interval
    const rtcp = r
      .to(50011)
      .map((x) => parseRtcpCompound(x.data))
      .filter((c) => c.ok)
      .map((c) => c.value);
    expect(rtcp.length).toBeGreaterThan(0);
    expect(rtcp.every((c) => c.some((p) => p.type === "sr"))).toBe(true);
    const ourSsrc = (rtcp[0]!.find((p) => p.type === "sr") as { ssrc: number }).ssrc;
    expect(d.feedback?.().lastAt).toBeUndefined();
    // Our own SR reflected back is a loop, not a sign of life.
    r.net.bind(50011, () => {});
    const reflect = r.net.bind(50099, () => {});
    reflect.send(r.to(50011)[0]!.data, l1!.rtcpPort!, "127.0.0.1");
    expect(d.feedback?.().lastAt).toBeUndefined();
    const rr = serializeRtcpCompound([
      { type: "rr", ssrc: 0x5151, reports: [{ ssrc: ourSsrc, fractionLost: 0, cumulativeLost: 0, highestSeq: 1, jitter: 0, lsr: 0, dlsr: 0 }] },
    ]);
    reflect.send(rr, l1!.rtcpPort!, "127.0.0.1");
    expect(d.feedback?.().lastAt).toBe(r.clock.now());
    const before = r.to(50011).length;
    d.stop();
    const bye = r
      .to(50011)
      .slice(before)
      .map((x) => parseRtcpCompound(x.data))
      .filter((c) => c.ok)
      .map((c) => c.value);
    expect(bye.some((c) => c.some((p) => p.type === "bye"))).toBe(true);
  });

  test("DTMF from FreeSWITCH goes out as RFC 4733 telephone-events on the negotiated payload type, with an end packet", async () => {
    const r = rig();
    r.media.attachLeg("1", leg());
    const d = r.media.driverFor("g");
    const [l1] = await d.prepare(["1"]);
    d.start([stream("1", l1!)], "g");
    r.tap("1", 2);
    r.media.dtmf("1", "5", 800); // 100 ms at 8 kHz
    r.tap("1", 10);
    const events = r
      .to(50010)
      .map((x) => (parseRtp(x.data) as { ok: true; value: { payloadType: number; payload: Uint8Array } }).value)
      .filter((p) => p.payloadType === 101);
    expect(events.length).toBeGreaterThan(2);
    expect(events.every((e) => e.payload[0] === 5)).toBe(true);
    expect(((events.at(-1)!.payload[1] as number) & 0x80) !== 0).toBe(true);
  });
});
