import { describe, expect, test } from "bun:test";
import { answerSrsOffer } from "./srs-offer.ts";
import { answerSrsReoffer, srsOfferFor } from "./srs-answer.ts";
import { buildRecordingOffer } from "./offer.ts";
import { newCryptoAttr } from "../sdp/crypto-attr.ts";
import { parseSdp } from "../sdp/parse.ts";
import type { Sdp } from "../sdp/types.ts";
import { FixedIds } from "../../test/support/fixed-ids.ts";

const sdp = (text: string): Sdp => {
  const r = parseSdp(text.replace(/\n/g, "\r\n"));
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};

function srtpSession() {
  const ids = new FixedIds(5);
  const k1 = newCryptoAttr(1, "AES_CM_128_HMAC_SHA1_80", ids);
  const local = buildRecordingOffer({
    sessionId: "9",
    sessionVersion: 1n,
    address: "127.0.0.1",
    addrType: "IP4",
    codecs: ["PCMU"],
    telephoneEvent: false,
    ptime: 20,
    rtcpMux: false,
    srtp: true,
    streams: [{ label: "1", port: 40000, rtcpPort: 40001, crypto: [k1.attr] }],
  });
  return { ids, local, keys: new Map([["1", { suite: "AES_CM_128_HMAC_SHA1_80", keySalt: k1.keySalt }]]), k1 };
}

const savpOffer = (suite: string, key: string, port = 7000) =>
  sdp(
    `v=0\no=srs 1 2 IN IP4 127.0.0.1\ns=-\nc=IN IP4 127.0.0.1\nt=0 0\nm=audio ${port} RTP/SAVP 0\na=label:1\na=crypto:3 ${suite} inline:${key}\na=recvonly\n`,
  );
const KEY_A = "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz";
const KEY_B = "d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj";

describe("the SRC's answer to an SRS offer with SRTP (RFC 4568 §7.1.4)", () => {
  test("the same suite keeps our key (and answers with the SRS's tag); the SRS's own key is what RTCP from it is decrypted with", () => {
    const s = srtpSession();
    const r = answerSrsOffer(
      { local: s.local, codecs: ["PCMU"], telephoneEvent: false, srtpSuites: ["AES_CM_128_HMAC_SHA1_80"], keys: s.keys, paused: false, ids: s.ids },
      savpOffer("AES_CM_128_HMAC_SHA1_80", KEY_A),
    );
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.answer.media[0]?.crypto).toEqual([{ ...s.k1.attr, tag: 3 }]);
    expect(r.value.keys.get("1")?.keySalt).toEqual(s.k1.keySalt);
    const o = r.value.streams[0];
    expect(o?.status === "accepted" && o.crypto?.keyParams).toBe(`inline:${KEY_A}`);
    // The SRS re-keys: our key stays, the stream's view of its key changes (a new inbound SRTP context).
    const again = answerSrsOffer(
      {
        local: r.value.answer,
        codecs: ["PCMU"],
        telephoneEvent: false,
        srtpSuites: ["AES_CM_128_HMAC_SHA1_80"],
        keys: r.value.keys,
        paused: false,
        ids: s.ids,
      },
      savpOffer("AES_CM_128_HMAC_SHA1_80", KEY_B),
    );
    if (!again.ok) throw new Error(again.error.message);
    const o2 = again.value.streams[0];
    expect(o2?.status === "accepted" && o2.crypto?.keyParams).toBe(`inline:${KEY_B}`);
  });

  test("another suite means a fresh key of ours; a suite we do not use, or RTP/AVP for an SRTP session, is refused", () => {
    const s = srtpSession();
    const r = answerSrsOffer(
      {
        local: s.local,
        codecs: ["PCMU"],
        telephoneEvent: false,
        srtpSuites: ["AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32"],
        keys: s.keys,
        paused: false,
        ids: s.ids,
      },
      savpOffer("AES_CM_128_HMAC_SHA1_32", KEY_A),
    );
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.keys.get("1")?.suite).toBe("AES_CM_128_HMAC_SHA1_32");
    expect(r.value.keys.get("1")?.keySalt).not.toEqual(s.k1.keySalt);
    const no = answerSrsOffer(
      { local: s.local, codecs: ["PCMU"], telephoneEvent: false, srtpSuites: ["AES_CM_128_HMAC_SHA1_80"], keys: s.keys, paused: false, ids: s.ids },
      savpOffer("AES_CM_128_HMAC_SHA1_32", KEY_A),
    );
    expect(!no.ok && no.error.message).toContain("no crypto suite of ours");
    const avp = answerSrsOffer(
      { local: s.local, codecs: ["PCMU"], telephoneEvent: false, srtpSuites: ["AES_CM_128_HMAC_SHA1_80"], keys: s.keys, paused: false, ids: s.ids },
      sdp("v=0\no=srs 1 2 IN IP4 127.0.0.1\ns=-\nc=IN IP4 127.0.0.1\nt=0 0\nm=audio 7000 RTP/AVP 0\na=label:1\na=recvonly\n"),
    );
    expect(!avp.ok && avp.error.code).toBe("OFFER_NOT_ACCEPTABLE");
  });

  test("while paused (PCI), a recvonly offer is answered inactive: the SRS cannot restart the audio", () => {
    const s = srtpSession();
    const r = answerSrsOffer(
      { local: s.local, codecs: ["PCMU"], telephoneEvent: false, srtpSuites: ["AES_CM_128_HMAC_SHA1_80"], keys: s.keys, paused: true, ids: s.ids },
      savpOffer("AES_CM_128_HMAC_SHA1_80", KEY_A),
    );
    expect(r.ok && r.value.answer.media[0]?.direction).toBe("inactive");
  });
});

