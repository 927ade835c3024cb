import { describe, expect, test } from "bun:test";
import { hasParam, nameAddrParam, parseNameAddr, serializeNameAddr } from "./name-addr.ts";
import { parseUri, serializeUri, uriParam } from "./uri.ts";
import { parseCSeq, parseVia, serializeVia, viaParam } from "./via.ts";

describe("URIs", () => {
  const roundTrip = [
    "sip:recorder@example.com",
    "sips:srs@rec.example.com:5061;transport=tls",
    "sip:2000@src.example.com;lr;maddr=192.0.2.1?Subject=hi&Priority=urgent",
    "sip:user:secret@[2001:db8::10]:5070;transport=tcp",
    "sip:192.0.2.4",
    "tel:+1-201-555-0123;phone-context=example.com",
    "sip:%61lice@atlanta.com;transport=TCP",
  ];
  for (const u of roundTrip) {
    test(`round trip ${u}`, () => {
      const r = parseUri(u);
      if (!r.ok) throw new Error(r.error.message);
      expect(serializeUri(r.value)).toBe(u);
    });
  }

  test("parts", () => {
    const r = parseUri("sips:srs@[2001:db8::1]:5061;transport=TLS;lr?x=1");
    expect(r).toEqual({
      ok: true,
      value: {
        scheme: "sips",
        user: "srs",
        host: "[2001:db8::1]",
        port: 5061,
        params: [
          ["transport", "TLS"],
          ["lr", undefined],
        ],
        headers: [["x", "1"]],
      },
    });
    if (r.ok) expect([uriParam(r.value, "TRANSPORT"), uriParam(r.value, "lr"), uriParam(r.value, "maddr")]).toEqual(["TLS", "", undefined]);
  });

  for (const [bad, code] of [
    ["http://example.com", "URI_SCHEME"],
    ["sip:", "URI_SYNTAX"],
    ["sip:@host", "URI_SYNTAX"],
    ["sip:user@host:0", "URI_PORT"],
    ["sip:user@host:99999", "URI_PORT"],
    ["sip:user@ho st", "URI_SYNTAX"],
    ["tel:xyz", "URI_SYNTAX"],
  ] as const) {
    test(`refused: ${bad}`, () => {
      const r = parseUri(bad);
      expect(r.ok ? "ok" : r.error.code).toBe(code);
    });
  }
});

describe("name-addr", () => {
  test("RFC 7866 Contact: +sip.src is a header parameter", () => {
    const r = parseNameAddr("<sip:2000@src.example.com>;+sip.src");
    expect(r.ok && r.value).toEqual({ uri: "sip:2000@src.example.com", params: [["+sip.src", undefined]] });
    if (r.ok) expect(hasParam(r.value, "+SIP.SRC")).toBe(true);
  });

  test("quoted display names with escapes and '<' inside", () => {
    const r = parseNameAddr('"J Rosenberg \\\\\\"<x>" <sip:jdrosen@example.com> ;tag = 98asjd8');
    expect(r.ok && r.value).toEqual({ displayName: 'J Rosenberg \\"<x>', uri: "sip:jdrosen@example.com", params: [["tag", "98asjd8"]] });
  });

  test("addr-spec form: parameters belong to the header (RFC 3261 §20.10)", () => {
    const r = parseNameAddr("sip:bob@biloxi.com;tag=a6c85cf");
    expect(r.ok && [r.value.uri, nameAddrParam(r.value, "tag")]).toEqual(["sip:bob@biloxi.com", "a6c85cf"]);
  });

  test("serialize", () => {
    expect(
      serializeNameAddr({
        displayName: 'A "B"',
        uri: "sip:a@b",
        params: [
          ["tag", "1"],
          ["+sip.src", undefined],
        ],
      }),
    ).toBe('"A \\"B\\"" <sip:a@b>;tag=1;+sip.src');
  });

  test("refused", () => {
    expect(parseNameAddr("<sip:a@b").ok).toBe(false);
    expect(parseNameAddr("Bob").ok).toBe(false);
  });
});

describe("Via and CSeq", () => {
  test("Via with rport, received, IPv6, odd spacing", () => {
    const r = parseVia("SIP  /   2.0 /UDP  192.0.2.2;rport;branch=390skdjuw");
    expect(r.ok && r.value).toEqual({
      transport: "UDP",
      host: "192.0.2.2",
      params: [
        ["rport", undefined],
        ["branch", "390skdjuw"],
      ],
    });
    const v6 = parseVia("SIP/2.0/TLS [2001:db8::9]:5061;branch=z9hG4bK1;received=2001:db8::9");
    expect(v6.ok && [v6.value.host, v6.value.port, viaParam(v6.value, "received")]).toEqual(["[2001:db8::9]", 5061, "2001:db8::9"]);
    if (v6.ok) expect(serializeVia(v6.value)).toBe("SIP/2.0/TLS [2001:db8::9]:5061;branch=z9hG4bK1;received=2001:db8::9");
    expect(parseVia("SIP/3.0/UDP h").ok).toBe(false);
  });

  test("CSeq", () => {
    expect(parseCSeq("0009\r\n  INVITE".replace(/\r\n\s+/, " "))).toEqual({ ok: true, value: { seq: 9, method: "INVITE" } });
    expect(parseCSeq("2147483648 INVITE").ok).toBe(false);
    expect(parseCSeq("INVITE").ok).toBe(false);
  });
});
