import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CaptureReader } from "./reader.ts";
import { UdpStream } from "./datagrams.ts";
import { CallExtractor } from "./calls.ts";
import { FS_FIXTURES } from "../../test/support/esl-fixtures.ts";
import { decodeG711 } from "../media/g711.ts";
import { dominantFrequency } from "../media/tone.ts";

function extract(name: string, keep = false): CallExtractor {
  const r = new CaptureReader();
  const udp = new UdpStream();
  const calls = new CallExtractor({ keepPackets: () => keep });
  const got = r.push(new Uint8Array(readFileSync(join(FS_FIXTURES, name))));
  if (!got.ok) throw new Error(got.error.message);
  for (const p of got.value) {
    const d = udp.push(p);
    if (d !== undefined) calls.push(d);
  }
  return calls;
}

describe("calls in the FreeSWITCH captures", () => {
  for (const [name, codec] of [
    ["call-pcmu-two-way", "PCMU"],
    ["call-pcma-two-way", "PCMA"],
  ] as const) {
    test(`${name}: both dialogs (UAC→FreeSWITCH, FreeSWITCH→callee), two flows each, the right tone per speaker; pcap = pcapng`, () => {
      const summary = (c: CallExtractor) =>
        [...c.calls.values()].map((call) => ({
          from: call.from.split(";")[0],
          to: call.to.split(";")[0],
          answered: call.answered,
          ended: call.ended,
          flows: call.flows.map((f) => [f.speaker, f.codec, f.packets, f.lost]),
        }));
      const a = extract(`${name}.pcap`, true);
      expect(summary(extract(`${name}.pcapng`))).toEqual(summary(a));
      expect(a.calls.size).toBe(2);
      for (const call of a.calls.values()) {
        expect(call.answered && call.ended).toBe(true);
        expect(call.flows.map((f) => f.speaker).sort()).toEqual(["callee", "caller"]);
        for (const f of call.flows) {
          expect(f.codec).toBe(codec);
          expect(f.packets).toBeGreaterThan(400);
          expect(f.lost).toBe(0);
          expect(f.jitterMs).toBeLessThan(5);
          // The caller (UAC) plays 440 Hz and the callee 880 Hz, on both legs of the bridge.
          const payload = f.kept.slice(100, 110).flatMap((k) => [...k.bytes.subarray(12)]);
          expect([f.speaker, dominantFrequency(decodeG711(codec, new Uint8Array(payload)), 8000, [440, 880])]).toEqual([
            f.speaker,
            f.speaker === "caller" ? 440 : 880,
          ]);
        }
      }
    });
  }

  test("esl-call-plain.pcap: the re-INVITEs (hold) keep the flows; DTMF events counted on the caller's flow", () => {
    const c = extract("esl-call-plain.pcap");
    const aLeg = [...c.calls.values()].find((x) => x.to.includes("siprec-bridge"))!;
    const caller = aLeg.flows.find((f) => f.speaker === "caller")!;
    expect(caller.packets).toBe(603);
    expect(caller.events).toBe(13);
    expect(aLeg.flows.find((f) => f.speaker === "callee")!.packets).toBe(460);
  });

  test("bounded: a re-INVITE flood with a new address each time keeps 64 flows and counts the rest", () => {
    const c = new CallExtractor();
    const invite = (cseq: number, port: number): Uint8Array => {
      const sdp = `v=0\r\no=a 1 ${cseq} IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio ${port} RTP/AVP 0\r\n`;
      return new TextEncoder().encode(
        `INVITE sip:b@10.0.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK${cseq}\r\nFrom: <sip:a@10.0.0.1>;tag=a\r\nTo: <sip:b@10.0.0.2>\r\nCall-ID: flood\r\nCSeq: ${cseq} INVITE\r\nMax-Forwards: 70\r\nContent-Type: application/sdp\r\nContent-Length: ${sdp.length}\r\n\r\n${sdp}`,
      );
    };
    for (let i = 0; i < 500; i++) c.push({ src: "10.0.0.1", sport: 5060, dst: "10.0.0.2", dport: 5060, payload: invite(i + 1, 10_000 + 2 * i), timeUs: i });
    expect(c.calls.get("flood")!.flows).toHaveLength(64);
    expect(c.counters.flowsNotKept).toBe(436);
  });

  test("bounded: past maxCalls, calls are counted, not kept", () => {
    const r = new CaptureReader();
    const udp = new UdpStream();
    const c = new CallExtractor({ maxCalls: 1 });
    const got = r.push(new Uint8Array(readFileSync(join(FS_FIXTURES, "call-pcmu-two-way.pcap"))));
    for (const p of got.ok ? got.value : []) {
      const d = udp.push(p);
      if (d !== undefined) c.push(d);
    }
    expect(c.calls.size).toBe(1);
    expect(c.counters.callsNotKept).toBe(1);
  });
});

describe("kept packets own their bytes", () => {
  test("a kept RTP packet is a copy, not a view that pins the 512 KiB chunk it was read in", () => {
    const c = extract("call-pcmu-two-way.pcap", true);
    const kept = [...c.calls.values()].flatMap((call) => call.flows.flatMap((f) => f.kept));
    expect(kept.length).toBeGreaterThan(1000);
    for (const k of kept) expect(k.bytes.buffer.byteLength).toBe(k.bytes.length);
  });
});
