import { describe, expect, test } from "bun:test";
import { openRtpSocket, udpRtpSockets } from "./udp-socket.ts";
import { PortAllocator } from "./port-allocator.ts";
import { closeStream } from "./rtp-socket-port.ts";

const collect = async (): Promise<{ port: number; got: [Uint8Array, number][]; close(): void }> => {
  const got: [Uint8Array, number][] = [];
  const s = await Bun.udpSocket({ hostname: "127.0.0.1", port: 0, binaryType: "uint8array", socket: { data: (_s, b, port) => void got.push([b, port]) } });
  return { port: s.port, got, close: () => s.close() };
};

describe("RTP sockets", () => {
  test("sends from many sockets in one turn all leave in one flush, each from its own port and in order", async () => {
    const sink = await collect();
    const socks = await Promise.all(Array.from({ length: 20 }, () => openRtpSocket({ host: "127.0.0.1", port: 0, onPacket: () => {} })));
    socks.forEach((s, i) => {
      for (let k = 0; k < 3; k++) expect(s.send(new Uint8Array([i, k]), sink.port, "127.0.0.1")).toBe(true);
    });
    expect(sink.got.length).toBe(0); // queued until the end of this turn
    for (let i = 0; i < 50 && sink.got.length < 60; i++) await Bun.sleep(5);
    expect(sink.got.length).toBe(60);
    socks.forEach((s, i) => {
      const mine = sink.got.filter(([, port]) => port === s.port).map(([b]) => [...b]);
      expect(mine).toEqual([
        [i, 0],
        [i, 1],
        [i, 2],
      ]);
    });
    // The next turn's sends go out too (the flush list is reused, not lost).
    socks[0]!.send(new Uint8Array([99]), sink.port, "127.0.0.1");
    for (let i = 0; i < 50 && sink.got.length < 61; i++) await Bun.sleep(5);
    expect(sink.got.length).toBe(61);
    for (const s of socks) s.close();
    sink.close();
  });

  test("a closed socket refuses sends and drops what it had queued; received datagrams are plain Uint8Arrays", async () => {
    const sink = await collect();
    const got: Uint8Array[] = [];
    const a = await openRtpSocket({ host: "127.0.0.1", port: 0, onPacket: (d) => got.push(d) });
    const b = await openRtpSocket({ host: "127.0.0.1", port: 0, onPacket: () => {} });
    a.send(new Uint8Array([1]), sink.port, "127.0.0.1");
    b.send(new Uint8Array([2]), sink.port, "127.0.0.1");
    a.close();
    expect(a.send(new Uint8Array([3]), sink.port, "127.0.0.1")).toBe(false);
    for (let i = 0; i < 40 && sink.got.length < 1; i++) await Bun.sleep(5);
    await Bun.sleep(20);
    expect(sink.got.map(([d]) => [...d])).toEqual([[2]]);
    const c = await openRtpSocket({ host: "127.0.0.1", port: 0, onPacket: (d) => got.push(d) });
    b.send(new Uint8Array([7, 8]), c.port, "127.0.0.1");
    for (let i = 0; i < 40 && got.length < 1; i++) await Bun.sleep(5);
    expect(got[0]?.constructor).toBe(Uint8Array);
    expect([...got[0]!]).toEqual([7, 8]);
    b.close();
    c.close();
    sink.close();
  });
});

describe("the daemon's RTP range with a block held by another process", () => {
  test("40 pairs in a row taken by someone else: the next free pair is found (the whole range is scanned once), and a full range says so", async () => {
    const held: { close(): void }[] = [];
    // Someone else's block: the first 40 pairs of a 100-pair range.
    for (let p = 24600; p < 24680; p++) held.push(await Bun.udpSocket({ hostname: "127.0.0.1", port: p }));
    try {
      const ports = new PortAllocator(24600, 24799);
      const sockets = udpRtpSockets("127.0.0.1", ports);
      const s = await sockets.open({ rtcpMux: false, onRtp: () => {}, onRtcp: () => {} });
      expect(s?.rtp.port).toBe(24680);
      expect(s?.rtcp?.port).toBe(24681);
      const small = udpRtpSockets("127.0.0.1", new PortAllocator(24600, 24679));
      expect(await small.open({ rtcpMux: false, onRtp: () => {}, onRtcp: () => {} })).toBeUndefined();
      if (s !== undefined) closeStream(s);
    } finally {
      for (const h of held) h.close();
    }
  });
});
