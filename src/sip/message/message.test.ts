import { describe, expect, test } from "bun:test";
import { header, headerList, parseMediaType, splitList } from "./headers.ts";
import { buildMultipart, chooseBoundary, parseMultipart, partContentType, partDisposition } from "./multipart.ts";
import { MAX_HEADERS, parseMessage } from "./parse.ts";
import { serializeMessage } from "./serialize.ts";
import type { SipMessage } from "./types.ts";
import { readReference, sipFromFigure } from "../../../test/support/vectors.ts";
import { byteMutations } from "../../../test/support/mutate.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** The RFC 7866 Figure 12 INVITE with CRLF and its real Content-Length. */
const rfc7866Invite = (): Uint8Array => sipFromFigure(readReference("examples/rfc7866-invite-example.txt"));

function parsed(b: Uint8Array, framing: "datagram" | "stream" = "datagram"): SipMessage {
  const r = parseMessage(b, { framing });
  if (!r.ok) throw new Error(`${r.error.code}@${r.error.offset}: ${r.error.message}`);
  return r.value;
}

describe("SIP message codec", () => {
  test("RFC 7866 Figure 12 INVITE: start line, headers, multipart body", () => {
    const m = parsed(rfc7866Invite(), "stream");
    expect(m.kind === "request" && [m.method, m.uri]).toEqual(["INVITE", "sip:recorder@example.com"]);
    expect(header(m, "require")).toBe("siprec");
    expect(header(m, "contact")).toBe("<sip:2000@src.example.com>;+sip.src");
    expect(headerList(m, "Accept")).toEqual(["application/sdp", "application/rs-metadata"]);
    const ct = parseMediaType(header(m, "content-type") ?? "");
    expect(ct).toEqual({ type: "multipart/mixed", params: { boundary: "foobar" } });
    const parts = parseMultipart(m.body, "foobar");
    if (!parts.ok) throw new Error(parts.error.message);
    // The figure ends at the placeholder: RFC 7866 prints no closing delimiter.
    expect(parts.value.closed).toBe(false);
    expect(parts.value.parts.map((p) => [partContentType(p)?.type, partDisposition(p)])).toEqual([
      ["application/sdp", undefined],
      ["application/rs-metadata", "recording-session"],
    ]);
    expect(dec(parts.value.parts[0]!.body).startsWith("v=0\r\n")).toBe(true);
    expect(dec(parts.value.parts[1]!.body)).toBe("[metadata content]\r\n");
  });

  test("round trip: serialize(parse(x)) === x for a canonical message", () => {
    const b = rfc7866Invite();
    expect(dec(serializeMessage(parsed(b)))).toBe(dec(b));
  });

  test("compact forms, folding, LF line ends, comma lists", () => {
    const m = parsed(
      enc(
        'OPTIONS sip:a@b SIP/2.0\ni: abc\nv: SIP/2.0/UDP h;branch=z9hG4bK1\nf: <sip:x@y>;tag=1\nt: <sip:a@b>\nSubject: long\n  folded value\nContact: "A, B" <sip:a@x>, <sip:b@x>\nl: 0\n\n',
      ),
    );
    expect(header(m, "Call-ID")).toBe("abc");
    expect(header(m, "via")).toBe("SIP/2.0/UDP h;branch=z9hG4bK1");
    expect(header(m, "subject")).toBe("long folded value");
    expect(headerList(m, "m")).toEqual(['"A, B" <sip:a@x>', "<sip:b@x>"]);
    expect(splitList('<sip:a,b@x>;p="1,2", c')).toEqual(['<sip:a,b@x>;p="1,2"', "c"]);
  });

  test("responses", () => {
    const m = parsed(enc("SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n"));
    expect(m.kind === "response" && [m.status, m.reason]).toEqual([200, "OK"]);
  });

  test("datagram extra bytes beyond Content-Length are dropped (RFC 3261 §18.3)", () => {
    const m = parsed(enc("SIP/2.0 200 OK\r\nContent-Length: 2\r\n\r\nabcdef"));
    expect(dec(m.body)).toBe("ab");
  });

  const bad: [string, string, string][] = [
    ["no blank line", "INVITE sip:a SIP/2.0\r\nVia: x\r\n", "SIP_NO_HEADER_END"],
    ["bad start line", "HELLO\r\n\r\n", "SIP_BAD_START_LINE"],
    ["bad version", "INVITE sip:a@b SIP/3.0\r\n\r\n", "SIP_BAD_START_LINE"],
    ["bad header", "OPTIONS sip:a@b SIP/2.0\r\nno colon here\r\n\r\n", "SIP_BAD_HEADER"],
    ["placeholder length", "OPTIONS sip:a@b SIP/2.0\r\nContent-Length: [length]\r\n\r\n", "SIP_BAD_CONTENT_LENGTH"],
    ["conflicting lengths", "OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 1\r\nl: 2\r\n\r\nab", "SIP_BAD_CONTENT_LENGTH"],
    ["short body", "OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 10\r\n\r\nab", "SIP_BODY_TRUNCATED"],
    ["too many headers", `OPTIONS sip:a@b SIP/2.0\r\n${"X-A: 1\r\n".repeat(MAX_HEADERS + 1)}\r\n`, "SIP_TOO_MANY_HEADERS"],
    ["too large", `OPTIONS sip:a@b SIP/2.0\r\nX: ${"a".repeat(70_000)}\r\n\r\n`, "SIP_TOO_LARGE"],
  ];
  for (const [what, text, code] of bad) {
    test(`bad input: ${what}`, () => {
      const r = parseMessage(enc(text));
      expect(r.ok ? "ok" : r.error.code).toBe(code);
    });
  }

  test("a stream needs Content-Length", () => {
    const r = parseMessage(enc("OPTIONS sip:a@b SIP/2.0\r\n\r\n"), { framing: "stream" });
    expect(r.ok ? "ok" : r.error.code).toBe("SIP_BAD_CONTENT_LENGTH");
  });

  test("seeded mutations never throw", () => {
    for (const b of byteMutations(rfc7866Invite(), 5, 500)) {
      const r = parseMessage(b);
      if (r.ok) expect(() => parseMultipart(r.value.body, "foobar")).not.toThrow();
    }
  });
});

