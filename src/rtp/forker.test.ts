import { describe, expect, test } from "bun:test";
import { DtmfEmitter, dtmfEventCode, parseTelephoneEvent, telephoneEvent } from "./dtmf.ts";
import { Forker, type OutputSpec } from "./forker.ts";
import { parseRtp, serializeRtp, type RtpPacket } from "./packet.ts";
import { SrtpContext } from "./srtp/context.ts";
import { MULAW_TO_ALAW } from "../media/g711.ts";
import { FixedIds } from "../../test/support/fixed-ids.ts";
import { ManualClock } from "../../test/support/manual-clock.ts";
import { rtpDatagrams } from "../../test/support/pcap-udp.ts";

/** One direction of the real PCMU call, with capture times. */
const CALL = rtpDatagrams("call-pcmu-two-way.pcap").filter((d) => d.sport === 6100 && d.dport === 27240);

function rig(outputs: Partial<OutputSpec>[] = [{}]) {
  const clock = new ManualClock();
  const forker = new Forker({ clock, ids: new FixedIds(9) });
  forker.addInput({ id: "tap-read", codec: "PCMU", clockRate: 8000, telephoneEventPt: 101 });
  const sent = new Map<string, RtpPacket[]>();
  outputs.forEach((o, i) => {
    const id = o.id ?? `out${i}`;
    sent.set(id, []);
    forker.addOutput("tap-read", {
      id,
      group: "rec1",
      payloadType: 0,
      codec: "PCMU",
      clockRate: 8000,
      ptimeMs: 20,
      telephoneEventPt: 101,
      dtmf: "forward",
      port: { send: (b) => void (sent.get(id) as RtpPacket[]).push((parseRtp(b) as { value: RtpPacket }).value) },
      ...o,
    });
  });
  /** Plays captured packets with their original spacing. */
  const play = (packets: typeof CALL) => {
    let last = packets[0]?.timeUs ?? 0;
    for (const d of packets) {
      clock.advance((d.timeUs - last) / 1000);
      last = d.timeUs;
      forker.receive("tap-read", d.payload);
    }
  };
  return { clock, forker, sent, play };
}

const inPkt = (i: number) => (parseRtp((CALL[i] as { payload: Uint8Array }).payload) as { value: RtpPacket }).value;

describe("forwarding a real stream", () => {
  test("own SSRC, continuous sequence, timestamps following the source, marker only first; payload unchanged", () => {
    const { sent, play } = rig();
    play(CALL.slice(0, 200));
    const out = sent.get("out0") as RtpPacket[];
    expect(out.length).toBe(200);
    expect(out[0]?.ssrc).not.toBe(inPkt(0).ssrc);
    expect(new Set(out.map((p) => p.ssrc)).size).toBe(1);
    for (let i = 1; i < out.length; i++) {
      expect(((out[i] as RtpPacket).sequence - (out[i - 1] as RtpPacket).sequence) & 0xffff).toBe(1);
      expect(((out[i] as RtpPacket).timestamp - (out[i - 1] as RtpPacket).timestamp) >>> 0).toBe((inPkt(i).timestamp - inPkt(i - 1).timestamp) >>> 0);
    }
    expect(out.map((p) => p.marker).filter(Boolean).length).toBe(1);
    expect(out[50]?.payload).toEqual(inPkt(50).payload);
  });

  test("PCMU in, PCMA out: transcoded by table and counted; two outputs from one input", () => {
    const { forker, sent, play } = rig([{ id: "u" }, { id: "a", codec: "PCMA", payloadType: 8 }]);
    play(CALL.slice(0, 50));
    const a = sent.get("a") as RtpPacket[];
    expect(a[10]?.payloadType).toBe(8);
    expect(a[10]?.payload).toEqual(Uint8Array.from(inPkt(10).payload, (c) => MULAW_TO_ALAW[c] as number));
    expect(forker.counters("a")).toMatchObject({ packetsOut: 50, transcoded: 50, octetsOut: 8000 });
    expect(forker.counters("u")).toMatchObject({ packetsOut: 50, transcoded: 0 });
  });

  test("lost input packets: the timestamp keeps the real gap, marker set, sequence still continuous", () => {
    const { forker, sent, play } = rig();
    play([...CALL.slice(0, 20), ...CALL.slice(25, 40)]);
    const out = sent.get("out0") as RtpPacket[];
    expect(((out[20] as RtpPacket).timestamp - (out[19] as RtpPacket).timestamp) >>> 0).toBe(6 * 160);
    expect(out[20]?.marker).toBe(true);
    expect(((out[20] as RtpPacket).sequence - (out[19] as RtpPacket).sequence) & 0xffff).toBe(1);
    expect(forker.counters("out0")?.gaps).toBe(2);
  });

  test("the source changes SSRC and jumps its sequence by 30,000: re-anchored on the wall clock, counted", () => {
    const { clock, forker, sent, play } = rig();
    play(CALL.slice(0, 10));
    clock.advance(20);
    const odd = { ...inPkt(10), ssrc: 0x0badf00d, sequence: (inPkt(10).sequence + 30_000) & 0xffff, timestamp: 7 };
    forker.receive("tap-read", serializeRtp(odd));
    clock.advance(20);
    forker.receive("tap-read", serializeRtp({ ...odd, sequence: (odd.sequence + 30_000) & 0xffff, timestamp: 167 }));
    const out = sent.get("out0") as RtpPacket[];
    expect(((out[10] as RtpPacket).timestamp - (out[9] as RtpPacket).timestamp) >>> 0).toBe(160);
    expect(out[10]?.marker).toBe(true);
    expect(forker.inputCounters("tap-read")).toMatchObject({ ssrcChanges: 1, seqJumps: 1 });
  });

  test("malformed input is counted, never forwarded", () => {
    const { forker, sent } = rig();
    forker.receive("tap-read", new Uint8Array([1, 2, 3]));
    forker.receive("nope", new Uint8Array(20));
    expect(sent.get("out0")).toEqual([]);
    expect(forker.inputCounters("tap-read")?.malformed).toBe(1);
  });
});

