import { describe, expect, test } from "bun:test";
import { encodeRtpInto, parseRtp, rtpLength, seqNewer, serializeRtp, type RtpPacket } from "./packet.ts";
import { parseRtcpCompound, serializeRtcpCompound, type RtcpPacket } from "./rtcp.ts";
import { rtpDatagrams } from "../../test/support/pcap-udp.ts";
import { byteMutations } from "../../test/support/mutate.ts";

describe("RTP on real FreeSWITCH captures", () => {
  for (const f of ["call-pcmu-two-way.pcap", "call-pcma-two-way.pcap", "esl-call-plain.pcap", "esl-tap-legs-tap-only.pcap"]) {
    test(`${f}: every packet parses and re-encodes to the same bytes`, () => {
      const all = rtpDatagrams(f);
      expect(all.length).toBeGreaterThan(1000);
      for (const d of all) {
        const r = parseRtp(d.payload);
        if (!r.ok) throw new Error(`${f}: ${r.error.message}`);
        expect(serializeRtp(r.value)).toEqual(d.payload);
      }
    });
  }

  test("the PCMU call carries 160-byte payloads every 20 ms and DTMF events as PT 101", () => {
    const p = parseRtp((rtpDatagrams("call-pcmu-two-way.pcap")[10] as { payload: Uint8Array }).payload);
    expect(p.ok && [p.value.payloadType, p.value.payload.length]).toEqual([0, 160]);
    const dtmf = rtpDatagrams("esl-call-plain.pcap")
      .map((d) => parseRtp(d.payload))
      .filter((r) => r.ok && r.value.payloadType === 101);
    expect(dtmf.length).toBe(25);
    expect(dtmf.every((r) => r.ok && r.value.payload.length === 4)).toBe(true);
  });
});

describe("RTP header features", () => {
  const full: RtpPacket = {
    marker: true,
    payloadType: 8,
    sequence: 65535,
    timestamp: 0xfffffff0,
    ssrc: 0xdeadbeef,
    csrcs: [1, 0xffffffff],
    extension: { profile: 0xbede, data: new Uint8Array([0x10, 0xaa, 0, 0]) },
    payload: new Uint8Array([1, 2, 3]),
    paddingLength: 4,
  };

  test("CSRCs, extension and padding round trip; encodeRtpInto writes at an offset", () => {
    const bytes = serializeRtp(full);
    expect(bytes.length).toBe(rtpLength(full));
    expect(bytes[0]).toBe(0x80 | 0x20 | 0x10 | 2);
    const back = parseRtp(bytes);
    expect(back.ok && back.value).toEqual({ ...full, extension: { profile: 0xbede, data: new Uint8Array([0x10, 0xaa, 0, 0]) } });
    const buf = new Uint8Array(100);
    const n = encodeRtpInto(full, buf, 7);
    expect([...buf.subarray(7, 7 + n)]).toEqual([...bytes]);
  });

  const bad: [string, number[], string][] = [
    ["short", [0x80, 0, 0], "RTP_SHORT"],
    ["version 1", [0x40, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1], "RTP_VERSION"],
    ["CSRC count past the end", [0x8f, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1], "RTP_CSRC_OVERRUN"],
    ["extension past the end", [0x90, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xbe, 0xde, 0, 9], "RTP_EXTENSION_OVERRUN"],
    ["padding longer than the packet", [0xa0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 200], "RTP_BAD_PADDING"],
    ["zero padding count", [0xa0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 9, 0], "RTP_BAD_PADDING"],
  ];
  for (const [what, bytes, code] of bad) {
    test(`bad input: ${what}`, () => {
      const r = parseRtp(new Uint8Array(bytes));
      expect(r.ok ? "ok" : r.error.code).toBe(code);
    });
  }

  test("sequence comparison across the wrap (RFC 3550 A.1)", () => {
    expect(seqNewer(1, 65535)).toBe(true);
    expect(seqNewer(65535, 1)).toBe(false);
    expect(seqNewer(100, 100)).toBe(false);
  });

  test("seeded mutations of real packets never throw", () => {
    const base = (rtpDatagrams("call-pcmu-two-way.pcap")[5] as { payload: Uint8Array }).payload;
    for (const b of byteMutations(base, 3, 2000)) expect(() => parseRtp(b)).not.toThrow();
  });
});

describe("RTCP compound packets", () => {
  const compound: RtcpPacket[] = [
    { type: "sr", ssrc: 0x11223344, ntpSec: 0xe9e2b3c4, ntpFrac: 0x80000000, rtpTimestamp: 160_000, packetCount: 1000, octetCount: 160_000, reports: [] },
    { type: "sdes", chunks: [{ ssrc: 0x11223344, items: [{ type: 1, text: "siprec-7f3a@recorder" }] }] },
  ];

  test("SR + SDES round trip, 32-bit aligned", () => {
    const bytes = serializeRtcpCompound(compound);
    expect(bytes.length % 4).toBe(0);
    expect(parseRtcpCompound(bytes)).toEqual({ ok: true, value: compound });
  });

  test("RR with report blocks (negative cumulative loss) and BYE with a reason", () => {
    const rr: RtcpPacket[] = [
      {
        type: "rr",
        ssrc: 7,
        reports: [{ ssrc: 0x11223344, fractionLost: 64, cumulativeLost: -3, highestSeq: 70_000, jitter: 12, lsr: 0xb3c48000, dlsr: 65536 }],
      },
      { type: "bye", ssrcs: [7], reason: "recording stopped" },
    ];
    expect(parseRtcpCompound(serializeRtcpCompound(rr))).toEqual({ ok: true, value: rr });
  });

  test("lengths that lie, wrong versions, and compounds not starting with a report are refused", () => {
    const good = serializeRtcpCompound(compound);
    const liar = good.slice();
    liar[3] = 200;
    expect(parseRtcpCompound(liar)).toMatchObject({ ok: false, error: { code: "RTCP_LENGTH" } });
    const v1 = good.slice();
    v1[0] = 0x40;
    expect(parseRtcpCompound(v1)).toMatchObject({ ok: false, error: { code: "RTCP_VERSION" } });
    expect(parseRtcpCompound(serializeRtcpCompound([compound[1] as RtcpPacket]))).toMatchObject({ ok: false, error: { code: "RTCP_FIRST_NOT_REPORT" } });
    expect(parseRtcpCompound(new Uint8Array([0x80, 200]))).toMatchObject({ ok: false, error: { code: "RTCP_SHORT" } });
    for (const b of byteMutations(good, 9, 2000)) expect(() => parseRtcpCompound(b)).not.toThrow();
  });
});
