/**
 * Wideband codecs in the SDP both ways: our offer with L16/16000 (a dynamic
 * type, telephone-event at 16 kHz beside it) and G722, the SRS's answer
 * analysed, and the reference SRS's own answer with its codec preference.
 */
import { describe, expect, test } from "bun:test";
import { analyzeAnswer, type StreamOutcome } from "./answer.ts";
import { buildRecordingOffer, type RecordingOfferOptions } from "./offer.ts";
import { buildSrsAnswer } from "./srs-answer.ts";
import { parseSdp } from "../sdp/parse.ts";
import { serializeSdp } from "../sdp/serialize.ts";
import type { Sdp } from "../sdp/types.ts";
import { FixedIds } from "../../test/support/fixed-ids.ts";

const OPTS: RecordingOfferOptions = {
  sessionId: "1",
  sessionVersion: 1n,
  address: "192.0.2.10",
  addrType: "IP4",
  codecs: ["PCMU", "G722", "L16"],
  telephoneEvent: true,
  ptime: 20,
  rtcpMux: true,
  srtp: false,
  streams: [{ label: "1", port: 20000 }],
};

function sdp(text: string): Sdp {
  const r = parseSdp(text);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

const answer = (m: string) => sdp(`v=0\r\no=srs 1 1 IN IP4 198.51.100.20\r\ns=-\r\nc=IN IP4 198.51.100.20\r\nt=0 0\r\n${m}`);

describe("offering wideband", () => {
  test("L16/16000 on dynamic type 96; telephone-event at 8 kHz for G.711/G.722 and at 16 kHz for L16 (RFC 4733 §2.1)", () => {
    const text = serializeSdp(buildRecordingOffer(OPTS));
    expect(text).toContain(
      "m=audio 20000 RTP/AVP 0 9 96 101 102\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:9 G722/8000\r\na=rtpmap:96 L16/16000\r\na=rtpmap:101 telephone-event/8000\r\na=rtpmap:102 telephone-event/16000\r\na=fmtp:101 0-15\r\na=fmtp:102 0-15\r\n",
    );
    expect(serializeSdp(sdp(text))).toBe(text);
  });

  test("only L16: only the 16 kHz telephone-event", () => {
    const text = serializeSdp(buildRecordingOffer({ ...OPTS, codecs: ["L16"] }));
    expect(text).toContain("m=audio 20000 RTP/AVP 96 102\r\n");
    expect(text).not.toContain("telephone-event/8000");
  });

  const offer = buildRecordingOffer(OPTS);
  const outcome = (m: string): StreamOutcome => {
    const r = analyzeAnswer(offer, answer(m));
    if (!r.ok) throw new Error(r.error.message);
    return r.value.streams[0] as StreamOutcome;
  };

  test("an SRS answering L16/16000 with the 16 kHz telephone-event: clock 16000, events on 102", () => {
    expect(
      outcome("m=audio 30000 RTP/AVP 96 102\r\na=rtpmap:96 L16/16000\r\na=rtpmap:102 telephone-event/16000\r\na=rtcp-mux\r\na=recvonly\r\na=label:1\r\n"),
    ).toMatchObject({
      status: "accepted",
      codec: "L16",
      payloadType: 96,
      clockRate: 16000,
      telephoneEventPt: 102,
    });
  });

  test("G722 answered: clock 8000 (RFC 3551 §4.5.2), the 8 kHz telephone-event", () => {
    expect(outcome("m=audio 30000 RTP/AVP 9 101\r\na=rtpmap:101 telephone-event/8000\r\na=recvonly\r\na=label:1\r\n")).toMatchObject({
      codec: "G722",
      clockRate: 8000,
      telephoneEventPt: 101,
    });
  });

  test("L16 at another clock than offered is no common codec", () => {
    expect(outcome("m=audio 30000 RTP/AVP 96\r\na=rtpmap:96 L16/8000\r\na=recvonly\r\na=label:1\r\n")).toMatchObject({ status: "unusable" });
  });
});

describe("the reference SRS's codec choice", () => {
  const ports = new Map([["1", 40000]]);
  const answerTo = (prefer?: Parameters<typeof buildSrsAnswer>[5]) => buildSrsAnswer(offer(), ports, "127.0.0.1", new FixedIds(), new Map(), prefer);
  const offer = () => buildRecordingOffer(OPTS);

  test("by default the client's first offered codec it records", () => {
    expect(answerTo().streams[0]).toMatchObject({ accepted: true, codec: "PCMU", payloadType: 0, telephoneEventPt: 101 });
  });

  test("--codecs L16,G722: L16/16000 with the 16 kHz telephone-event", () => {
    const a = answerTo(["L16", "G722"]);
    expect(a.streams[0]).toMatchObject({ accepted: true, codec: "L16", payloadType: 96, telephoneEventPt: 102 });
    expect(serializeSdp(a.sdp)).toContain("m=audio 40000 RTP/AVP 96 102\r\na=rtpmap:96 L16/16000\r\na=rtpmap:102 telephone-event/16000\r\n");
  });

  test("--codecs PCMA when only PCMU and G722 are offered: the stream is refused, naming what it wanted", () => {
    const a = buildSrsAnswer(buildRecordingOffer({ ...OPTS, codecs: ["PCMU", "G722"] }), ports, "127.0.0.1", new FixedIds(), new Map(), ["PCMA"]);
    expect(a.streams[0]).toMatchObject({ accepted: false, reason: "none of PCMA offered" });
  });
});
