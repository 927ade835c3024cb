/**
 * Captured packets → UDP datagrams with their capture time, reassembling
 * fragmented IPv4 (SIPREC INVITEs often exceed the MTU over UDP); with
 * pushAll, SIP over TCP too (sip-over-tcp.ts), as datagram-shaped messages. Bounded:
 * at most `maxPending` datagrams in reassembly, each at most 64 KiB, and a
 * fragment set older than 30 s of capture time is dropped and counted.
 */
import type { CapturedPacket } from "./reader.ts";
import { type IpPacket, type UdpDatagram, isDecodedLinkType, linkPayload, parseIp, parseUdp } from "./decode.ts";
import { TcpSipReassembler } from "./sip-over-tcp.ts";

export interface TimedDatagram extends UdpDatagram {
  readonly timeUs: number;
}

export interface UdpStreamCounters {
  packets: number;
  datagrams: number;
  notIp: number;
  notUdp: number;
  fragments: number;
  reassembled: number;
  fragmentsDropped: number;
}

interface Pending {
  readonly first: IpPacket;
  readonly startUs: number;
  readonly parts: { offset: number; bytes: Uint8Array }[];
  total: number | undefined;
  size: number;
}

const MAX_DATAGRAM = 65_535;
const REASSEMBLY_US = 30e6;

export class UdpStream {
  readonly counters: UdpStreamCounters = { packets: 0, datagrams: 0, notIp: 0, notUdp: 0, fragments: 0, reassembled: 0, fragmentsDropped: 0 };
  readonly #pending = new Map<string, Pending>();
  /** Packets on link types siprec does not decode, by link type. */
  readonly unknownLinkTypes = new Map<number, number>();

  constructor(private readonly maxPending = 1024) {}

  readonly #tcp = new TcpSipReassembler();

  /** UDP datagrams and SIP-over-TCP messages this packet completes. */
  pushAll(p: CapturedPacket): TimedDatagram[] {
    const link = linkPayload(p.linkType, p.data);
    const ip = link.ok ? parseIp(link.value.etherType, link.value.bytes) : undefined;
    if (ip?.ok === true && ip.value.protocol === 6 && ip.value.fragment === undefined) {
      this.counters.packets++;
      return this.#tcp.push(ip.value).map((m) => ({ ...m, timeUs: p.timeUs }));
    }
    const d = this.push(p);
    return d === undefined ? [] : [d];
  }

  /** The UDP datagram this packet completes, if any. */
  push(p: CapturedPacket): TimedDatagram | undefined {
    this.counters.packets++;
    const link = linkPayload(p.linkType, p.data);
    const ip = link.ok ? parseIp(link.value.etherType, link.value.bytes) : undefined;
    if (ip === undefined || !ip.ok) {
      this.counters.notIp++;
      if (!isDecodedLinkType(p.linkType)) this.unknownLinkTypes.set(p.linkType, (this.unknownLinkTypes.get(p.linkType) ?? 0) + 1);
      return undefined;
    }
    const whole = ip.value.fragment === undefined ? ip.value : this.#reassemble(ip.value, p.timeUs);
    if (whole === undefined) return undefined;
    const udp = parseUdp(whole);
    if (!udp.ok) {
      this.counters.notUdp++;
      return undefined;
    }
    this.counters.datagrams++;
    return { ...udp.value, timeUs: p.timeUs };
  }

  #reassemble(ip: IpPacket, timeUs: number): IpPacket | undefined {
    const f = ip.fragment!;
    this.counters.fragments++;
    this.#expire(timeUs);
    const key = `${ip.src}>${ip.dst}/${ip.protocol}/${f.id}`;
    let p = this.#pending.get(key);
    if (p === undefined) {
      if (this.#pending.size >= this.maxPending) {
        const oldest = this.#pending.keys().next().value as string;
        this.counters.fragmentsDropped += this.#pending.get(oldest)?.parts.length ?? 0;
        this.#pending.delete(oldest);
      }
      p = { first: ip, startUs: timeUs, parts: [], total: undefined, size: 0 };
      this.#pending.set(key, p);
    }
    if (f.offset + ip.payload.length > MAX_DATAGRAM) {
      this.counters.fragmentsDropped += p.parts.length + 1;
      this.#pending.delete(key);
      return undefined;
    }
    p.parts.push({ offset: f.offset, bytes: ip.payload.slice() }); // a copy: a view would pin its read chunk
    p.size += ip.payload.length;
    if (!f.more) p.total = f.offset + ip.payload.length;
    if (p.total === undefined || p.size < p.total) return undefined;
    const out = new Uint8Array(p.total);
    const covered = new Uint8Array(p.total);
    for (const part of p.parts) {
      out.set(part.bytes.subarray(0, Math.max(0, p.total - part.offset)), part.offset);
      covered.fill(1, part.offset, Math.min(p.total, part.offset + part.bytes.length));
    }
    if (covered.includes(0)) return undefined; // overlapping parts filled the count but left a hole
    this.#pending.delete(key);
    this.counters.reassembled++;
    const { fragment: _f, ...rest } = p.first;
    return { ...rest, payload: out };
  }

  #expire(nowUs: number): void {
    for (const [key, p] of this.#pending) {
      if (nowUs - p.startUs <= REASSEMBLY_US) break; // insertion order: the rest are newer
      this.counters.fragmentsDropped += p.parts.length;
      this.#pending.delete(key);
    }
  }
}
