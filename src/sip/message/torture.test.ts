/**
 * Messages derived from RFC 4475 (SIP torture tests), stored in
 * test/vectors/sip with EXPECTED.json naming the section each comes from.
 * Valid ones parse (and pass the transaction layer's checks); invalid ones
 * fail with the expected code, at the stage that must catch them.
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { header, headerList, headerValues } from "./headers.ts";
import { parseNameAddr } from "./name-addr.ts";
import { parseMessage } from "./parse.ts";
import { serializeMessage } from "./serialize.ts";
import type { SipMessage } from "./types.ts";
import { parseUri } from "./uri.ts";
import { parseVia } from "./via.ts";
import { essentials } from "../transaction/keys.ts";

const DIR = new URL("../../../test/vectors/sip/", import.meta.url).pathname;
const EXPECTED = JSON.parse(readFileSync(`${DIR}EXPECTED.json`, "utf8")) as {
  valid: Record<string, { rfc4475: string }>;
  invalid: Record<string, { rfc4475: string; stage: "codec" | "layer"; expect: string }>;
};
const load = (path: string) => new Uint8Array(readFileSync(`${DIR}${path}`));

function parsed(path: string): SipMessage {
  const r = parseMessage(load(path));
  if (!r.ok) throw new Error(`${path}: ${r.error.code} ${r.error.message}`);
  return r.value;
}

describe("RFC 4475 valid messages", () => {
  for (const [file, { rfc4475 }] of Object.entries(EXPECTED.valid)) {
    test(`${file} (§${rfc4475})`, () => {
      const m = parsed(`valid/${file}`);
      expect(essentials(m)).toMatchObject({ ok: true });
      // Round trip: what we write reads back to the same header values and body.
      const again = parseMessage(serializeMessage(m));
      expect(again.ok && again.value.headers.map((h) => h.value)).toEqual(
        m.headers
          .filter((h) => !/^(content-length|l)$/i.test(h.name))
          .map((h) => h.value)
          .concat([String(m.body.length)]),
      );
      expect(again.ok && again.value.body).toEqual(m.body);
    });
  }

  test("wsinv: folded and spaced values read right", () => {
    const m = parsed("valid/wsinv.sip");
    expect(header(m, "cseq")).toBe("0009 INVITE");
    expect(header(m, "max-forwards")).toBe("0068");
    const vias = headerValues(m, "via").flatMap((v) => v.split(","));
    expect(vias.map((v) => (parseVia(v).ok ? "ok" : v))).toEqual(["ok", "ok", "ok"]);
    const from = parseNameAddr(header(m, "from") ?? "");
    expect(from.ok && [from.value.displayName, from.value.uri]).toEqual(['J Rosenberg \\"', "sip:jdrosen@example.com"]);
    expect(headerList(m, "contact").length).toBe(1);
    expect(header(m, "newfangledheader")).toBe("newfangled value continued newfangled value");
    expect(new TextDecoder().decode(m.body)).toStartWith("v=0\r\n");
  });

  test("esc01 / escnull / semiuri: escaped URIs parse and stay as written", () => {
    const esc = parsed("valid/esc01.sip");
    const u = parseUri(esc.kind === "request" ? esc.uri : "");
    expect(u.ok && u.value.scheme === "sip" && u.value.user).toBe("sips%3Auser%40example.com");
    const semi = parsed("valid/semiuri.sip");
    expect(semi.kind === "request" && parseUri(semi.uri)).toMatchObject({ ok: true, value: { user: "user;par=u%40example.net", host: "example.com" } });
    expect(headerList(parsed("valid/escnull.sip"), "contact")).toEqual(["<sip:%00@host5.example.com>", "<sip:%00%00@host5.example.com>"]);
  });

  test("transports, unusual and empty reason phrases", () => {
    expect(
      headerValues(parsed("valid/transports.sip"), "via").map((v) =>
        parseVia(v).ok ? (parseVia(v) as { value: { transport: string } }).value.transport : "?",
      ),
    ).toEqual(["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"]);
    const un = parsed("valid/unreason.sip");
    expect(un.kind === "response" && un.reason).toContain("простое");
    const no = parsed("valid/noreason.sip");
    expect(no.kind === "response" && [no.status, no.reason]).toEqual([100, ""]);
  });
});

describe("RFC 4475 invalid messages", () => {
  for (const [file, { rfc4475, stage, expect: want }] of Object.entries(EXPECTED.invalid)) {
    test(`${file} (§${rfc4475}) → ${want} at the ${stage}`, () => {
      const r = parseMessage(load(`invalid/${file}`));
      if (stage === "codec") {
        expect(r.ok ? "parsed" : r.error.code).toBe(want);
        if (!r.ok) expect(r.error.offset).toBeGreaterThanOrEqual(0);
      } else {
        if (!r.ok) throw new Error(`${file} should parse: ${r.error.message}`);
        const e = essentials(r.value);
        expect(e.ok ? "accepted" : e.error).toContain(want);
      }
    });
  }
});
