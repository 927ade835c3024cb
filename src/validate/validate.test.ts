import { beforeAll, describe, expect, test } from "bun:test";
import { withStrict } from "./report.ts";
import { detectKind, validateBytes } from "./validate.ts";
import type { RuleId } from "./rules.ts";
import { type Libxml, loadLibxml } from "../siprec/metadata/libxml.ts";
import { buildInvite, goldenParts, type GoldenParts } from "../../test/support/golden-invite.ts";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { LINKTYPE } from "../pcap/decode.ts";
import { FS_FIXTURES } from "../../test/support/esl-fixtures.ts";
import { frame, ipv4, pcapFile, tcp, udp } from "../../test/support/pcap-writer.ts";
import { listReference, readReference, sipFromFigure, stripHashHeader, toCrlf, unfoldAllOneLine } from "../../test/support/vectors.ts";

let lib: Libxml;
beforeAll(async () => {
  lib = await loadLibxml();
});

const enc = (s: string) => new TextEncoder().encode(s);
const rules = (bytes: Uint8Array) => validateBytes(lib, "in", bytes).map((f) => f.rule);
const errors = (bytes: Uint8Array) =>
  validateBytes(lib, "in", bytes)
    .filter((f) => f.severity === "error")
    .map((f) => f.rule);
const invite = (change: (p: GoldenParts) => void) => {
  const p = goldenParts();
  change(p);
  return buildInvite(p);
};

describe("detection", () => {
  test("kinds", () => {
    expect(detectKind(enc("v=0\r\no=..."))).toBe("sdp");
    expect(detectKind(enc('  <?xml version="1.0"?><a/>'))).toBe("metadata");
    expect(detectKind(enc("--b\r\nContent-Type: a/b\r\n"))).toBe("multipart");
    expect(detectKind(enc("INVITE sip:a@b SIP/2.0\r\n"))).toBe("sip");
    expect(detectKind(enc("SIP/2.0 200 OK\r\n"))).toBe("sip");
    expect(detectKind(new Uint8Array([0xd4, 0xc3, 0xb2, 0xa1, 2, 0]))).toBe("capture");
    expect(detectKind(enc("hello"))).toBe("unknown");
  });
});

describe("the reference corpus", () => {
  for (const f of [...listReference("examples", ".xml"), "examples/constructed/pos-reason-stream-minimal.xml"]) {
    test(`valid: ${f}`, () => {
      expect(validateBytes(lib, f, enc(readReference(f)))).toEqual([]);
    });
  }

  const negatives: [string, RuleId][] = [
    ["neg-element-order.xml", "metadata-element-order"],
    ["neg-non-base64-id.xml", "metadata-id-base64"],
    ["neg-participant-without-nameID.xml", "metadata-participant-nameid"],
    ["neg-reason-without-cause.xml", "metadata-reason-cause"],
    ["neg-recv-before-send.xml", "metadata-send-recv-order"],
    ["neg-wrong-namespace.xml", "metadata-namespace"],
  ];
  for (const [f, rule] of negatives) {
    test(`invalid: ${f} → ${rule}`, () => {
      const found = validateBytes(lib, f, enc(readReference(`examples/constructed/${f}`)));
      expect(found.map((x) => x.rule)).toContain(rule);
      expect(found.find((x) => x.rule === rule)?.line).toBeGreaterThan(0);
    });
  }

  test("RFC 7866 Figure 5 SDP offer is a valid SRC offer", () => {
    expect(validateBytes(lib, "fig5", enc(toCrlf(unfoldAllOneLine(stripHashHeader(readReference("examples/rfc7866-sdp-offer-fig5.txt"))))))).toEqual([]);
  });

  test("RFC 7866 Figure 6 SDP answer is an SRS answer, not an SRC offer", () => {
    const found = validateBytes(lib, "fig6", enc(toCrlf(unfoldAllOneLine(stripHashHeader(readReference("examples/rfc7866-sdp-answer-fig6.txt"))))));
    expect(found.map((x) => [x.rule, x.line])).toEqual([
      ["sdp-direction", 6],
      ["sdp-direction", 9],
      ["sdp-direction", 14],
      ["sdp-direction", 17],
    ]);
  });

  // Decided outcome: RFC 7866's INVITE figure is a sketch. Its metadata part is the
  // placeholder "[metadata content]" and the body has no closing delimiter, so it is
  // not a valid recording INVITE; its SIP headers and SDP are fine.
  test("RFC 7866 Figure 12 INVITE: the placeholder and missing delimiter are errors, the headers pass", () => {
    const found = validateBytes(lib, "fig12", sipFromFigure(readReference("examples/rfc7866-invite-example.txt")));
    expect(found.map((x) => `${x.severity}:${x.rule}`).sort()).toEqual([
      "error:body-parse",
      "error:metadata-well-formed",
      "warning:metadata-media-type",
      "warning:metadata-xml-declaration",
      "warning:src-allow-update",
    ]);
  });

  test("RFC 7866 Figure 13 UPDATE (snapshot request from the SRS) is valid but for the legacy media type", () => {
    const found = validateBytes(lib, "fig13", sipFromFigure(readReference("examples/rfc7866-update-requestsnapshot-example.txt")));
    expect(found.map((x) => `${x.severity}:${x.rule}`)).toEqual(["warning:metadata-media-type"]);
  });

  // Decided outcome: RFC 8068's figures are snippets. The INVITE is indented as printed
  // (not a SIP message); the BYE continues its Accept header on a line without leading
  // whitespace (the figure's margin is gone), which is no longer header folding.
  test("RFC 8068 figures are snippets: reported, not crashed on", () => {
    expect(errors(sipFromFigure(readReference("examples/rfc8068-3.2.1-invite-basic-call.txt")))).toEqual(["input-unrecognized"]);
    const bye = validateBytes(lib, "bye", sipFromFigure(readReference("examples/rfc8068-3.2.4-bye-with-metadata.txt")));
    expect(bye.map((x) => [x.rule, x.line])).toEqual([["sip-parse", 11]]);
  });
});

