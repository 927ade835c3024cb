/**
 * The forker fed by the wideband media-bug tap: L16/16000 in, each output in
 * its SRS's codec (L16 unchanged, G.722 encoded, PCMU/PCMA decimated), on
 * its own RTP clock; silence under the PCI gate in every one of them.
 */
import { describe, expect, test } from "bun:test";
import { Forker, type OutputSpec } from "./forker.ts";
import { parseRtp, serializeRtp, type RtpPacket } from "./packet.ts";
import { decodeG711, linearToG711Table } from "../media/g711.ts";
import { G722Decoder, G722Encoder } from "../media/g722.ts";
import { goertzelPower } from "../media/tone.ts";
import { FixedIds } from "../../test/support/fixed-ids.ts";
import { ManualClock } from "../../test/support/manual-clock.ts";

type Out = Pick<OutputSpec, "codec" | "clockRate" | "payloadType">;
const OUTPUTS: Record<string, Out> = {
  l16: { codec: "L16", clockRate: 16000, payloadType: 96 },
  g722: { codec: "G722", clockRate: 8000, payloadType: 9 },
  pcmu: { codec: "PCMU", clockRate: 8000, payloadType: 0 },
  pcma: { codec: "PCMA", clockRate: 8000, payloadType: 8 },
};

function rig(inputCodec = "L16", inputRate = 16000, ptimeMs = 20) {
  const clock = new ManualClock();
  const forker = new Forker({ clock, ids: new FixedIds(5) });
  forker.addInput({ id: "in", codec: inputCodec, clockRate: inputRate });
  const sent = new Map<string, RtpPacket[]>();
  for (const [id, o] of Object.entries(OUTPUTS)) {
    sent.set(id, []);
    forker.addOutput("in", {
      id,
      group: "g",
      ...o,
      ptimeMs,
      dtmf: "drop",
      port: { send: (b) => void sent.get(id)?.push((parseRtp(b) as { value: RtpPacket }).value) },
    });
  }
  return { clock, forker, sent };
}

/** `count` L16/16000 packets of `ms` (20) of a `hz` tone, `ms` apart. */
function feedTone(r: ReturnType<typeof rig>, hz: number, count: number, from = 0, ms = 20): void {
  const n = 16 * ms;
  for (let k = from; k < from + count; k++) {
    const payload = new Uint8Array(2 * n);
    const dv = new DataView(payload.buffer);
    for (let i = 0; i < n; i++) dv.setInt16(2 * i, Math.round(9000 * Math.sin((2 * Math.PI * hz * (k * n + i)) / 16000)), false);
    const pkt = serializeRtp({
      marker: k === 0,
      payloadType: 96,
      sequence: k & 0xffff,
      timestamp: (1000 + k * n) >>> 0,
      ssrc: 77,
      csrcs: [],
      payload,
      paddingLength: 0,
    });
    r.forker.receive("in", pkt);
    r.clock.advance(ms);
  }
}

