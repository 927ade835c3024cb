import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CaptureReader, type CapturedPacket } from "./reader.ts";
import { LINKTYPE } from "./decode.ts";
import { type TimedDatagram, UdpStream } from "./datagrams.ts";
import { FS_FIXTURES } from "../../test/support/esl-fixtures.ts";
import { frame, ipv4, ipv6, ipv6Fragment, pcapFile, pcapngFile, udp } from "../../test/support/pcap-writer.ts";

function readAll(bytes: Uint8Array, chunk = bytes.length): { packets: CapturedPacket[]; end: ReturnType<CaptureReader["finish"]> } {
  const r = new CaptureReader();
  const packets: CapturedPacket[] = [];
  for (let at = 0; at < bytes.length; at += chunk) {
    const got = r.push(bytes.subarray(at, at + chunk));
    if (!got.ok) return { packets, end: got };
    packets.push(...got.value);
  }
  return { packets, end: r.finish() };
}

function datagrams(bytes: Uint8Array): { list: TimedDatagram[]; stream: UdpStream } {
  const stream = new UdpStream();
  const list: TimedDatagram[] = [];
  for (const p of readAll(bytes).packets) {
    const d = stream.push(p);
    if (d !== undefined) list.push(d);
  }
  return { list, stream };
}

const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(join(FS_FIXTURES, name)));
const shape = (ds: TimedDatagram[]): string[] => ds.map((d) => `${d.src}:${d.sport}>${d.dst}:${d.dport} ${Buffer.from(d.payload).toString("base64")}`);
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

describe("capture reader on the FreeSWITCH fixtures", () => {
  for (const call of ["call-pcmu-two-way", "call-pcma-two-way"]) {
    test(`${call}: the pcap and the pcapng hold the same UDP datagrams`, () => {
      const a = datagrams(fixture(`${call}.pcap`)).list;
      const b = datagrams(fixture(`${call}.pcapng`)).list;
      expect(a.length).toBeGreaterThan(1000);
      expect(shape(b)).toEqual(shape(a));
      // The pcap has µs (truncated by the conversion), the pcapng ns; a double holds these to 0.25 µs.
      expect(Math.max(...a.map((d, i) => Math.abs(d.timeUs - b[i]!.timeUs)))).toBeLessThanOrEqual(1);
    });
  }

  test("tshark counts the same UDP packets in every fixture capture", () => {
    if (Bun.which("tshark") === null) return;
    for (const f of ["call-pcmu-two-way.pcapng", "esl-call-plain.pcap", "esl-tap-legs.pcap"]) {
      const t = Bun.spawnSync(["tshark", "-r", join(FS_FIXTURES, f), "-Y", "udp && !icmp", "-T", "fields", "-e", "frame.number"], { stdout: "pipe" });
      const theirs = t.stdout
        .toString()
        .trim()
        .split("\n")
        .filter((l) => l !== "").length;
      expect([f, datagrams(fixture(f)).list.length]).toEqual([f, theirs]);
    }
  });

  test("read in chunks of any size, the packets are the same", () => {
    const bytes = fixture("call-pcmu-two-way.pcapng");
    const whole = readAll(bytes).packets.map((p) => Buffer.from(p.data).toString("base64"));
    for (const chunk of [1, 7, 100, 4096, 65_536]) {
      const { packets, end } = readAll(bytes.subarray(0, 60_000), chunk);
      expect(end.ok).toBe(false); // cut inside a record on purpose
      expect(packets.map((p) => Buffer.from(p.data).toString("base64"))).toEqual(whole.slice(0, packets.length));
    }
  });
});

