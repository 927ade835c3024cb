import { expect, test } from "bun:test";
import { openOnFreePort, openRtpPair, openRtpSocket } from "../../src/rtp/udp-socket.ts";
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
  const a = await openOnFreePort(() => alloc.take(), (p) => alloc.release(p), { host: "127.0.0.1", onPacket: () => {} });
  const blocker = await openRtpSocket({ host: "127.0.0.1", port: 41002, onPacket: () => {} });
  const b = await openOnFreePort(() => alloc.take(), (p) => alloc.release(p), { host: "127.0.0.1", onPacket: () => {} });
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
  for (const x of [again, b, c]) (x!.rtp.close(), x!.rtcp.close());
  blocker.close();
  expect(alloc.inUse).toBe(0);
});