describe("multipart/mixed", () => {
  const parts = [
    { contentType: "application/sdp", body: enc("v=0\r\n") },
    { contentType: "application/rs-metadata+xml", disposition: "recording-session", body: enc("<recording/>") },
  ];

  test("build → parse round trip, with offsets", () => {
    const body = buildMultipart(parts, "siprec-b1");
    expect(dec(body)).toBe(
      "--siprec-b1\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n\r\n--siprec-b1\r\nContent-Type: application/rs-metadata+xml\r\nContent-Disposition: recording-session\r\n\r\n<recording/>\r\n--siprec-b1--\r\n",
    );
    const r = parseMultipart(body, "siprec-b1");
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.closed).toBe(true);
    expect(r.value.parts.map((p) => dec(p.body))).toEqual(["v=0\r\n", "<recording/>"]);
    expect(dec(body.subarray(r.value.parts[1]!.offset, r.value.parts[1]!.offset + 12))).toBe("<recording/>");
  });

  test("LF line ends, preamble, epilogue, padding after the delimiter, quoted boundary parameter", () => {
    const body = enc("preamble text\n--b  \nContent-Type: text/plain\n\nhello\n--b--\nepilogue");
    expect(parseMediaType('multipart/mixed; boundary="b"; charset=x')?.params["boundary"]).toBe("b");
    const r = parseMultipart(body, "b");
    expect(r.ok && r.value.parts.map((p) => dec(p.body))).toEqual(["hello"]);
  });

  test("a boundary that appears in a part is never chosen", () => {
    const tokens = ["foo", "bar"];
    const b = chooseBoundary([{ contentType: "text/plain", body: enc("x\r\n--foo\r\n") }], () => tokens.shift() ?? "zz");
    expect(b).toBe("bar");
  });

  test("no closing delimiter: parts read to the end, closed = false", () => {
    const r = parseMultipart(enc("--b\r\nContent-Type: a/b\r\n\r\nx\r\n"), "b");
    expect(r.ok && [r.value.closed, r.value.parts.map((p) => dec(p.body))]).toEqual([false, ["x\r\n"]]);
  });

  const bad: [string, string, string, string][] = [
    ["no delimiter at all", "hello", "b", "MULTIPART_NO_FIRST_DELIMITER"],
    ["bad boundary", "--b--", "", "MULTIPART_BAD_BOUNDARY"],
    ["part without blank line", "--b\r\nContent-Type: a/b\r\n--b--\r\n", "b", "MULTIPART_BAD_PART"],
  ];
  for (const [what, text, boundary, code] of bad) {
    test(`bad input: ${what}`, () => {
      const r = parseMultipart(enc(text), boundary);
      expect(r.ok ? "ok" : r.error.code).toBe(code);
    });
  }
});
