import { describe, expect, test } from "bun:test";
import { type Pair, runSipTransportContract, sipMessage } from "./sip-transport.contract.ts";
import { StreamTransport, type TlsSettings } from "../../src/sip/tcp-transport.ts";
import type { Peer, SipTransport } from "../../src/sip/transport.ts";
import { UdpTransport } from "../../src/sip/udp-transport.ts";
import { systemClock } from "../../src/platform/system-clock.ts";
import { ManualClock } from "../support/manual-clock.ts";
import { MemoryNetwork } from "../support/memory-transport.ts";
import { testPki } from "../support/tls-certs.ts";

const dec = (b: Uint8Array) => new TextDecoder().decode(b);

function collect(list: { text: string; from: Peer }[]) {
  return (bytes: Uint8Array, from: Peer) => list.push({ text: dec(bytes), from });
}

function pairOf(a: SipTransport, b: SipTransport, atA: Pair["atA"], atB: Pair["atB"]): Pair {
  return { a, b, atA, atB, close: () => (a.close(), b.close()) };
}

runSipTransportContract("memory udp", async () => {
  const net = new MemoryNetwork();
  const atA: Pair["atA"] = [];
  const atB: Pair["atB"] = [];
  return pairOf(net.endpoint("udp", "127.0.0.1", 5060, collect(atA)), net.endpoint("udp", "127.0.0.1", 5070, collect(atB)), atA, atB);
});

runSipTransportContract("memory tcp", async () => {
  const net = new MemoryNetwork();
  const atA: Pair["atA"] = [];
  const atB: Pair["atB"] = [];
  return pairOf(net.endpoint("tcp", "127.0.0.1", 5060, collect(atA)), net.endpoint("tcp", "127.0.0.1", 5070, collect(atB)), atA, atB);
});

runSipTransportContract("udp 127.0.0.1", async () => {
  const atA: Pair["atA"] = [];
  const atB: Pair["atB"] = [];
  return pairOf(
    await UdpTransport.open({ host: "127.0.0.1", port: 0, onMessage: collect(atA) }),
    await UdpTransport.open({ host: "127.0.0.1", port: 0, onMessage: collect(atB) }),
    atA,
    atB,
  );
});

async function streamPair(protocol: "tcp" | "tls", client: TlsSettings = {}, server: TlsSettings = {}): Promise<Pair> {
  const pki = testPki();
  const atA: Pair["atA"] = [];
  const atB: Pair["atB"] = [];
  const b = await StreamTransport.open({
    protocol,
    host: "127.0.0.1",
    port: 0,
    listen: true,
    clock: systemClock,
    onMessage: collect(atB),
    tls: { cert: pki.serverCert, key: pki.serverKey, ca: pki.caCert, ...server },
  });
  const a = await StreamTransport.open({
    protocol,
    host: "127.0.0.1",
    port: 0,
    listen: true,
    clock: systemClock,
    onMessage: collect(atA),
    tls: { ca: pki.caCert, cert: pki.serverCert, key: pki.serverKey, ...client },
  });
  return pairOf(a, b, atA, atB);
}

runSipTransportContract("tcp 127.0.0.1", () => streamPair("tcp"));
runSipTransportContract("tls 127.0.0.1 (verified)", () => streamPair("tls"));

describe("TLS verification", () => {
  const send = async (p: Pair) => {
    return p.a.send(new TextEncoder().encode(sipMessage("OPTIONS sip:b@127.0.0.1 SIP/2.0")), { protocol: "tls", host: "127.0.0.1", port: p.b.local.port });
  };

  test("a certificate for another name fails with a clear error", async () => {
    const p = await streamPair("tls", { serverName: "wrong.example.com" });
    try {
      await expect(send(p)).rejects.toMatchObject({ code: "TRANSPORT_TLS", message: expect.stringContaining("TLS to 127.0.0.1") });
    } finally {
      p.close();
    }
  });

  test("a server certificate from an untrusted CA fails; verify = false accepts it", async () => {
    const pki = testPki();
    const bad = await streamPair("tls", { ca: pki.otherCaCert });
    try {
      await expect(send(bad)).rejects.toMatchObject({ code: "TRANSPORT_TLS" });
    } finally {
      bad.close();
    }
    const lax = await streamPair("tls", { ca: pki.otherCaCert, verify: false });
    try {
      await send(lax);
    } finally {
      lax.close();
    }
  });

  test("per-peer TLS (one SRS's CA and name) wins over the transport's: trusted there, refused without it", async () => {
    const pki = testPki();
    const p = await streamPair("tls", { ca: pki.otherCaCert });
    const to = (tls: Parameters<typeof p.a.send>[1]["tls"]) => ({
      protocol: "tls" as const,
      host: "127.0.0.1",
      port: p.b.local.port,
      ...(tls === undefined ? {} : { tls }),
    });
    const msg = new TextEncoder().encode(sipMessage("OPTIONS sip:b@127.0.0.1 SIP/2.0"));
    try {
      await expect(p.a.send(msg, to(undefined))).rejects.toMatchObject({ code: "TRANSPORT_TLS" });
      await expect(p.a.send(msg, to({ ca: pki.caCert, serverName: "wrong.example.com" }))).rejects.toMatchObject({ code: "TRANSPORT_TLS" });
      await p.a.send(msg, to({ ca: pki.caCert }));
      const end = Date.now() + 3000;
      while (p.atB.length === 0 && Date.now() < end) await Bun.sleep(5);
      expect(p.atB.length).toBe(1);
    } finally {
      p.close();
    }
  });

  test("mutual TLS: a server that requires a client certificate accepts ours", async () => {
    const pki = testPki();
    const p = await streamPair("tls", { cert: pki.clientCert, key: pki.clientKey }, { requireClientCert: true });
    try {
      await send(p);
      const end = Date.now() + 3000;
      while (p.atB.length === 0 && Date.now() < end) await Bun.sleep(5);
      expect(p.atB.length).toBe(1);
    } finally {
      p.close();
    }
  });
});