describe("the reference SRS's answer to an in-dialog offer", () => {
  const first = sdp(
    "v=0\no=siprec 9 1 IN IP4 127.0.0.1\ns=siprec\nc=IN IP4 127.0.0.1\nt=0 0\nm=audio 40000 RTP/AVP 0\na=label:1\na=sendonly\nm=audio 40002 RTP/AVP 0\na=label:2\na=sendonly\n",
  );
  const ours = sdp(
    "v=0\no=srs 5 1 IN IP4 127.0.0.1\ns=srs\nc=IN IP4 127.0.0.1\nt=0 0\nm=audio 6000 RTP/AVP 0\na=label:1\na=recvonly\nm=audio 6002 RTP/AVP 0\na=label:2\na=recvonly\n",
  );
  const next = (v: number, d1: string, d2: string, p2 = 40002) =>
    sdp(
      `v=0\no=siprec 9 ${v} IN IP4 127.0.0.1\ns=siprec\nc=IN IP4 127.0.0.1\nt=0 0\nm=audio 40000 RTP/AVP 0\na=label:1\na=${d1}\nm=audio ${p2} RTP/AVP 0\na=label:2\na=${d2}\n`,
    );

  test("pause of one label → inactive on that label only; ports, m-line count and our o= kept, version + 1", () => {
    const r = answerSrsReoffer(ours, first, next(2, "sendonly", "inactive"));
    if (!r.ok) throw new Error(r.error);
    expect(r.value.sdp.media.map((m) => `${m.port} ${m.direction}`)).toEqual(["6000 recvonly", "6002 inactive"]);
    expect(r.value.sdp.origin.sessionVersion).toBe(2n);
    expect(r.value.streams.map((s) => s.state)).toEqual(["recvonly", "inactive"]);
    expect(r.value.warnings).toEqual([]);
  });

  test("port 0 stays port 0; sendrecv and fewer m-lines are refused; o= jumps are warnings", () => {
    const gone = answerSrsReoffer(ours, first, next(2, "sendonly", "sendonly", 0));
    expect(gone.ok && gone.value.sdp.media[1]?.port).toBe(0);
    expect(answerSrsReoffer(ours, first, next(2, "sendrecv", "sendonly")).ok).toBe(false);
    expect(
      answerSrsReoffer(
        ours,
        first,
        sdp("v=0\no=siprec 9 2 IN IP4 127.0.0.1\ns=siprec\nc=IN IP4 127.0.0.1\nt=0 0\nm=audio 40000 RTP/AVP 0\na=label:1\na=sendonly\n"),
      ).ok,
    ).toBe(false);
    const jump = answerSrsReoffer(ours, first, next(5, "sendonly", "sendonly"));
    expect(jump.ok && jump.value.warnings[0]).toContain("not + 1");
    const same = answerSrsReoffer(ours, first, next(1, "inactive", "inactive"));
    expect(same.ok && same.value.warnings[0]).toContain("unchanged for a changed description");
  });

  test("the SRS's offer for an offerless re-INVITE: its streams recvonly, version + 1, port 0 kept", () => {
    const o = srsOfferFor({ ...ours, media: [ours.media[0]!, { ...ours.media[1]!, port: 0 }] });
    expect(o.media.map((m) => m.port)).toEqual([6000, 0]);
    expect(o.media[0]?.direction).toBe("recvonly");
    expect(o.origin.sessionVersion).toBe(2n);
  });
});
