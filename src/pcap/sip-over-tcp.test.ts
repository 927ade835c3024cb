import { describe, expect, test } from "bun:test";
import { TcpSipReassembler } from "./sip-over-tcp.ts";
import { parseIp } from "./decode.ts";
import { ipv4, tcp } from "../../test/support/pcap-writer.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const msg = (n: number) => enc(`OPTIONS sip:x@h SIP/2.0\r\nCall-ID: ${n}\r\nContent-Length: 5\r\n\r\nhello`);
const seg = (seq: number, data: Uint8Array, flags = 0x18) => {
  const ip = parseIp(0x0800, ipv4("10.0.0.1", "10.0.0.2", tcp(5060, 5061, seq, data, flags), { protocol: 6 }));
  if (!ip.ok) throw new Error(ip.reason);
  return ip.value;
};
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

describe("SIP over TCP in captures", () => {
  test("two messages in one segment, one message across three; a capture that starts mid-connection", () => {
    const r = new TcpSipReassembler();
    const two = new Uint8Array([...msg(1), ...msg(2)]);
    expect(r.push(seg(500, two)).map((m) => /Call-ID: (\d+)/.exec(dec(m.payload))?.[1])).toEqual(["1", "2"]);
    const third = msg(3);
    const at = 500 + two.length;
    expect(r.push(seg(at, third.subarray(0, 10)))).toEqual([]);
    expect(r.push(seg(at + 40, third.subarray(40)))).toEqual([]); // early: held
    const done = r.push(seg(at + 10, third.subarray(10, 40)));
    expect(done.map((m) => dec(m.payload))).toEqual([dec(third)]);
  });

  test("retransmissions and overlaps deliver nothing twice", () => {
    const r = new TcpSipReassembler();
    r.push(seg(99, new Uint8Array(0), 0x02));
    const m = msg(7);
    expect(r.push(seg(100, m)).length).toBe(1);
    expect(r.push(seg(100, m))).toEqual([]);
    expect(r.counters.retransmitted).toBe(1);
    const n = msg(8);
    // Overlapping: the tail of the old message again plus the next one.
    expect(r.push(seg(100 + m.length - 5, new Uint8Array([...m.subarray(m.length - 5), ...n]))).map((x) => dec(x.payload))).toEqual([dec(n)]);
  });

  test("a gap that never fills is given up after 64 KiB of later data", () => {
    const r = new TcpSipReassembler();
    r.push(seg(0, msg(1)));
    const big = new Uint8Array(30_000);
    for (let i = 0; i < 3; i++) r.push(seg(100_000 + i * 30_000, big));
    expect(r.counters.resynced).toBe(1);
  });
});