describe("stream transport limits", () => {
  test("connections beyond the limit are closed on arrival; the transport keeps working", async () => {
    const atB: Pair["atB"] = [];
    const b = await StreamTransport.open({
      protocol: "tcp",
      host: "127.0.0.1",
      port: 0,
      listen: true,
      clock: systemClock,
      onMessage: collect(atB),
      maxConnections: 5,
    });
    const sockets = await Promise.all(Array.from({ length: 20 }, () => Bun.connect({ hostname: "127.0.0.1", port: b.local.port, socket: { data() {} } })));
    await Bun.sleep(50);
    expect(b.connectionCount).toBeLessThanOrEqual(5);
    for (const s of sockets) s.end();
    b.close();
  });

  test("a peer that never ends its headers is cut off, others unaffected", async () => {
    const atB: Pair["atB"] = [];
    const b = await StreamTransport.open({ protocol: "tcp", host: "127.0.0.1", port: 0, listen: true, clock: systemClock, onMessage: collect(atB) });
    let closed = false;
    const s = await Bun.connect({
      hostname: "127.0.0.1",
      port: b.local.port,
      socket: {
        data() {},
        close() {
          closed = true;
        },
      },
    });
    const chunk = new TextEncoder().encode(`INVITE sip:a@b SIP/2.0\r\n${"X: y\r\n".repeat(2000)}`);
    for (let i = 0; i < 20 && !closed; i++) {
      s.write(chunk);
      await Bun.sleep(5);
    }
    await Bun.sleep(50);
    expect(closed).toBe(true);
    expect(b.connectionCount).toBe(0);
    b.close();
  });
});

describe("idle connections", () => {
  test("are closed by the sweep once idle for idleMs", async () => {
    const clock = new ManualClock();
    const atB: Pair["atB"] = [];
    const b = await StreamTransport.open({ protocol: "tcp", host: "127.0.0.1", port: 0, listen: true, clock, onMessage: collect(atB), idleMs: 60_000 });
    const a = await StreamTransport.open({ protocol: "tcp", host: "127.0.0.1", port: 0, listen: false, clock, onMessage: () => {}, idleMs: 60_000 });
    await a.send(new TextEncoder().encode(sipMessage("OPTIONS sip:b@127.0.0.1 SIP/2.0")), { protocol: "tcp", host: "127.0.0.1", port: b.local.port });
    const end = Date.now() + 2000;
    while (atB.length === 0 && Date.now() < end) await Bun.sleep(5);
    expect([a.connectionCount, b.connectionCount]).toEqual([1, 1]);
    clock.advance(30_000);
    expect(a.connectionCount).toBe(1);
    clock.advance(60_000);
    await Bun.sleep(50);
    expect([a.connectionCount, b.connectionCount]).toEqual([0, 0]);
    a.close();
    b.close();
  });
});

describe("TCP listener under abuse (127.0.0.1, real sockets)", () => {
  /** A raw client: resolves `closed` when the server hangs up on it. */
  async function raw(port: number) {
    let closed = false;
    const sock = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data: () => {}, close: () => void (closed = true), open: () => {} } });
    return { sock, closed: () => closed };
  }
  const settle = () => Bun.sleep(150);

  test("one source cannot take more than maxPerSource connections", async () => {
    const got: { text: string; from: Peer }[] = [];
    const t = await StreamTransport.open({
      protocol: "tcp",
      host: "127.0.0.1",
      port: 0,
      listen: true,
      clock: systemClock,
      onMessage: collect(got),
      maxPerSource: 2,
    });
    try {
      const c = [await raw(t.local.port), await raw(t.local.port), await raw(t.local.port)];
      await settle();
      expect(c.map((x) => x.closed())).toEqual([false, false, true]);
      expect(t.connectionCount).toBe(2);
    } finally {
      t.close();
    }
  });

  test("at the connection cap the longest-idle connection makes room for a new client, which is served", async () => {
    const got: { text: string; from: Peer }[] = [];
    const t = await StreamTransport.open({
      protocol: "tcp",
      host: "127.0.0.1",
      port: 0,
      listen: true,
      clock: systemClock,
      onMessage: collect(got),
      maxConnections: 2,
      maxPerSource: 10,
    });
    try {
      const first = await raw(t.local.port);
      await settle();
      const second = await raw(t.local.port);
      await settle();
      const third = await raw(t.local.port);
      await settle();
      expect([first.closed(), second.closed(), third.closed()]).toEqual([true, false, false]);
      const msg = sipMessage("OPTIONS sip:a@127.0.0.1 SIP/2.0", "evict-1");
      third.sock.write(msg);
      await settle();
      expect(got.map((g) => g.text)).toEqual([msg]);
    } finally {
      t.close();
    }
  });

  test("headers not complete within headerTimeoutMs (a slow-loris client) close the connection", async () => {
    const t = await StreamTransport.open({
      protocol: "tcp",
      host: "127.0.0.1",
      port: 0,
      listen: true,
      clock: systemClock,
      onMessage: () => {},
      headerTimeoutMs: 600,
    });
    try {
      const c = await raw(t.local.port);
      c.sock.write("OPTIONS sip:a@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKslow\r\n");
      await Bun.sleep(300);
      expect(c.closed()).toBe(false);
      await Bun.sleep(900);
      expect(c.closed()).toBe(true);
    } finally {
      t.close();
    }
  });
});
