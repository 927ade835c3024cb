import { describe, expect, test } from "bun:test";
import { decideTransport } from "./transport-choice.ts";

describe("one transport rule (RFC 3263 §4.1, RFC 3261 §26.2)", () => {
  const pick = (uri: string, configured?: "udp" | "tcp" | "tls") => {
    const d = decideTransport(uri, configured);
    return d.ok ? d.value : `${d.error.code}: ${d.error.message}`;
  };
  test("the URI's transport parameter, else TLS for sips:, else the configured one, else TCP", () => {
    expect(pick("sip:srs@h:5070;transport=udp")).toBe("udp");
    expect(pick("sip:srs@h:5070;transport=UDP", "udp")).toBe("udp");
    expect(pick("sip:srs@h;transport=tls")).toBe("tls");
    expect(pick("sips:srs@h")).toBe("tls");
    expect(pick("sips:srs@h;transport=tcp")).toBe("tls");
    expect(pick("sip:srs@h", "udp")).toBe("udp");
    expect(pick("sip:srs@h")).toBe("tcp");
  });
  test("a configured transport that contradicts the URI is an error naming both", () => {
    expect(pick("sip:srs@h;transport=udp", "tls")).toBe("TRANSPORT_CONFLICT: transport tls contradicts sip:srs@h;transport=udp, which says udp");
    expect(pick("sips:srs@h", "tcp")).toStartWith("TRANSPORT_CONFLICT");
    expect(pick("sips:srs@h;transport=udp")).toStartWith("TRANSPORT_CONFLICT");
    expect(pick("sip:srs@h;transport=sctp")).toStartWith("TRANSPORT_BAD_URI");
    expect(pick("tel:+15551234")).toStartWith("TRANSPORT_BAD_URI");
  });
});
