import { describe, expect, test } from "bun:test";
import { parseSdp, MAX_MEDIA } from "./parse.ts";
import { serializeSdp } from "./serialize.ts";
import { parseInlineKey, serializeInlineKey } from "./crypto-attr.ts";
import { effectiveDirection } from "./types.ts";
import { readReference, stripHashHeader, unfoldAllOneLine } from "../../test/support/vectors.ts";
import { textMutations } from "../../test/support/mutate.ts";

const rfc = (name: string) => unfoldAllOneLine(stripHashHeader(readReference(`examples/${name}`)));

function parsed(text: string) {
  const r = parseSdp(text);
  if (!r.ok) throw new Error(`${r.error.code} at line ${r.error.line}: ${r.error.message}`);
  return r.value;
}

describe("RFC 7866 figures", () => {
  test("Figure 5 offer: four labelled sendonly streams", () => {
    const s = parsed(rfc("rfc7866-sdp-offer-fig5.txt"));
    expect(s.media.map((m) => [m.type, m.port, m.label, m.direction])).toEqual([
      ["audio", 12240, "1", "sendonly"],
      ["video", 22456, "2", "sendonly"],
      ["audio", 12242, "3", "sendonly"],
      ["video", 22458, "4", "sendonly"],
    ]);
    expect(s.media[1]?.fmtps[0]?.params).toBe("profile-level-id=42A01E;sprop-parameter-sets=Z0IACpZTBYmI,aMljiA==");
    expect(s.origin).toEqual({
      username: "SRC",
      sessionId: "2890844526",
      sessionVersion: 2890844526n,
      netType: "IN",
      addrType: "IP4",
      address: "198.51.100.1",
    });
    expect(s.media.map((m) => m.line)).toEqual([6, 9, 14, 17]);
  });

  test("Figure 6 answer: recvonly, one codec per audio stream", () => {
    const s = parsed(rfc("rfc7866-sdp-answer-fig6.txt"));
    expect(s.media.map((m) => effectiveDirection(s, m))).toEqual(["recvonly", "recvonly", "recvonly", "recvonly"]);
    expect(s.media[0]?.formats).toEqual(["0"]);
  });
});

describe("round trips", () => {
  test("canonical text survives parse → serialize byte for byte", () => {
    const canonical = [
      "v=0",
      "o=siprec 1234567890123456789012 18446744073709551615 IN IP4 192.0.2.1",
      "s=-",
      "i=recording",
      "c=IN IP4 192.0.2.1",
      "b=AS:128",
      "t=0 0",
      "a=group:BUNDLE x",
      "m=audio 40000 RTP/SAVP 0 8 101",
      "b=AS:64",
      "a=rtpmap:0 PCMU/8000",
      "a=rtpmap:8 PCMA/8000",
      "a=rtpmap:101 telephone-event/8000",
      "a=fmtp:101 0-15",
      "a=ptime:20",
      "a=rtcp:40001 IN IP4 192.0.2.1",
      "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4",
      "a=label:main-1",
      "a=sendonly",
      "a=x-custom:42",
      "m=audio 0 RTP/AVP 0",
      "a=rtcp-mux",
      "a=label:2",
      "a=inactive",
      "",
    ].join("\r\n");
    expect(serializeSdp(parsed(canonical))).toBe(canonical);
  });

  test("tolerant input: LF line ends and other orders give the canonical form", () => {
    const input = "v=0\no=a 1 2 IN IP4 127.0.0.1\ns=-\nt=0 0\nc=IN IP4 127.0.0.1\nm=audio 5000 RTP/AVP 0\na=sendonly\na=label:7\na=rtpmap:0 PCMU/8000\n";
    const canonical =
      "v=0\r\no=a 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=label:7\r\na=sendonly\r\n";
    expect(serializeSdp(parsed(input))).toBe(canonical);
    expect(serializeSdp(parsed(canonical))).toBe(canonical);
  });

  test("the RFC figures reach a fixed point after one pass", () => {
    for (const f of ["rfc7866-sdp-offer-fig5.txt", "rfc7866-sdp-answer-fig6.txt"]) {
      const once = serializeSdp(parsed(rfc(f)));
      expect(serializeSdp(parsed(once))).toBe(once);
    }
  });
});

