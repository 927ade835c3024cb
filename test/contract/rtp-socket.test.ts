import { expect, test } from "bun:test";
import { openOnFreePort, openRtpSocket } from "../../src/rtp/udp-socket.ts";
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