describe("pause gate", () => {
  test("closed: nothing leaves and drops are counted; resume: same SSRC, next sequence, timestamp advanced by the paused time", () => {
    const { clock, forker, sent, play } = rig();
    play(CALL.slice(0, 100));
    forker.setGate("rec1", false);
    play(CALL.slice(100, 250));
    expect(forker.counters("out0")?.droppedPaused).toBe(150);
    expect((sent.get("out0") as RtpPacket[]).length).toBe(100);
    const before = (sent.get("out0") as RtpPacket[])[99] as RtpPacket;
    clock.advance(20);
    forker.setGate("rec1", true);
    play(CALL.slice(250, 260));
    const after = (sent.get("out0") as RtpPacket[])[100] as RtpPacket;
    expect(after.ssrc).toBe(before.ssrc);
    expect((after.sequence - before.sequence) & 0xffff).toBe(1);
    const elapsedMs = (CALL[249]!.timeUs - CALL[99]!.timeUs) / 1000 + 20;
    // Re-anchoring rounds to whole 20 ms packets: at most one packet (160 samples) off the wall clock.
    expect(Math.abs(((after.timestamp - before.timestamp) >>> 0) - elapsedMs * 8)).toBeLessThanOrEqual(161);
    expect(after.marker).toBe(true);
  });

  test("closed with silence: the stream goes on with the same timing, every payload byte is G.711 silence (PCMU 0xFF, PCMA 0xD5), events dropped; reopened without a gap marker", () => {
    const { forker, sent, play } = rig([{ id: "mu" }, { id: "a", codec: "PCMA", payloadType: 8 }]);
    play(CALL.slice(0, 50));
    forker.setGate("rec1", false, "silence");
    play(CALL.slice(50, 150));
    const ev = serializeRtp({
      marker: true,
      payloadType: 101,
      sequence: 9,
      timestamp: 1,
      ssrc: 1,
      csrcs: [],
      payload: telephoneEvent(5, false, 10, 160),
      paddingLength: 0,
    });
    forker.receive("tap-read", ev);
    forker.setGate("rec1", true);
    play(CALL.slice(150, 160));
    for (const [id, byte] of [
      ["mu", 0xff],
      ["a", 0xd5],
    ] as const) {
      const out = sent.get(id) as RtpPacket[];
      expect(out.length).toBe(160);
      for (let i = 50; i < 150; i++) {
        expect(out[i]!.payload.length).toBe(inPkt(i).payload.length);
        expect(out[i]!.payload.every((b) => b === byte)).toBe(true);
      }
      // The call's own audio before and after.
      expect(out[49]!.payload.every((b) => b === byte)).toBe(false);
      expect(out[150]!.marker).toBe(false);
      for (let i = 1; i < out.length; i++) expect((out[i]!.sequence - out[i - 1]!.sequence) & 0xffff).toBe(1);
      expect(forker.counters(id)).toMatchObject({ silenced: 100, droppedPaused: 1 });
    }
  });

  test("the gate is per recording", () => {
    const { forker, sent, play } = rig([{ id: "r1" }, { id: "r2", group: "rec2" }]);
    forker.setGate("rec2", false);
    play(CALL.slice(0, 10));
    expect([(sent.get("r1") as RtpPacket[]).length, (sent.get("r2") as RtpPacket[]).length]).toEqual([10, 0]);
  });
});

