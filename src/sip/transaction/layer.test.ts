import { describe, expect, test } from "bun:test";
import { TransactionLayer, type ServerTransaction } from "./layer.ts";
import { buildResponse } from "../message/response.ts";
import type { SipRequest, SipResponse } from "../message/types.ts";
import type { Peer } from "../transport.ts";
import { ManualClock } from "../../../test/support/manual-clock.ts";
import { silentLogger } from "../../lib/log.ts";
import { MemoryNetwork } from "../../../test/support/memory-transport.ts";

function setup(protocol: "udp" | "tcp" = "udp") {
  const clock = new ManualClock();
  const net = new MemoryNetwork();
  let a!: TransactionLayer;
  let b!: TransactionLayer;
  const ta = net.endpoint(protocol, "127.0.0.1", 5060, (bytes, from) => a.receive(bytes, from));
  const tb = net.endpoint(protocol, "127.0.0.1", 5070, (bytes, from) => b.receive(bytes, from));
  a = new TransactionLayer({ clock, transports: new Map([[protocol, ta]]) });
  b = new TransactionLayer({ clock, transports: new Map([[protocol, tb]]) });
  return { clock, net, a, b, toB: { protocol, host: "127.0.0.1", port: 5070 } as Peer };
}

let branchN = 0;
function request(method: string, protocol = "UDP"): SipRequest {
  branchN++;
  return {
    kind: "request",
    method,
    uri: "sip:srs@127.0.0.1:5070",
    headers: [
      { name: "Via", value: `SIP/2.0/${protocol} 127.0.0.1:5060;branch=z9hG4bK-test-${branchN};rport` },
      { name: "Max-Forwards", value: "70" },
      { name: "From", value: "<sip:src@127.0.0.1>;tag=src1" },
      { name: "To", value: "<sip:srs@127.0.0.1>" },
      { name: "Call-ID", value: `call-${branchN}` },
      { name: "CSeq", value: `1 ${method}` },
    ],
    body: new Uint8Array(),
    bodyOffset: 0,
  };
}

function collector() {
  const got: string[] = [];
  return {
    got,
    h: {
      onResponse: (r: SipResponse) => got.push(String(r.status)),
      onTimeout: () => got.push("timeout"),
      onTransportError: (why: string) => got.push(`transport:${why}`),
    },
  };
}

