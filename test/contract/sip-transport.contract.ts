/**
 * What every SIP transport must do, run against the in-memory pair and the
 * real UDP, TCP and TLS adapters on 127.0.0.1 (hono's runTest pattern).
 */
import { expect, test } from "bun:test";
import type { Peer, SipTransport } from "../../src/sip/transport.ts";

export interface Pair {
  readonly a: SipTransport;
  readonly b: SipTransport;
  /** Messages B received, with their source. */
  readonly atB: { text: string; from: Peer }[];
  readonly atA: { text: string; from: Peer }[];
  close(): void;
}

const enc = (s: string) => new TextEncoder().encode(s);

export function sipMessage(first: string, body = ""): string {
  return `${first}\r\nVia: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bKc\r\nCall-ID: c\r\nContent-Length: ${enc(body).length}\r\n\r\n${body}`;
}

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await Bun.sleep(2);
  }
}

export function runSipTransportContract(name: string, makePair: () => Promise<Pair>): void {
  const toB = (p: Pair): Peer => ({ protocol: p.b.protocol, host: "127.0.0.1", port: p.b.local.port });

  test(`${name}: a message arrives intact with its source`, async () => {
    const p = await makePair();
    try {
      const m = sipMessage("OPTIONS sip:b@127.0.0.1 SIP/2.0");
      await p.a.send(enc(m), toB(p));
      await until(() => p.atB.length === 1);
      expect(p.atB[0]?.text).toBe(m);
      expect(p.atB[0]?.from.protocol).toBe(p.a.protocol);
      expect(p.atB[0]?.from.host).toBe("127.0.0.1");
    } finally {
      p.close();
    }
  });

  test(`${name}: a reply to the source peer reaches the sender`, async () => {
    const p = await makePair();
    try {
      await p.a.send(enc(sipMessage("OPTIONS sip:b@127.0.0.1 SIP/2.0")), toB(p));
      await until(() => p.atB.length === 1);
      const reply = sipMessage("SIP/2.0 200 OK");
      await p.b.send(enc(reply), p.atB[0]?.from as Peer);
      await until(() => p.atA.length === 1);
      expect(p.atA[0]?.text).toBe(reply);
    } finally {
      p.close();
    }
  });

  test(`${name}: a burst of 200 messages arrives whole`, async () => {
    const p = await makePair();
    try {
      const sent = Array.from({ length: 200 }, (_, i) => sipMessage(`MESSAGE sip:b@127.0.0.1 SIP/2.0`, `n=${i}`));
      await Promise.all(sent.map((m) => p.a.send(enc(m), toB(p))));
      await until(() => p.atB.length === 200);
      expect(new Set(p.atB.map((x) => x.text))).toEqual(new Set(sent));
    } finally {
      p.close();
    }
  });

  test(`${name}: requests over 1300 bytes: sent on reliable transports, refused on UDP (RFC 3261 §18.1.1)`, async () => {
    const p = await makePair();
    try {
      const big = sipMessage("INVITE sip:b@127.0.0.1 SIP/2.0", "x".repeat(p.a.reliable ? 60_000 : 2000));
      if (p.a.reliable) {
        await p.a.send(enc(big), toB(p));
        await until(() => p.atB.length === 1);
        expect(p.atB[0]?.text.length).toBe(big.length);
      } else {
        await expect(p.a.send(enc(big), toB(p))).rejects.toMatchObject({ code: "TRANSPORT_TOO_LARGE" });
      }
    } finally {
      p.close();
    }
  });

  test(`${name}: nobody listening: a reliable transport fails the send, UDP does not know`, async () => {
    const p = await makePair();
    try {
      const dead: Peer = { protocol: p.a.protocol, host: "127.0.0.1", port: 9 };
      const send = p.a.send(enc(sipMessage("OPTIONS sip:x@127.0.0.1 SIP/2.0")), dead);
      if (p.a.reliable) await expect(send).rejects.toMatchObject({ code: expect.stringMatching(/TRANSPORT_(CONNECT|CLOSED|TLS)/) });
      else await send;
    } finally {
      p.close();
    }
  });

  test(`${name}: close twice, then sends fail`, async () => {
    const p = await makePair();
    p.close();
    p.close();
    await expect(p.a.send(enc(sipMessage("OPTIONS sip:b@127.0.0.1 SIP/2.0")), toB(p))).rejects.toMatchObject({ code: "TRANSPORT_CLOSED" });
  });
}