describe("DTMF and policies", () => {
  const ev = (ts: number, seq: number) =>
    serializeRtp({
      marker: true,
      payloadType: 101,
      sequence: seq,
      timestamp: ts,
      ssrc: 1,
      csrcs: [],
      payload: telephoneEvent(5, false, 10, 160),
      paddingLength: 0,
    });

  test("telephone-events are forwarded with the output's PT, or dropped by policy or when not negotiated", () => {
    const { forker, sent } = rig([
      { id: "fwd", telephoneEventPt: 96 },
      { id: "drop", dtmf: "drop" },
      { id: "none", telephoneEventPt: undefined },
    ]);
    forker.receive("tap-read", ev(1000, 1));
    expect(sent.get("fwd")?.[0]?.payloadType).toBe(96);
    expect([sent.get("drop")?.length, sent.get("none")?.length]).toEqual([0, 0]);
    expect(forker.counters("drop")?.droppedDtmf).toBe(1);
  });

  test("RFC 4733 emitter: same timestamp, marker first, growing durations, final packet three times (like FreeSWITCH's)", () => {
    const clock = new ManualClock();
    const got: { m: boolean; ts: number; e: ReturnType<typeof parseTelephoneEvent> }[] = [];
    const d = new DtmfEmitter({ clock, clockRate: 8000, intervalMs: 20, volume: 10 }, (m, ts, p) => got.push({ m, ts, e: parseTelephoneEvent(p) }));
    expect(d.play("5", 184_000, 200)).toBe(true);
    expect(d.play("6", 0, 10)).toBe(false);
    clock.advance(300);
    expect(got.every((g) => g.ts === 184_000)).toBe(true);
    expect(got[0]?.m).toBe(true);
    expect(got.slice(1).some((g) => g.m)).toBe(false);
    const updates = got.filter((g) => !g.e?.end).map((g) => g.e?.duration);
    expect(updates.slice(0, 4)).toEqual([160, 320, 480, 640]);
    const ends = got.filter((g) => g.e?.end);
    expect(ends.length).toBe(3);
    expect(new Set(ends.map((g) => g.e?.duration))).toEqual(new Set([1600]));
    expect(d.busy).toBe(false);
  });

  test("RFC 4733 §2.5.1.3 long event (10 s): the first segment ends with a 0xFFFF report without E, the next starts at +0xFFFF without M, only the last has E", () => {
    const clock = new ManualClock();
    const got: { m: boolean; ts: number; e: ReturnType<typeof parseTelephoneEvent> }[] = [];
    const d = new DtmfEmitter({ clock, clockRate: 8000, intervalMs: 50 }, (m, ts, p) => got.push({ m, ts, e: parseTelephoneEvent(p) }));
    expect(d.play("1", 4_294_960_000, 10_000)).toBe(true); // near the 32-bit wrap too
    clock.advance(10_200);
    const seg2 = (4_294_960_000 + 0xffff) >>> 0;
    expect([...new Set(got.map((g) => g.ts))]).toEqual([4_294_960_000, seg2]);
    const first = got.filter((g) => g.ts === 4_294_960_000);
    const second = got.filter((g) => g.ts === seg2);
    expect(first.at(-1)!.e).toMatchObject({ duration: 0xffff, end: false });
    expect(first.every((g) => g.e!.duration <= 0xffff && !g.e!.end)).toBe(true);
    expect(got.filter((g) => g.m).length).toBe(1);
    expect(second[0]!.m).toBe(false);
    const ends = got.filter((g) => g.e!.end);
    expect(ends.map((g) => [g.ts, g.e!.duration])).toEqual(Array(3).fill([seg2, 80_000 - 0xffff]));
    for (let i = 1; i < second.length - 3; i++) expect(second[i]!.e!.duration).toBeGreaterThanOrEqual(second[i - 1]!.e!.duration);
  });

  test("digits map per RFC 4733 Table 3", () => {
    expect(["0", "9", "*", "#", "A", "d", "x"].map(dtmfEventCode)).toEqual([0, 9, 10, 11, 12, 15, undefined]);
  });
});

describe("SRTP and send errors", () => {
  test("protected outputs decrypt with the recording's keys", () => {
    const key = new Uint8Array(16).fill(7);
    const salt = new Uint8Array(14).fill(9);
    const tx = new SrtpContext({ suite: "AES_CM_128_HMAC_SHA1_80", masterKey: key, masterSalt: salt });
    const rx = new SrtpContext({ suite: "AES_CM_128_HMAC_SHA1_80", masterKey: key, masterSalt: salt });
    const wire: Uint8Array[] = [];
    const clock = new ManualClock();
    const f = new Forker({ clock, ids: new FixedIds(1) });
    f.addInput({ id: "i", codec: "PCMU", clockRate: 8000 });
    f.addOutput("i", {
      id: "o",
      group: "g",
      payloadType: 0,
      codec: "PCMU",
      clockRate: 8000,
      ptimeMs: 20,
      dtmf: "drop",
      protect: (b) => tx.protectRtp(b),
      port: { send: (b) => void wire.push(b) },
    });
    for (let i = 0; i < 20; i++) {
      clock.advance(20);
      f.receive("i", (CALL[i] as { payload: Uint8Array }).payload);
    }
    expect(wire.length).toBe(20);
    for (let i = 0; i < 20; i++) {
      const plain = rx.unprotectRtp(wire[i] as Uint8Array);
      expect(plain.ok && (parseRtp(plain.value) as { value: RtpPacket }).value.payload).toEqual(inPkt(i).payload);
    }
  });

  test("a failing port is counted, the stream goes on", () => {
    let n = 0;
    const { forker, play } = rig([
      {
        port: {
          send: () => {
            if (n++ % 2 === 0) throw new Error("EPERM");
          },
        },
      },
    ]);
    play(CALL.slice(0, 10));
    expect(forker.counters("out0")).toMatchObject({ sendErrors: 5, packetsOut: 5 });
  });
});
