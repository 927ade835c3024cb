import { describe, expect, test } from "bun:test";
import { RtcpReporter, ntpFromUnixMs } from "./rtcp-reporter.ts";
import { parseRtcpCompound, serializeRtcpCompound, type RtcpPacket } from "./rtcp.ts";
import { FixedIds } from "../../test/support/fixed-ids.ts";
import { ManualClock } from "../../test/support/manual-clock.ts";

function rig() {
  const clock = new ManualClock(Date.UTC(2026, 10, 26, 12, 0, 0));
  const r = new RtcpReporter({ clock, ids: new FixedIds(4), cname: "rec-42@siprec" });
  const sent: { id: string; packets: RtcpPacket[]; at: number }[] = [];
  const stream = (id: string, ssrc: number, base: number) => ({
    id,
    info: () => ({ ssrc, timestampNow: (base + clock.now() * 8) >>> 0, packets: Math.floor(clock.now() / 20), octets: Math.floor(clock.now() / 20) * 160 }),
    send: (b: Uint8Array) => sent.push({ id, packets: (parseRtcpCompound(b) as { value: RtcpPacket[] }).value, at: clock.now() }),
  });
  r.add(stream("caller", 0xaaaa0001, 1000));
  r.add(stream("callee", 0xbbbb0002, 999_000));
  return { clock, r, sent };
}

describe("RTCP sender reports", () => {
  test("every ~5 s (randomized 2.5-7.5 s), SR + SDES CNAME for each stream", () => {
    const { clock, r, sent } = rig();
    r.start();
    clock.advance(60_000);
    const times = sent.filter((s) => s.id === "caller").map((s) => s.at);
    const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
    expect(times.length).toBeGreaterThanOrEqual(8);
    expect(gaps.every((g) => g >= 2500 && g <= 7500)).toBe(true);
    expect(new Set(gaps).size).toBeGreaterThan(1);
    const first = sent[0]?.packets ?? [];
    expect(first.map((p) => p.type)).toEqual(["sr", "sdes"]);
    expect(first[1]).toEqual({ type: "sdes", chunks: [{ ssrc: 0xaaaa0001, items: [{ type: 1, text: "rec-42@siprec" }] }] });
  });

  test("all streams share one NTP↔RTP reference: same NTP instant, each stream's own RTP clock", () => {
    const { clock, r, sent } = rig();
    clock.advance(10_000);
    r.sendReports();
    const [a, b] = sent.map((s) => s.packets[0] as Extract<RtcpPacket, { type: "sr" }>);
    expect([a?.ntpSec, a?.ntpFrac]).toEqual([b?.ntpSec, b?.ntpFrac]);
    expect(a?.ntpSec).toBe(ntpFromUnixMs(Date.UTC(2026, 10, 26, 12, 0, 10)).sec);
    expect([a?.rtpTimestamp, b?.rtpTimestamp]).toEqual([1000 + 80_000, 999_000 + 80_000]);
    expect([a?.packetCount, a?.octetCount]).toEqual([500, 80_000]);
  });

  test("BYE at the end, then silence", () => {
    const { clock, r, sent } = rig();
    clock.advance(100);
    r.start();
    r.bye();
    r.bye();
    expect(sent.map((s) => s.packets.map((p) => p.type).join("+"))).toEqual(["sr+sdes+bye", "sr+sdes+bye"]);
    clock.advance(60_000);
    expect(sent.length).toBe(2);
  });

  test("a stream's own CNAME (one per recorded party, RFC 7866 §8.3.1) with the shared NTP reference", () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 26, 12, 0, 0));
    const r = new RtcpReporter({ clock, ids: new FixedIds(4), cname: "rec@siprec" });
    const sent: RtcpPacket[][] = [];
    for (const [id, ssrc] of [
      ["1", 11],
      ["2", 22],
    ] as const)
      r.add({
        id,
        cname: `${id}.rec@siprec`,
        info: () => ({ ssrc, timestampNow: 0, packets: 1, octets: 160 }),
        send: (b) => void sent.push((parseRtcpCompound(b) as { value: RtcpPacket[] }).value),
      });
    r.sendReports();
    const cnames = sent.map((p) => (p[1] as Extract<RtcpPacket, { type: "sdes" }>).chunks[0]?.items[0]?.text);
    expect(cnames).toEqual(["1.rec@siprec", "2.rec@siprec"]);
    const ntp = sent.map((p) => (p[0] as Extract<RtcpPacket, { type: "sr" }>).ntpSec);
    expect(ntp[0]).toBe(ntp[1]);
  });

  test("no sender report before the stream's first RTP packet (RFC 3550 §6.4.1), none for a stream that never sent", () => {
    const { clock, r, sent } = rig();
    r.sendReports();
    expect(sent).toEqual([]);
    r.bye();
    expect(sent).toEqual([]);
    clock.advance(20);
    const r2 = rig();
    r2.clock.advance(20);
    r2.r.sendReports();
    expect(r2.sent.map((s) => s.id)).toEqual(["caller", "callee"]);
  });

  test("receiver reports from the SRS become loss, jitter and round-trip figures", () => {
    const { clock, r } = rig();
    const now = ntpFromUnixMs(clock.wallNow());
    const middle = (((now.sec & 0xffff) << 16) | (now.frac >>> 16)) >>> 0;
    const lsr = (middle - 65536 / 10 - 65536) >>> 0; // SR sent 1.1 s ago, held 1 s at the SRS → RTT 100 ms
    const rr = serializeRtcpCompound([
      {
        type: "rr",
        ssrc: 77,
        reports: [
          { ssrc: 0xaaaa0001, fractionLost: 13, cumulativeLost: 42, highestSeq: 900, jitter: 160, lsr, dlsr: 65536 },
          { ssrc: 0xdead, fractionLost: 0, cumulativeLost: 0, highestSeq: 0, jitter: 0, lsr: 0, dlsr: 0 },
        ],
      },
    ]);
    expect(r.receive(rr)).toEqual({ ok: true, aboutUs: 1, loop: false });
    const f = r.figures(0xaaaa0001);
    expect(f?.cumulativeLost).toBe(42);
    expect(f?.fractionLost).toBeCloseTo(13 / 256);
    expect(f?.jitterMs).toBe(20);
    expect(f?.rttMs).toBeCloseTo(100, 0);
    expect(r.figures(0xdead)).toBeUndefined();
    expect(r.receive(new Uint8Array([1, 2, 3])).ok).toBe(false);
  });

  test("our own sender report reflected back is a loop, not receiver feedback (it has no report block about us)", () => {
    const { clock, r, sent } = rig();
    clock.advance(1000);
    r.sendReports();
    const mine = serializeRtcpCompound(sent[0]?.packets ?? []);
    expect(r.receive(mine)).toEqual({ ok: true, aboutUs: 0, loop: true });
    const foreign = serializeRtcpCompound([
      { type: "rr", ssrc: 77, reports: [{ ssrc: 0x1234, fractionLost: 0, cumulativeLost: 0, highestSeq: 1, jitter: 0, lsr: 0, dlsr: 0 }] },
    ]);
    expect(r.receive(foreign)).toEqual({ ok: true, aboutUs: 0, loop: false });
  });
});