describe("transaction layer over UDP with a manual clock", () => {
  test("lost INVITEs are retransmitted at 0.5, 1.5, 3.5 s; the answer stops them", () => {
    const { clock, net, a, b, toB } = setup();
    const seenAt: number[] = [];
    let lose = 3;
    net.drop = (bytes) => new TextDecoder().decode(bytes).startsWith("INVITE") && lose-- > 0;
    b.onRequest = (tx) => {
      seenAt.push(clock.now());
      tx.respond(buildResponse(tx.request, 200, { toTag: "srs" }));
    };
    const c = collector();
    a.sendRequest(request("INVITE"), toB, c.h);
    clock.advance(10_000);
    expect(seenAt).toEqual([3500]);
    expect(net.log.filter((m) => m.text.startsWith("INVITE")).length).toBe(4);
    expect(c.got).toEqual(["100", "200"]);
  });

  test("no answer: Timer B → timeout after 32 s, nothing left behind", () => {
    const { clock, a } = setup();
    const c = collector();
    a.sendRequest(request("INVITE"), { protocol: "udp", host: "127.0.0.1", port: 9 }, c.h);
    clock.advance(31_999);
    expect(c.got).toEqual([]);
    clock.advance(1);
    expect(c.got).toEqual(["timeout"]);
    expect(a.size).toEqual({ clients: 0, servers: 0 });
    expect(clock.pendingCount).toBe(0);
  });

  test("server absorbs request retransmissions and resends its final response; the TU sees one request", () => {
    const { clock, net, a, b, toB } = setup();
    let seen = 0;
    let lose = 2;
    net.drop = (bytes) => new TextDecoder().decode(bytes).startsWith("SIP/2.0 200") && lose-- > 0;
    b.onRequest = (tx) => {
      seen++;
      tx.respond(buildResponse(tx.request, 200, { toTag: "x" }));
    };
    const c = collector();
    a.sendRequest(request("OPTIONS"), toB, c.h);
    clock.advance(5000);
    expect(seen).toBe(1);
    expect(c.got).toEqual(["200"]);
    expect(net.log.filter((m) => m.text.startsWith("OPTIONS")).length).toBe(3);
  });

  test("a 486 is ACKed by the client transaction, and the server's Timer G stops on the ACK", () => {
    const { clock, net, a, b, toB } = setup();
    b.onRequest = (tx) => tx.respond(buildResponse(tx.request, 486, { toTag: "busy" }));
    const c = collector();
    a.sendRequest(request("INVITE"), toB, c.h);
    clock.advance(60_000);
    expect(c.got).toEqual(["100", "486"]);
    expect(net.log.map((m) => m.text.split("\r\n")[0])).toEqual([
      "INVITE sip:srs@127.0.0.1:5070 SIP/2.0",
      "SIP/2.0 100 Trying",
      "SIP/2.0 486 Busy Here",
      "ACK sip:srs@127.0.0.1:5070 SIP/2.0",
    ]);
    expect(a.size).toEqual({ clients: 0, servers: 0 });
    expect(b.size).toEqual({ clients: 0, servers: 0 });
  });

  test("ACK for a 2xx goes to the TU's onAck (it belongs to the dialog)", async () => {
    const { clock, a, b, toB } = setup();
    const acks: string[] = [];
    b.onAck = (req) => acks.push(req.method);
    let inv: SipRequest | undefined;
    b.onRequest = (tx: ServerTransaction) => {
      inv = tx.request;
      tx.respond(buildResponse(tx.request, 200, { toTag: "t" }));
    };
    a.sendRequest(request("INVITE"), toB, collector().h);
    const ack: SipRequest = {
      ...(inv as SipRequest),
      method: "ACK",
      headers: (inv as SipRequest).headers.map((h) =>
        h.name === "CSeq" ? { name: "CSeq", value: "1 ACK" } : h.name === "Via" ? { name: "Via", value: "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-ack" } : h,
      ),
    };
    await a.sendStateless(ack, toB);
    clock.advance(1000);
    expect(acks).toEqual(["ACK"]);
  });

  test("received and rport are added to the top Via; responses go to the source port", () => {
    const { a, b, net, toB, clock } = setup();
    b.onRequest = (tx) => {
      expect(tx.request.headers[0]?.value).toContain(";rport=5060");
      tx.respond(buildResponse(tx.request, 200, { toTag: "t" }));
    };
    const c = collector();
    a.sendRequest(request("OPTIONS"), toB, c.h);
    clock.advance(100);
    expect(c.got).toEqual(["200"]);
    expect(net.log[1]?.to).toBe("127.0.0.1:5060");
  });

  test("requests missing mandatory headers get 400 and create no transaction", () => {
    const { b, net, clock } = setup();
    const bad =
      "OPTIONS sip:srs@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKx\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:b@c>\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
    b.receive(new TextEncoder().encode(bad), { protocol: "udp", host: "127.0.0.1", port: 5060 });
    clock.advance(10);
    expect(net.log[0]?.text).toStartWith("SIP/2.0 400 Bad Request (no Call-ID)");
    expect(b.size.servers).toBe(0);
  });

  test("a UDP request whose body is cut short gets 400 (RFC 3261 §18.3)", () => {
    const { b, net, clock } = setup();
    const cut =
      "OPTIONS sip:srs@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKcut\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:b@c>\r\nCall-ID: cut\r\nCSeq: 1 OPTIONS\r\nContent-Length: 500\r\n\r\nshort";
    b.receive(new TextEncoder().encode(cut), { protocol: "udp", host: "127.0.0.1", port: 5060 });
    clock.advance(10);
    expect(net.log[0]?.text).toStartWith("SIP/2.0 400 Bad Request (body shorter than Content-Length)");
  });

  test("a flood of garbage from one peer is logged once", () => {
    const clock = new ManualClock();
    const lines: string[] = [];
    const layer = new TransactionLayer({ clock, transports: new Map(), logger: { ...silentLogger, warn: (m, f) => lines.push(`${m} ${JSON.stringify(f)}`) } });
    for (let i = 0; i < 1000; i++) layer.receive(new TextEncoder().encode(`junk ${i}\r\n\r\n`), { protocol: "udp", host: "127.0.0.1", port: 9999 });
    expect(lines.length).toBe(1);
    expect(lines[0]).toContain('"peer":"127.0.0.1:9999"');
  });

  test("garbage and unmatched responses are dropped quietly", () => {
    const { a } = setup();
    a.receive(new TextEncoder().encode("\x00\x01garbage"), { protocol: "udp", host: "127.0.0.1", port: 1 });
    a.receive(
      new TextEncoder().encode(
        "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKnone\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:b@c>;tag=2\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
      ),
      { protocol: "udp", host: "127.0.0.1", port: 1 },
    );
    expect(a.size).toEqual({ clients: 0, servers: 0 });
  });

  test("close() twice is fine and leaves no timer", () => {
    const { clock, a } = setup();
    a.sendRequest(request("INVITE"), { protocol: "udp", host: "127.0.0.1", port: 9 }, collector().h);
    a.close();
    a.close();
    expect(clock.pendingCount).toBe(0);
  });
});

describe("over a reliable transport", () => {
  test("no retransmissions; a refused connection is a transport error (503)", async () => {
    const { clock, a } = setup("tcp");
    const c = collector();
    a.sendRequest(request("INVITE", "TCP"), { protocol: "tcp", host: "127.0.0.1", port: 9 }, c.h);
    await Promise.resolve();
    await Promise.resolve();
    clock.advance(1);
    expect(c.got).toEqual(["transport:connection refused by 127.0.0.1:9"]);
  });
});
