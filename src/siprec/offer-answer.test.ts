import { describe, expect, test } from "bun:test";
import { analyzeAnswer, type StreamOutcome } from "./answer.ts";
import { buildOfferMedia, buildRecordingOffer, reofferAddStream, reofferDirection, reofferRemoveStream, type RecordingOfferOptions } from "./offer.ts";
import { parseSdp } from "../sdp/parse.ts";
import { serializeSdp } from "../sdp/serialize.ts";
import type { Sdp } from "../sdp/types.ts";
import { readReference, stripHashHeader, unfoldAllOneLine } from "../../test/support/vectors.ts";

const OPTS: RecordingOfferOptions = {
  sessionId: "3724394400",
  sessionVersion: 1n,
  address: "192.0.2.10",
  addrType: "IP4",
  codecs: ["PCMU", "PCMA"],
  telephoneEvent: true,
  ptime: 20,
  rtcpMux: false,
  srtp: false,
  streams: [
    { label: "1", port: 20000, rtcpPort: 20001 },
    { label: "2", port: 20002, rtcpPort: 20003 },
  ],
};

function sdp(text: string): Sdp {
  const r = parseSdp(text);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

const answerText = (body: string) => `v=0\r\no=srs 1 1 IN IP4 198.51.100.20\r\ns=-\r\nc=IN IP4 198.51.100.20\r\nt=0 0\r\n${body}`;

describe("recording offer", () => {
  test("two labelled sendonly audio streams, exact text", () => {
    expect(serializeSdp(buildRecordingOffer(OPTS))).toBe(
      [
        "v=0",
        "o=siprec 3724394400 1 IN IP4 192.0.2.10",
        "s=siprec",
        "c=IN IP4 192.0.2.10",
        "t=0 0",
        "m=audio 20000 RTP/AVP 0 8 101",
        "a=rtpmap:0 PCMU/8000",
        "a=rtpmap:8 PCMA/8000",
        "a=rtpmap:101 telephone-event/8000",
        "a=fmtp:101 0-15",
        "a=ptime:20",
        "a=rtcp:20001",
        "a=label:1",
        "a=sendonly",
        "m=audio 20002 RTP/AVP 0 8 101",
        "a=rtpmap:0 PCMU/8000",
        "a=rtpmap:8 PCMA/8000",
        "a=rtpmap:101 telephone-event/8000",
        "a=fmtp:101 0-15",
        "a=ptime:20",
        "a=rtcp:20003",
        "a=label:2",
        "a=sendonly",
        "",
      ].join("\r\n"),
    );
  });

  test("SRTP: RTP/SAVP with a=crypto; rtcp-mux replaces a=rtcp; G722", () => {
    const crypto = [{ tag: 1, suite: "AES_CM_128_HMAC_SHA1_80", keyParams: "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz" }];
    const o = buildRecordingOffer({
      ...OPTS,
      codecs: ["G722", "PCMU"],
      srtp: true,
      rtcpMux: true,
      telephoneEvent: false,
      streams: [{ label: "1", port: 20000, rtcpPort: 20001, crypto }],
    });
    const text = serializeSdp(o);
    expect(text).toContain("m=audio 20000 RTP/SAVP 9 0\r\na=rtpmap:9 G722/8000\r\n");
    expect(text).toContain("a=rtcp-mux\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:");
    expect(text).not.toContain("a=rtcp:");
    expect(serializeSdp(sdp(text))).toBe(text);
  });

  test("labels must be unique RFC 4574 tokens", () => {
    expect(() =>
      buildRecordingOffer({
        ...OPTS,
        streams: [
          { label: "1", port: 1 },
          { label: "1", port: 3 },
        ],
      }),
    ).toThrow("duplicate label");
    expect(() => buildRecordingOffer({ ...OPTS, streams: [{ label: "a b", port: 1 }] })).toThrow("not an RFC 4574 token");
  });

  test("pause and resume: every stream flips, o= version +1 each time, session id kept", () => {
    const o1 = buildRecordingOffer(OPTS);
    const paused = reofferDirection(o1, "inactive");
    const resumed = reofferDirection(paused, "sendonly");
    expect(paused.media.map((m) => m.direction)).toEqual(["inactive", "inactive"]);
    expect(resumed.media.map((m) => m.direction)).toEqual(["sendonly", "sendonly"]);
    expect([o1, paused, resumed].map((s) => s.origin.sessionVersion)).toEqual([1n, 2n, 3n]);
    expect(resumed.origin.sessionId).toBe(o1.origin.sessionId);
    expect(serializeSdp(resumed).replace("3 IN IP4", "1 IN IP4")).toBe(serializeSdp(o1));
  });

  test("a rejected stream stays rejected across pause/resume", () => {
    const o = reofferRemoveStream(buildRecordingOffer(OPTS), "2");
    expect(o.media[1]?.port).toBe(0);
    expect(reofferDirection(o, "inactive").media[1]?.direction).toBe("sendonly");
  });

  test("adding a stream re-uses a disabled m-line, else appends (RFC 3264 §8)", () => {
    const base = buildRecordingOffer(OPTS);
    const extra = buildOfferMedia(OPTS, { label: "3", port: 20004 });
    expect(reofferAddStream(base, extra).media.map((m) => m.label)).toEqual(["1", "2", "3"]);
    expect(reofferAddStream(reofferRemoveStream(base, "1"), extra).media.map((m) => m.label)).toEqual(["3", "2"]);
  });
});

describe("answer analysis", () => {
  const offer = buildRecordingOffer(OPTS);
  const analyze = (body: string) => {
    const r = analyzeAnswer(offer, sdp(answerText(body)));
    if (!r.ok) throw new Error(r.error.message);
    return r.value;
  };
  const outcome = (body: string, i = 0): StreamOutcome => analyze(body).streams[i] as StreamOutcome;

  test("RFC 7866 Figure 6 style answer: accepted, matched by label even when reordered", () => {
    const a = analyze(
      "m=audio 10004 RTP/AVP 8\r\na=recvonly\r\na=label:2\r\nm=audio 10000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=recvonly\r\na=label:1\r\n",
    );
    expect(a.streams).toEqual([
      {
        status: "accepted",
        label: "1",
        connection: { addrType: "IP4", address: "198.51.100.20" },
        port: 10000,
        rtcp: { address: "198.51.100.20", port: 10001 },
        payloadType: 0,
        codec: "PCMU",
        clockRate: 8000,
        telephoneEventPt: 101,
      },
      {
        status: "accepted",
        label: "2",
        connection: { addrType: "IP4", address: "198.51.100.20" },
        port: 10004,
        rtcp: { address: "198.51.100.20", port: 10005 },
        payloadType: 8,
        codec: "PCMA",
        clockRate: 8000,
      },
    ]);
    expect(a.warnings).toEqual(["label 1 answered at m-line 2, offered at 1", "label 2 answered at m-line 1, offered at 2"]);
  });

  test("rejected (port 0) and inactive streams", () => {
    const a = analyze("m=audio 0 RTP/AVP 0\r\na=label:1\r\nm=audio 10002 RTP/AVP 0\r\na=inactive\r\na=label:2\r\n");
    expect(a.streams[0]).toEqual({ status: "rejected", label: "1" });
    expect(a.streams[1]?.status).toBe("inactive");
  });

  test("no labels: matched by position with a warning", () => {
    const a = analyze("m=audio 10000 RTP/AVP 0\r\na=recvonly\r\nm=audio 10002 RTP/AVP 8\r\na=recvonly\r\n");
    expect(a.streams.map((s) => s.status)).toEqual(["accepted", "accepted"]);
    expect(a.warnings).toEqual(["the answer has no a=label lines: streams matched by position"]);
  });

  test("media-level c= and a=rtcp with an address win; rtcp-mux only when both sides say so", () => {
    const s = outcome(
      "m=audio 10000 RTP/AVP 0\r\nc=IN IP4 203.0.113.9\r\na=rtcp:10009 IN IP4 203.0.113.10\r\na=rtcp-mux\r\na=recvonly\r\na=label:1\r\nm=audio 0 RTP/AVP 0\r\na=label:2\r\n",
    );
    expect(s).toMatchObject({ connection: { address: "203.0.113.9" }, rtcp: { address: "203.0.113.10", port: 10009 } });
  });

  const problems: [string, string, string][] = [
    ["sendrecv from an SRS", "m=audio 10000 RTP/AVP 0\r\na=label:1\r\n", "BAD_DIRECTION"],
    ["sendonly from an SRS", "m=audio 10000 RTP/AVP 0\r\na=sendonly\r\na=label:1\r\n", "BAD_DIRECTION"],
    ["no common codec", "m=audio 10000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\na=recvonly\r\na=label:1\r\n", "NO_COMMON_CODEC"],
    ["protocol changed", "m=audio 10000 RTP/SAVP 0\r\na=recvonly\r\na=label:1\r\n", "PROTOCOL_MISMATCH"],
    ["label not answered", "m=audio 10000 RTP/AVP 0\r\na=recvonly\r\na=label:9\r\n", "NOT_ANSWERED"],
  ];
  for (const [what, first, problem] of problems) {
    test(`unusable: ${what}`, () => {
      const s = outcome(`${first}m=audio 0 RTP/AVP 0\r\na=label:2\r\n`);
      expect(s.status === "unusable" && s.problem).toBe(problem as never);
    });
  }

  test("missing c= anywhere", () => {
    const r = analyzeAnswer(
      offer,
      sdp("v=0\r\no=s 1 1 IN IP4 1.1.1.1\r\ns=-\r\nt=0 0\r\nm=audio 1 RTP/AVP 0\r\na=recvonly\r\na=label:1\r\nm=audio 0 RTP/AVP 0\r\na=label:2\r\n"),
    );
    expect(r.ok && r.value.streams[0]?.status === "unusable" && r.value.streams[0].problem).toBe("NO_CONNECTION");
  });

  test("SRTP: the answer's crypto must be one we offered", () => {
    const key = "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz";
    const srtpOffer = buildRecordingOffer({
      ...OPTS,
      srtp: true,
      streams: [{ label: "1", port: 2, crypto: [{ tag: 1, suite: "AES_CM_128_HMAC_SHA1_80", keyParams: key }] }],
    });
    const ans = (crypto: string) => sdp(answerText(`m=audio 10000 RTP/SAVP 0\r\na=recvonly\r\n${crypto}a=label:1\r\n`));
    const good = analyzeAnswer(srtpOffer, ans(`a=crypto:1 AES_CM_128_HMAC_SHA1_80 ${key}\r\n`));
    expect(good.ok && good.value.streams[0]?.status).toBe("accepted");
    const wrong = analyzeAnswer(srtpOffer, ans(`a=crypto:1 AES_CM_128_HMAC_SHA1_32 ${key}\r\n`));
    expect(wrong.ok && wrong.value.streams[0]?.status === "unusable" && wrong.value.streams[0].problem).toBe("CRYPTO_NOT_OFFERED");
    const none = analyzeAnswer(srtpOffer, ans(""));
    expect(none.ok && none.value.streams[0]?.status === "unusable" && none.value.streams[0].problem).toBe("CRYPTO_MISSING");
  });

  test("m-line count must match (RFC 3264 §6)", () => {
    const r = analyzeAnswer(offer, sdp(answerText("m=audio 10000 RTP/AVP 0\r\na=recvonly\r\na=label:1\r\n")));
    expect(r.ok ? "ok" : r.error.code).toBe("MEDIA_COUNT_MISMATCH");
  });

  test("the RFC 7866 Figure 5/6 pair: all four streams accepted", () => {
    const rfc = (n: string) => sdp(unfoldAllOneLine(stripHashHeader(readReference(`examples/${n}`))));
    const r = analyzeAnswer(rfc("rfc7866-sdp-offer-fig5.txt"), rfc("rfc7866-sdp-answer-fig6.txt"));
    expect(r.ok && r.value.streams.map((s) => `${s.label}:${s.status}`)).toEqual(["1:accepted", "2:accepted", "3:accepted", "4:accepted"]);
  });
});