describe("RFC 4568 crypto", () => {
  const fig = readReference("vectors/rfc4568-sdes-excerpts.txt");
  test("§4.5 example parses (continuation lines joined)", () => {
    const start = fig.indexOf("      v=0\n      o=jdoe");
    const block = fig.slice(start, fig.indexOf("a=orient:portrait", start) + "a=orient:portrait".length);
    const text = block
      .split("\n")
      .map((l) => l.slice(6))
      .join("\n")
      .replace(/\n (inline:)/g, " $1");
    const s = parsed(text);
    expect(s.media.map((m) => m.crypto.map((c) => [c.tag, c.suite, c.keyParams]))).toEqual([
      [[1, "AES_CM_128_HMAC_SHA1_80", "inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj|2^20|1:32"]],
      [[1, "AES_CM_128_HMAC_SHA1_32", "inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj|2^20|1:32"]],
      [],
    ]);
    expect(s.otherLines.map((l) => l.type)).toEqual(["i", "u", "e"]);
    expect(s.connection?.address).toBe("161.44.17.12/127");
  });

  test("inline key: 30-byte key||salt, lifetime, MKI", () => {
    const k = parseInlineKey("inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4", "AES_CM_128_HMAC_SHA1_80");
    if (!k.ok) throw new Error(k.error);
    expect(k.value.keySalt.length).toBe(30);
    expect(k.value.lifetime).toBe(1048576n);
    expect(k.value.mki).toEqual({ value: 1, length: 4 });
    expect(serializeInlineKey(k.value)).toBe("inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4");
  });

  test("bad inline keys are refused with a reason", () => {
    expect(parseInlineKey("inline:short", "AES_CM_128_HMAC_SHA1_80")).toMatchObject({ ok: false });
    expect(parseInlineKey("inline:!!!!", "AES_CM_128_HMAC_SHA1_80")).toEqual({ ok: false, error: "the inline key is not valid base64" });
    expect(parseInlineKey("inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:200", "AES_CM_128_HMAC_SHA1_80")).toEqual({
      ok: false,
      error: "MKI length must be 1..128, got 200",
    });
    expect(parseInlineKey("uri:x", "AES_CM_128_HMAC_SHA1_80").ok).toBe(false);
  });
});

describe("bad SDP gives a specific error with its line", () => {
  const cases: [string, string, string, number | undefined][] = [
    ["not SDP", "hello", "SDP_MISSING_VERSION", 1],
    ["bad line", "v=0\no=a 1 1 IN IP4 1.1.1.1\ns=-\nt=0 0\nfoo bar\n", "SDP_BAD_LINE", 5],
    ["no o=", "v=0\ns=-\nt=0 0\n", "SDP_MISSING_FIELD", undefined],
    ["bad o=", "v=0\no=a b c\ns=-\nt=0 0\n", "SDP_BAD_ORIGIN", 2],
    ["bad c=", "v=0\no=a 1 1 IN IP4 1.1.1.1\ns=-\nc=IN IPX 1\nt=0 0\n", "SDP_BAD_CONNECTION", 4],
    ["bad m=", "v=0\no=a 1 1 IN IP4 1.1.1.1\ns=-\nt=0 0\nm=audio x RTP/AVP 0\n", "SDP_BAD_MEDIA", 5],
    ["port range", "v=0\no=a 1 1 IN IP4 1.1.1.1\ns=-\nt=0 0\nm=audio 70000 RTP/AVP 0\n", "SDP_BAD_MEDIA", 5],
  ];
  for (const [what, text, code, line] of cases) {
    test(what, () => {
      const r = parseSdp(text);
      expect(r.ok).toBe(false);
      if (!r.ok) expect([r.error.code as string, r.error.line]).toEqual([code, line]);
    });
  }

  const manyMedia = (n: number) => `v=0\no=a 1 1 IN IP4 1.1.1.1\ns=-\nt=0 0\n${"m=audio 1 RTP/AVP 0\n".repeat(n)}`;
  test("too many m-lines: refused at the first one past the limit", () => {
    const r = parseSdp(manyMedia(MAX_MEDIA + 50));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toEqual({ code: "SDP_TOO_MANY_MEDIA", message: `more than ${MAX_MEDIA} m-lines`, line: 5 + MAX_MEDIA });
  });

  test("10,000 m-lines: refused before any parsing", () => {
    const r = parseSdp(manyMedia(10_000));
    expect(r.ok ? "ok" : String(r.error.code)).toBe("SDP_TOO_LARGE");
  });

  test("oversized input", () => {
    const r = parseSdp(`v=0\n${"a=x\n".repeat(20_000)}`);
    expect(r.ok ? "ok" : String(r.error.code)).toBe("SDP_TOO_LARGE");
  });

  test("seeded mutations never throw", () => {
    for (const text of textMutations(rfc("rfc7866-sdp-offer-fig5.txt"), 7, 500)) {
      const r = parseSdp(text);
      if (r.ok) expect(() => serializeSdp(r.value)).not.toThrow();
    }
  });
});
