import { describe, expect, test } from "bun:test";
import { openOnFreePort, openRtpPair, openRtpSocket, udpRtpSockets } from "../../src/rtp/udp-socket.ts";
import { closeStream, isRtcp } from "../../src/rtp/rtp-socket-port.ts";
import { MemoryRtpNetwork } from "../support/memory-rtp.ts";
import { PortAllocator } from "../../src/rtp/port-allocator.ts";

test("RTP sockets on 127.0.0.1: a burst sent in one turn arrives whole (sendMany batching)", async () => {
  const got: number[] = [];
  const rx = await openRtpSocket({ host: "127.0.0.1", port: 0, onPacket: (d) => got.push(d[0] as number) });
  const tx = await openRtpSocket({ host: "127.0.0.1", port: 0, onPacket: () => {} });
  for (let i = 0; i < 100; i++) tx.send(Uint8Array.of(i, 1, 2, 3), rx.port, "127.0.0.1");
  const end = Date.now() + 2000;
  while (got.length < 100 && Date.now() < end) await Bun.sleep(5);
  expect(got.sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  tx.close();
  tx.close();
  expect(tx.send(Uint8Array.of(1), rx.port, "127.0.0.1")).toBe(false);
  rx.close();
});

test("ports come from the allocator; a taken port is skipped", async () => {
  const alloc = new PortAllocator(41000, 41100);
  const a = await openOnFreePort(
    () => alloc.take(),
    (p) => alloc.release(p),
    { host: "127.0.0.1", onPacket: () => {} },
  );
  const blocker = await openRtpSocket({ host: "127.0.0.1", port: 41002, onPacket: () => {} });
  const b = await openOnFreePort(
    () => alloc.take(),
    (p) => alloc.release(p),
    { host: "127.0.0.1", onPacket: () => {} },
  );
  expect(a?.port).toBe(41000);
  expect(b?.port).toBe(41004);
  a?.close();
  b?.close();
  blocker.close();
});

test("RTP/RTCP pairs: even RTP and the odd port above it, a pair with either port taken by someone else skipped, the range given back when both close", async () => {
  const alloc = new PortAllocator(43100, 43107); // 4 pairs
  const noop = () => {};
  const blocker = await openRtpSocket({ host: "127.0.0.1", port: 43103, onPacket: noop }); // the RTCP half of the second pair
  const a = await openRtpPair(alloc, { host: "127.0.0.1", onRtp: noop, onRtcp: noop });
  const b = await openRtpPair(alloc, { host: "127.0.0.1", onRtp: noop, onRtcp: noop });
  expect([a?.rtp.port, a?.rtcp.port, b?.rtp.port, b?.rtcp.port]).toEqual([43100, 43101, 43104, 43105]);
  const c = await openRtpPair(alloc, { host: "127.0.0.1", onRtp: noop, onRtcp: noop });
  expect(c?.rtp.port).toBe(43106);
  // 43102 went back when its RTCP half failed: the next take tries it again (still blocked), then the range is full.
  expect(await openRtpPair(alloc, { host: "127.0.0.1", onRtp: noop, onRtcp: noop })).toBeUndefined();
  expect(alloc.inUse).toBe(3);
  a!.rtp.close();
  expect(alloc.inUse).toBe(3); // half a pair is still open
  a!.rtcp.close();
  a!.rtcp.close();
  expect(alloc.inUse).toBe(2);
  const again = await openRtpPair(alloc, { host: "127.0.0.1", onRtp: noop, onRtcp: noop });
  expect(again?.rtp.port).toBe(43100);
  for (const x of [again, b, c]) x!.rtp.close(), x!.rtcp.close();
  blocker.close();
  expect(alloc.inUse).toBe(0);
});

/** The RTP socket port's contract, on real UDP and on the in-memory network. */
for (const [name, make] of [
  ["UDP", () => udpRtpSockets("127.0.0.1")],
  ["memory", () => new MemoryRtpNetwork().sockets],
] as const) {
  describe(`RTP socket port contract (${name})`, () => {
    const waitFor = async (cond: () => boolean) => {
      for (let i = 0; i < 200 && !cond(); i++) await Bun.sleep(5);
    };

    test("a pair is an even RTP port with RTCP on the odd one above; each socket delivers to its own handler; closing both gives the pair back", async () => {
      const port = make();
      const before = port.inUse;
      const got: string[] = [];
      const a = await port.open({ rtcpMux: false, onRtp: (d) => got.push(`rtp ${d[0]}`), onRtcp: (d) => got.push(`rtcp ${d[0]}`) });
      const b = await port.open({ rtcpMux: false, onRtp: () => {}, onRtcp: () => {} });
      if (a === undefined || b === undefined || a.rtcp === undefined || b.rtcp === undefined) throw new Error("no pair");
      expect(a.rtp.port % 2).toBe(0);
      expect(a.rtcp.port).toBe(a.rtp.port + 1);
      expect(port.inUse).toBe(before + 2);
      b.rtp.send(Uint8Array.of(1), a.rtp.port, "127.0.0.1");
      b.rtcp.send(Uint8Array.of(2), a.rtcp.port, "127.0.0.1");
      await waitFor(() => got.length >= 2);
      expect(got.sort()).toEqual(["rtcp 2", "rtp 1"]);
      closeStream(a);
      closeStream(a);
      expect(a.rtp.send(Uint8Array.of(3), b.rtp.port, "127.0.0.1")).toBe(false);
      closeStream(b);
      expect(port.inUse).toBe(before);
    });

    test("with rtcp-mux one socket carries both, and isRtcp tells them apart (RFC 5761 §4)", async () => {
      const port = make();
      const got: boolean[] = [];
      const a = await port.open({ rtcpMux: true, onRtp: (d) => got.push(isRtcp(d)), onRtcp: () => got.push(false) });
      const b = await port.open({ rtcpMux: true, onRtp: () => {}, onRtcp: () => {} });
      if (a === undefined || b === undefined) throw new Error("no socket");
      expect(a.rtcp).toBeUndefined();
      b.rtp.send(Uint8Array.of(0x80, 0, 0, 1), a.rtp.port, "127.0.0.1");
      b.rtp.send(Uint8Array.of(0x81, 201, 0, 1), a.rtp.port, "127.0.0.1");
      await waitFor(() => got.length >= 2);
      expect(got.sort()).toEqual([false, true]);
      closeStream(a);
      closeStream(b);
    });
  });
}