describe("capture formats and link types (synthetic captures)", () => {
  const sip = text("OPTIONS sip:x@127.0.0.1 SIP/2.0\r\n\r\n");
  const v4 = ipv4("10.0.0.1", "10.0.0.2", udp(5060, 5070, sip));

  test("pcap in both byte orders, µs and ns timestamps", () => {
    for (const le of [true, false]) {
      for (const ns of [false, true]) {
        const { packets, end } = readAll(pcapFile(LINKTYPE.ETHERNET, [{ timeUs: 1_795_729_246_518_811.5, data: frame.ethernet(v4) }], { le, ns }));
        expect(end.ok).toBe(true);
        expect(packets[0]!.timeUs).toBeCloseTo(ns ? 1_795_729_246_518_811.5 : 1_795_729_246_518_812, 0);
      }
    }
  });

  test("pcapng: two interfaces with their own link types and resolutions, big-endian too, unknown blocks skipped", () => {
    for (const le of [true, false]) {
      const file = pcapngFile(
        [{ linkType: LINKTYPE.ETHERNET }, { linkType: LINKTYPE.LINUX_SLL2, ns: true }],
        [
          { timeUs: 1_000_000, data: frame.ethernet(v4), iface: 0 },
          { timeUs: 2_000_000.25, data: frame.sll2(v4), iface: 1 },
        ],
        { le },
      );
      const { list } = datagrams(file);
      expect(list.map((d) => [d.timeUs, d.dport, new TextDecoder().decode(d.payload)])).toEqual([
        [1_000_000, 5070, "OPTIONS sip:x@127.0.0.1 SIP/2.0\r\n\r\n"],
        [2_000_000.25, 5070, "OPTIONS sip:x@127.0.0.1 SIP/2.0\r\n\r\n"],
      ]);
    }
  });

  test("VLAN, SLL, SLL2, raw IP, BSD loopback and IPv6 all give the same datagram", () => {
    const cases: [number, Uint8Array][] = [
      [LINKTYPE.ETHERNET, frame.vlan(v4)],
      [LINKTYPE.LINUX_SLL, frame.sll(v4)],
      [LINKTYPE.LINUX_SLL2, frame.sll2(v4)],
      [LINKTYPE.RAW, v4],
      [LINKTYPE.NULL, frame.loopback(v4)],
    ];
    for (const [lt, data] of cases)
      expect([lt, datagrams(pcapFile(lt, [{ timeUs: 1, data }])).list.map((d) => `${d.src}:${d.sport}>${d.dst}:${d.dport}`)]).toEqual([
        lt,
        ["10.0.0.1:5060>10.0.0.2:5070"],
      ]);
    const a = new Uint8Array(16);
    a[15] = 1;
    const b = new Uint8Array(16);
    b.set([0x20, 0x01, 0x0d, 0xb8], 0);
    b[15] = 2;
    const got = datagrams(pcapFile(LINKTYPE.ETHERNET, [{ timeUs: 1, data: frame.ethernet(ipv6(a, b, udp(5060, 5070, sip)), true) }])).list;
    expect(got.map((d) => `${d.src} ${d.dst}`)).toEqual(["::1 2001:db8::2"]);
  });

  test("a SIPREC INVITE fragmented over UDP is reassembled, in any fragment order", () => {
    const big = text(`INVITE sip:srs@10.0.0.2 SIP/2.0\r\n${"X-Pad: ".padEnd(3000, "x")}\r\n\r\n`);
    const whole = udp(5060, 5070, big);
    const cut = [0, 1480, 2960];
    const frags = cut.map((off, i) =>
      frame.ethernet(ipv4("10.0.0.1", "10.0.0.2", whole.subarray(off, cut[i + 1] ?? whole.length), { id: 77, offset: off, more: i < cut.length - 1 })),
    );
    for (const order of [
      [0, 1, 2],
      [2, 0, 1],
      [1, 2, 0],
    ]) {
      const { list, stream } = datagrams(
        pcapFile(
          LINKTYPE.ETHERNET,
          order.map((i) => ({ timeUs: i, data: frags[i]! })),
        ),
      );
      expect(list.map((d) => new TextDecoder().decode(d.payload))).toEqual([new TextDecoder().decode(big)]);
      expect(stream.counters).toMatchObject({ fragments: 3, reassembled: 1 });
    }
  });

  test("the same INVITE fragmented over IPv6 (Fragment header) is reassembled; an atomic fragment is a whole packet", () => {
    const big = text(`INVITE sip:srs@[2001:db8::2] SIP/2.0\r\n${"X-Pad: ".padEnd(3000, "x")}\r\n\r\n`);
    const whole = udp(5060, 5070, big);
    const [a, b] = [new Uint8Array(16), new Uint8Array(16)];
    a.set([0x20, 0x01, 0x0d, 0xb8], 0);
    a[15] = 1;
    b.set([0x20, 0x01, 0x0d, 0xb8], 0);
    b[15] = 2;
    const cut = [0, 1448, 2896];
    const frags = cut.map((off, i) =>
      frame.ethernet(ipv6Fragment(a, b, whole.subarray(off, cut[i + 1] ?? whole.length), { id: 0x12345678, offset: off, more: i < cut.length - 1 }), true),
    );
    for (const order of [
      [0, 1, 2],
      [2, 1, 0],
    ]) {
      const { list, stream } = datagrams(
        pcapFile(
          LINKTYPE.ETHERNET,
          order.map((i) => ({ timeUs: i, data: frags[i]! })),
        ),
      );
      expect(list.map((d) => `${d.src}:${d.sport} ${new TextDecoder().decode(d.payload)}`)).toEqual([`2001:db8::1:5060 ${new TextDecoder().decode(big)}`]);
      expect(stream.counters).toMatchObject({ fragments: 3, reassembled: 1 });
    }
    const atomic = frame.ethernet(ipv6Fragment(a, b, udp(1, 2, text("hello")), { id: 9, offset: 0, more: false }), true);
    expect(datagrams(pcapFile(LINKTYPE.ETHERNET, [{ timeUs: 1, data: atomic }])).list.map((d) => new TextDecoder().decode(d.payload))).toEqual(["hello"]);
  });
});