describe("RFC 7866 message rules", () => {
  test("positive control: siprec's own INVITE has no finding at all", () => {
    expect(validateBytes(lib, "golden", buildInvite())).toEqual([]);
  });

  const cases: [string, (p: GoldenParts) => void, RuleId][] = [
    ["no Require: siprec", (p) => (p.headers = p.headers.filter((h) => h.name !== "Require")), "src-require-siprec"],
    [
      "+sip.src inside the URI",
      (p) => (p.headers = p.headers.map((h) => (h.name === "Contact" ? { name: h.name, value: "<sip:siprec@127.0.0.1;+sip.src>" } : h))),
      "src-contact-feature",
    ],
    [
      "no Contact feature tag",
      (p) => (p.headers = p.headers.map((h) => (h.name === "Contact" ? { name: h.name, value: "<sip:siprec@127.0.0.1>" } : h))),
      "src-contact-feature",
    ],
    [
      "no UPDATE in Allow",
      (p) => (p.headers = p.headers.map((h) => (h.name === "Allow" ? { name: h.name, value: "INVITE, ACK, BYE" } : h))),
      "src-allow-update",
    ],
    ["metadata without recording-session disposition", (p) => delete p.disposition, "metadata-disposition"],
    ["legacy metadata type", (p) => (p.metadataType = "application/rs-metadata"), "metadata-media-type"],
    ["metadata label not in the SDP", (p) => (p.metadata = p.metadata.replace("<label>2</label>", "<label>7</label>")), "metadata-label-match"],
    ["SDP label not in the complete metadata", (p) => (p.sdp = p.sdp.replace("a=label:2", "a=label:9")), "metadata-label-match"],
    ["sendrecv stream", (p) => (p.sdp = p.sdp.replace("a=sendonly", "a=sendrecv")), "sdp-direction"],
    ["missing label", (p) => (p.sdp = p.sdp.replace("a=label:1\r\n", "")), "sdp-label-missing"],
    ["duplicate label", (p) => (p.sdp = p.sdp.replace("a=label:2", "a=label:1")), "sdp-label-duplicate"],
    ["no c= line", (p) => (p.sdp = p.sdp.replace("c=IN IP4 127.0.0.1\r\n", "")), "sdp-connection"],
    ["RTP/SAVP without crypto", (p) => (p.sdp = p.sdp.replace("RTP/AVP", "RTP/SAVP")), "sdp-crypto"],
    [
      "an SDES key over UDP/TCP (RFC 4568 §8.3)",
      (p) =>
        (p.sdp = p.sdp
          .replace(/RTP\/AVP/g, "RTP/SAVP")
          .replace(/a=sendonly/g, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\na=sendonly")),
      "sdes-over-plain",
    ],
    [
      "initial INVITE with partial metadata",
      (p) => (p.metadata = p.metadata.replace("<datamode>complete</datamode>", "<datamode>partial</datamode>")),
      "metadata-initial-partial",
    ],
    [
      "duplicate participant ids",
      (p) => (p.metadata = p.metadata.replace(/participant_id="([^"]+)"([\s\S]*?)participant_id="[^"]+"/, 'participant_id="$1"$2participant_id="$1"')),
      "metadata-duplicate-id",
    ],
    [
      "association to an undefined stream",
      (p) => (p.metadata = p.metadata.replace(/<send>[^<]+<\/send>/, "<send>AAAAAAAAAAAAAAAAAAAAAA==</send>")),
      "metadata-dangling-reference",
    ],
    ["wrong metadata namespace", (p) => (p.metadata = p.metadata.replace("recording:1", "recording")), "metadata-namespace"],
    ["bad time", (p) => (p.metadata = p.metadata.replace("2026-11-26T12:00:00Z", "yesterday")), "metadata-time-format"],
    ["no XML declaration", (p) => (p.metadata = p.metadata.replace(/^<\?xml[^>]*>\s*/, "")), "metadata-xml-declaration"],
  ];
  for (const [what, change, rule] of cases) {
    test(`${what} → ${rule}`, () => {
      expect(rules(invite(change))).toContain(rule);
    });
  }

  test("the same SDES key over TLS is fine; --strict makes the plain-transport warning an error", () => {
    const keyed = (p: GoldenParts) =>
      (p.sdp = p.sdp
        .replace(/RTP\/AVP/g, "RTP/SAVP")
        .replace(/a=sendonly/g, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\na=sendonly"));
    const overTls = invite((p) => {
      keyed(p);
      p.headers = p.headers.map((h) => (h.name === "Via" ? { name: "Via", value: h.value.replace(/SIP\/2\.0\/[A-Z]+/, "SIP/2.0/TLS") } : h));
    });
    expect(rules(overTls)).not.toContain("sdes-over-plain");
    const plain = validateBytes(lib, "x", invite(keyed)).filter((f) => f.rule === "sdes-over-plain");
    expect(plain.map((f) => f.severity)).toEqual(["warning"]);
    expect(plain.map((f) => withStrict(f, true).severity)).toEqual(["error"]);
  });

  test("a re-INVITE (To has a tag) may carry partial metadata and needs no Require", () => {
    const p = goldenParts();
    p.headers = p.headers.filter((h) => h.name !== "Require").map((h) => (h.name === "To" ? { name: "To", value: "<sip:srs@127.0.0.1>;tag=srs1" } : h));
    p.metadata = p.metadata.replace("<datamode>complete</datamode>", "<datamode>partial</datamode>");
    expect(errors(buildInvite(p))).toEqual([]);
  });

  test("an SRS 200 OK answer must be recvonly", () => {
    const ok = `SIP/2.0 200 OK\r\nContact: <sip:srs@127.0.0.1>;+sip.srs\r\nContent-Type: application/sdp\r\n\r\nv=0\r\no=s 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=label:1\r\na=sendonly\r\n`;
    const found = validateBytes(lib, "200", enc(ok));
    expect(found.map((x) => [x.rule, x.line])).toEqual([["sdp-direction", 10]]);
  });

  test("locations: SDP and metadata findings point at lines of the whole message", () => {
    const bytes = invite((p) => (p.sdp = p.sdp.replace("a=label:1\r\n", "")));
    const text = new TextDecoder().decode(bytes).split("\r\n");
    const f = validateBytes(lib, "x", bytes).find((x) => x.rule === "sdp-label-missing");
    expect(text[(f?.line ?? 0) - 1]).toStartWith("m=audio 20000");
  });
});

describe("bad input ends in a clear finding", () => {
  test("non-UTF-8 bytes", () => {
    expect(validateBytes(lib, "x", new Uint8Array([0x3c, 0x61, 0xff, 0x3e]))).toMatchObject([{ rule: "input-not-utf8", message: "invalid UTF-8 at byte 2" }]);
  });
  test("truncated XML", () => {
    expect(errors(enc(readReference("examples/rfc7865-metadata-example-1.xml").slice(0, 700)))).toEqual(["metadata-well-formed"]);
  });
  test("billion laughs", () => {
    const x =
      '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n<recording xmlns="urn:ietf:params:xml:ns:recording:1">&b;</recording>';
    expect(validateBytes(lib, "x", enc(x))).toMatchObject([{ rule: "metadata-well-formed", line: 2 }]);
  });
  test("100k nested elements", () => {
    expect(errors(enc(`<?xml version="1.0" encoding="UTF-8"?><recording xmlns="urn:ietf:params:xml:ns:recording:1">${"<a>".repeat(100_000)}`))).toEqual([
      "metadata-well-formed",
    ]);
  });
  test("multipart without its closing boundary", () => {
    const whole = new TextDecoder().decode(buildInvite());
    const [head, body] = whole.split("\r\n\r\n", 2) as [string, string];
    const cutBody = whole.slice(head.length + 4).replace("--siprec-golden--\r\n", "");
    const msg = `${head.replace(/Content-Length: \d+/, `Content-Length: ${enc(cutBody).length}`)}\r\n\r\n${cutBody}`;
    expect(body.length).toBeGreaterThan(0);
    expect(errors(enc(msg))).toEqual(["body-parse"]);
  });
  test("SDP with 10,000 m-lines", () => {
    expect(errors(enc(`v=0\r\no=a 1 1 IN IP4 1.1.1.1\r\ns=-\r\nt=0 0\r\n${"m=audio 1 RTP/AVP 0\r\n".repeat(10_000)}`))).toEqual(["sdp-parse"]);
  });
  test("captures cut short and unknown text", () => {
    expect(rules(new Uint8Array([0x0a, 0x0d, 0x0d, 0x0a, 0, 0, 0, 0])).sort()).toEqual(["capture-damaged", "capture-no-siprec"]);
    expect(rules(enc("hello world"))).toEqual(["input-unrecognized"]);
  });
});

describe("captures", () => {
  /** The golden INVITE (and a broken one) as UDP in a pcap, fragmented like a real SIPREC INVITE over UDP. */
  const capture = (...messages: Uint8Array[]): Uint8Array => {
    const recs = messages.flatMap((m, n) => {
      const whole = udp(5060, 5070, m);
      const cuts = [];
      for (let at = 0; at < whole.length; at += 1480) cuts.push(at);
      return cuts.map((off, i) => ({
        timeUs: n * 1e6 + i,
        data: frame.ethernet(ipv4("10.0.0.1", "10.0.0.2", whole.subarray(off, off + 1480), { id: 100 + n, offset: off, more: off + 1480 < whole.length })),
      }));
    });
    return pcapFile(LINKTYPE.ETHERNET, recs);
  };

  test("every SIPREC INVITE in a capture is checked; findings name the packet and the message", () => {
    const good = buildInvite();
    expect(good.length).toBeGreaterThan(1480);
    expect(validateBytes(lib, "cap.pcap", capture(good))).toEqual([]);
    const bad = invite((p) => (p.headers = p.headers.filter((h) => h.name !== "Require")));
    const findings = validateBytes(lib, "cap.pcap", capture(good, bad));
    expect(findings.map((f) => [f.rule, f.file])).toContainEqual(["src-require-siprec", expect.stringMatching(/^cap\.pcap#\d+$/)]);
    expect(findings.find((f) => f.rule === "src-require-siprec")!.message).toMatch(/^INVITE \S+ \(10\.0\.0\.1:5060 -> 10\.0\.0\.2:5070\): /);
  });

  test("SIP over TCP: an INVITE cut into segments that arrive out of order, with a retransmission, is put back together and checked", () => {
    const bad = invite((p) => (p.headers = p.headers.filter((h) => h.name !== "Require")));
    const seq0 = 1_000_000;
    const at = (n: number) => bad.subarray(n * 600, n * 600 + 600);
    const seg = (n: number) => frame.ethernet(ipv4("10.0.0.1", "10.0.0.2", tcp(40000, 5060, seq0 + 1 + n * 600, at(n)), { protocol: 6 }));
    const parts = Math.ceil(bad.length / 600);
    const order = [0, 2, 1, ...Array.from({ length: parts - 3 }, (_, i) => i + 3), 1];
    const recs = [
      { timeUs: 0, data: frame.ethernet(ipv4("10.0.0.1", "10.0.0.2", tcp(40000, 5060, seq0, new Uint8Array(0), 0x02), { protocol: 6 })) },
      ...order.map((n, i) => ({ timeUs: i + 1, data: seg(n) })),
    ];
    const findings = validateBytes(lib, "tcp.pcap", pcapFile(LINKTYPE.ETHERNET, recs));
    expect(findings.map((f) => f.rule)).toContain("src-require-siprec");
    expect(findings.filter((f) => f.rule === "src-require-siprec")).toHaveLength(1);
  });

  test("a capture of a plain call holds nothing to check: one warning", () => {
    const fixture = new Uint8Array(readFileSync(join(FS_FIXTURES, "call-pcmu-two-way.pcapng")));
    expect(validateBytes(lib, "call.pcapng", fixture).map((f) => [f.rule, f.severity])).toEqual([["capture-no-siprec", "warning"]]);
  });
});