function pcmOf(id: string, packets: RtpPacket[]): Int16Array {
  const parts: Int16Array[] = [];
  const g722 = new G722Decoder();
  for (const p of packets) {
    if (id === "l16")
      parts.push(Int16Array.from({ length: p.payload.length / 2 }, (_, i) => new DataView(p.payload.buffer, p.payload.byteOffset).getInt16(2 * i, false)));
    else if (id === "g722") parts.push(g722.decode(p.payload));
    else parts.push(decodeG711(id === "pcmu" ? "PCMU" : "PCMA", p.payload));
  }
  const out = new Int16Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe("forker: L16/16000 from the wideband tap", () => {
  test("each output carries the tone in its codec, with its payload size and RTP clock", () => {
    const r = rig();
    feedTone(r, 1000, 50);
    const sizes: Record<string, [number, number, number]> = { l16: [640, 320, 16000], g722: [160, 160, 16000], pcmu: [160, 160, 8000], pcma: [160, 160, 8000] };
    for (const [id, [bytes, tsStep, rate]] of Object.entries(sizes)) {
      const out = r.sent.get(id) as RtpPacket[];
      expect(out.length).toBe(50);
      expect(out.every((p) => p.payload.length === bytes && p.payloadType === (OUTPUTS[id] as Out).payloadType)).toBe(true);
      for (let i = 1; i < out.length; i++) expect(((out[i] as RtpPacket).timestamp - (out[i - 1] as RtpPacket).timestamp) >>> 0).toBe(tsStep);
      const pcm = pcmOf(id, out).subarray(rate / 10);
      expect(goertzelPower(pcm, rate, 1000)).toBeGreaterThan(goertzelPower(pcm, rate, 2000) * 1000);
      expect(r.forker.counters(id)?.transcoded).toBe(id === "l16" ? 0 : 50);
    }
  });

  test("40 ms packets ([recording] ptime 40 on the media-bug tap): every codec's payload and timestamp step double, no gap after the first packet", () => {
    const r = rig("L16", 16000, 40);
    feedTone(r, 1000, 25, 0, 40);
    const sizes: Record<string, [number, number, number]> = {
      l16: [1280, 640, 16000],
      g722: [320, 320, 16000],
      pcmu: [320, 320, 8000],
      pcma: [320, 320, 8000],
    };
    for (const [id, [bytes, tsStep, rate]] of Object.entries(sizes)) {
      const out = r.sent.get(id) as RtpPacket[];
      expect(out.length).toBe(25);
      expect(out.every((p) => p.payload.length === bytes)).toBe(true);
      for (let i = 1; i < out.length; i++) expect(((out[i] as RtpPacket).timestamp - (out[i - 1] as RtpPacket).timestamp) >>> 0).toBe(tsStep);
      const pcm = pcmOf(id, out).subarray(rate / 10);
      expect(goertzelPower(pcm, rate, 1000)).toBeGreaterThan(goertzelPower(pcm, rate, 2000) * 1000);
      expect(r.forker.counters(id)?.gaps).toBe(1); // the first packet only
    }
  });

  test("a 6 kHz tone reaches the wideband SRS and not the narrowband one (no aliasing into the telephone band)", () => {
    const r = rig();
    feedTone(r, 6000, 50);
    const rms = (x: Int16Array): number => Math.sqrt(x.reduce((a, v) => a + v * v, 0) / x.length);
    expect(rms(pcmOf("g722", r.sent.get("g722") as RtpPacket[]).subarray(1600))).toBeGreaterThan(4000);
    expect(rms(pcmOf("pcmu", r.sent.get("pcmu") as RtpPacket[]).subarray(800))).toBeLessThan(40);
  });

  test("the PCI gate closed with silence: every output goes on with silence in its codec, no call audio", () => {
    const r = rig();
    feedTone(r, 1000, 10);
    r.forker.setGate("g", false, "silence");
    feedTone(r, 1000, 20, 10);
    for (const id of Object.keys(OUTPUTS)) {
      const out = r.sent.get(id) as RtpPacket[];
      expect(out.length).toBe(30);
      const rate = id === "l16" || id === "g722" ? 16000 : 8000;
      const silent = pcmOf(id, out).subarray((15 * rate) / 50);
      expect(Math.max(...silent.map(Math.abs))).toBeLessThan(id === "g722" ? 64 : 9);
      expect(r.forker.counters(id)?.silenced).toBe(20);
    }
  });

  test("PCMU tap legs (a lost media-bug tap's fallback) still reach a wideband SRS: interpolated to L16/16000 and G.722", () => {
    const r = rig("PCMU", 8000);
    const law = linearToG711Table("PCMU");
    for (let k = 0; k < 50; k++) {
      const payload = Uint8Array.from(
        { length: 160 },
        (_, i) => law[Math.round(9000 * Math.sin((2 * Math.PI * 1000 * (k * 160 + i)) / 8000)) & 0xffff] as number,
      );
      r.forker.receive("in", serializeRtp({ marker: false, payloadType: 0, sequence: k, timestamp: k * 160, ssrc: 9, csrcs: [], payload, paddingLength: 0 }));
      r.clock.advance(20);
    }
    for (const [id, bytes, tsStep] of [
      ["l16", 640, 320],
      ["g722", 160, 160],
    ] as const) {
      const out = r.sent.get(id) as RtpPacket[];
      expect(out.length).toBe(50);
      expect(out.every((p) => p.payload.length === bytes)).toBe(true);
      for (let i = 1; i < out.length; i++) expect(((out[i] as RtpPacket).timestamp - (out[i - 1] as RtpPacket).timestamp) >>> 0).toBe(tsStep);
      const pcm = pcmOf(id, out).subarray(1600);
      expect(goertzelPower(pcm, 16000, 1000)).toBeGreaterThan(goertzelPower(pcm, 16000, 7000) * 1000);
    }
    expect(r.sent.get("pcma")?.length).toBe(50);
  });

  test("G.722 tap legs (a G.722 call) reach a G.711 SRS decoded and decimated, and an L16 one decoded", () => {
    const r = rig("G722", 8000);
    const enc = new G722Encoder();
    for (let k = 0; k < 50; k++) {
      const pcm = Int16Array.from({ length: 320 }, (_, i) => Math.round(9000 * Math.sin((2 * Math.PI * 1000 * (k * 320 + i)) / 16000)));
      const payload = new Uint8Array(160);
      enc.encode(pcm, payload);
      r.forker.receive("in", serializeRtp({ marker: false, payloadType: 9, sequence: k, timestamp: k * 160, ssrc: 9, csrcs: [], payload, paddingLength: 0 }));
      r.clock.advance(20);
    }
    for (const [id, bytes, tsStep, rate] of [
      ["pcmu", 160, 160, 8000],
      ["pcma", 160, 160, 8000],
      ["l16", 640, 320, 16000],
    ] as const) {
      const out = r.sent.get(id) as RtpPacket[];
      expect(out.length).toBe(50);
      expect(out.every((p) => p.payload.length === bytes)).toBe(true);
      for (let i = 1; i < out.length; i++) expect(((out[i] as RtpPacket).timestamp - (out[i - 1] as RtpPacket).timestamp) >>> 0).toBe(tsStep);
      const pcm = pcmOf(id, out).subarray(rate / 10);
      expect(goertzelPower(pcm, rate, 1000)).toBeGreaterThan(goertzelPower(pcm, rate, 3000) * 1000);
    }
    expect(r.forker.counters("g722")?.transcoded).toBe(0);
  });

  test("an input the output cannot be made from (Opus toward PCMU) is dropped and counted, never sent as garbage", () => {
    const r = rig("OPUS", 48000);
    r.forker.receive(
      "in",
      serializeRtp({ marker: false, payloadType: 111, sequence: 1, timestamp: 1, ssrc: 1, csrcs: [], payload: new Uint8Array(60), paddingLength: 0 }),
    );
    for (const id of Object.keys(OUTPUTS)) {
      expect(r.sent.get(id)?.length).toBe(0);
      expect(r.forker.counters(id)?.droppedCodec).toBe(1);
    }
  });
});