describe("capture reader on bad input", () => {
  const v4 = ipv4("10.0.0.1", "10.0.0.2", udp(1, 2, new Uint8Array(10)));

  test("not a capture, empty, truncated (packets so far kept, offset of the cut record)", () => {
    expect(readAll(text("RIFF....WAVE")).end).toMatchObject({ ok: false, error: { code: "CAPTURE_NOT_A_CAPTURE", offset: 0 } });
    expect(readAll(new Uint8Array(0)).end).toMatchObject({ ok: false, error: { code: "CAPTURE_NOT_A_CAPTURE" } });
    const file = pcapFile(LINKTYPE.ETHERNET, [
      { timeUs: 1, data: frame.ethernet(v4) },
      { timeUs: 2, data: frame.ethernet(v4) },
    ]);
    const { packets, end } = readAll(file.subarray(0, file.length - 5));
    expect(packets).toHaveLength(1);
    expect(end).toMatchObject({ ok: false, error: { code: "CAPTURE_TRUNCATED", offset: 24 + 16 + frame.ethernet(v4).length } });
  });

  test("a length field that lies is refused at once, not buffered", () => {
    const file = pcapFile(LINKTYPE.ETHERNET, [{ timeUs: 1, data: frame.ethernet(v4) }]);
    new DataView(file.buffer).setUint32(24 + 8, 0x7fffffff, true);
    const r = new CaptureReader().push(file);
    expect(r).toMatchObject({ ok: false, error: { code: "CAPTURE_TOO_LARGE", offset: 24 } });
    const ng = pcapngFile([{ linkType: LINKTYPE.ETHERNET }], [{ timeUs: 1, data: frame.ethernet(v4) }]);
    const dv = new DataView(ng.buffer);
    const lastLen = dv.getUint32(ng.length - 4, true);
    dv.setUint32(ng.length - 4, lastLen + 4, true); // the trailing copy of the length disagrees
    expect(readAll(ng).end).toMatchObject({ ok: false, error: { code: "CAPTURE_BAD_RECORD", offset: ng.length - lastLen } });
  });

  test("a section describing more interfaces than any capture has is refused, not stored", () => {
    const ifaces = Array.from({ length: 4097 }, () => ({ linkType: LINKTYPE.ETHERNET }));
    expect(readAll(pcapngFile(ifaces, [])).end).toMatchObject({
      ok: false,
      error: { code: "CAPTURE_BAD_RECORD", message: "more than 4096 interface blocks in one section" },
    });
  });

  test("unknown link types and non-IP frames are counted, not fatal", () => {
    const { list, stream } = datagrams(pcapFile(147, [{ timeUs: 1, data: v4 }]));
    expect(list).toEqual([]);
    expect(stream.counters.notIp).toBe(1);
  });

  test("an endless stream of unfinished fragments stays bounded", () => {
    const s = new UdpStream(16);
    for (let id = 0; id < 1000; id++)
      s.push({
        timeUs: id,
        linkType: LINKTYPE.RAW,
        interfaceId: 0,
        data: ipv4("10.0.0.1", "10.0.0.2", new Uint8Array(8), { id, offset: 0, more: true }),
        originalLength: 28,
      });
    expect(s.counters.fragmentsDropped).toBe(1000 - 16);
  });
});
