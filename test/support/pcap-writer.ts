/**
 * Writes synthetic captures for reader tests (layouts from the pcap and
 * pcapng specifications): pcap in either byte order with µs or ns
 * timestamps, pcapng with several interfaces and if_tsresol, and frames for
 * Ethernet (+VLAN), SLL, SLL2, raw IP and BSD loopback around IPv4/IPv6 UDP.
 */
const cat = (parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

export interface Rec {
  readonly timeUs: number;
  readonly data: Uint8Array;
  readonly iface?: number;
}

export function pcapFile(linkType: number, recs: readonly Rec[], o: { le?: boolean; ns?: boolean } = {}): Uint8Array {
  const le = o.le ?? true;
  const head = new DataView(new ArrayBuffer(24));
  head.setUint32(0, o.ns === true ? 0xa1b23c4d : 0xa1b2c3d4, le);
  head.setUint16(4, 2, le);
  head.setUint16(6, 4, le);
  head.setUint32(16, 262144, le);
  head.setUint32(20, linkType, le);
  const parts: Uint8Array[] = [new Uint8Array(head.buffer)];
  for (const r of recs) {
    const h = new DataView(new ArrayBuffer(16));
    h.setUint32(0, Math.floor(r.timeUs / 1e6), le);
    h.setUint32(4, o.ns === true ? Math.round((r.timeUs % 1e6) * 1000) : Math.round(r.timeUs % 1e6), le);
    h.setUint32(8, r.data.length, le);
    h.setUint32(12, r.data.length, le);
    parts.push(new Uint8Array(h.buffer), r.data);
  }
  return cat(parts);
}

function block(type: number, body: Uint8Array, le: boolean): Uint8Array {
  const padded = (body.length + 3) & ~3;
  const len = 12 + padded;
  const b = new Uint8Array(len);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, type, le);
  dv.setUint32(4, len, le);
  b.set(body, 8);
  dv.setUint32(len - 4, len, le);
  return b;
}

/** pcapng: one section, the given interfaces (link type, ns resolution or not), EPBs, plus an unknown block. */
export function pcapngFile(ifaces: readonly { linkType: number; ns?: boolean }[], recs: readonly Rec[], o: { le?: boolean } = {}): Uint8Array {
  const le = o.le ?? true;
  const shb = new DataView(new ArrayBuffer(16));
  shb.setUint32(0, 0x1a2b3c4d, le);
  shb.setUint16(4, 1, le);
  shb.setInt32(8, -1, le);
  shb.setInt32(12, -1, le);
  const parts: Uint8Array[] = [block(0x0a0d0d0a, new Uint8Array(shb.buffer), le)];
  for (const i of ifaces) {
    const idb = new DataView(new ArrayBuffer(i.ns === true ? 20 : 8));
    idb.setUint16(0, i.linkType, le);
    idb.setUint32(4, 262144, le);
    if (i.ns === true) {
      idb.setUint16(8, 9, le); // if_tsresol
      idb.setUint16(10, 1, le);
      idb.setUint8(12, 9); // 10^-9
      idb.setUint16(16, 0, le); // opt_endofopt
    }
    parts.push(block(1, new Uint8Array(idb.buffer), le));
  }
  parts.push(block(0x0bad, new Uint8Array([1, 2, 3, 4]), le)); // unknown: skipped
  for (const r of recs) {
    const iface = r.iface ?? 0;
    const units = ifaces[iface]?.ns === true ? BigInt(Math.round(r.timeUs * 1000)) : BigInt(Math.round(r.timeUs));
    const h = new DataView(new ArrayBuffer(20));
    h.setUint32(0, iface, le);
    h.setUint32(4, Number(units >> 32n), le);
    h.setUint32(8, Number(units & 0xffffffffn), le);
    h.setUint32(12, r.data.length, le);
    h.setUint32(16, r.data.length, le);
    parts.push(block(6, cat([new Uint8Array(h.buffer), r.data]), le));
  }
  return cat(parts);
}

export function udp(sport: number, dport: number, payload: Uint8Array): Uint8Array {
  const h = new DataView(new ArrayBuffer(8));
  h.setUint16(0, sport);
  h.setUint16(2, dport);
  h.setUint16(4, 8 + payload.length);
  return cat([new Uint8Array(h.buffer), payload]);
}

/** A TCP segment (no options): flags 0x02 SYN, 0x18 PSH+ACK. */
export function tcp(sport: number, dport: number, seq: number, payload: Uint8Array, flags = 0x18): Uint8Array {
  const h = new Uint8Array(20);
  const dv = new DataView(h.buffer);
  dv.setUint16(0, sport);
  dv.setUint16(2, dport);
  dv.setUint32(4, seq >>> 0);
  h[12] = 5 << 4;
  h[13] = flags;
  dv.setUint16(14, 65535);
  return cat([h, payload]);
}

export function ipv4(src: string, dst: string, payload: Uint8Array, o: { id?: number; offset?: number; more?: boolean; protocol?: number } = {}): Uint8Array {
  const h = new Uint8Array(20);
  const dv = new DataView(h.buffer);
  h[0] = 0x45;
  dv.setUint16(2, 20 + payload.length);
  dv.setUint16(4, o.id ?? 1);
  dv.setUint16(6, ((o.more === true ? 1 : 0) << 13) | ((o.offset ?? 0) / 8));
  h[8] = 64;
  h[9] = o.protocol ?? 17;
  h.set(src.split(".").map(Number), 12);
  h.set(dst.split(".").map(Number), 16);
  return cat([h, payload]);
}

export function ipv6(src: Uint8Array, dst: Uint8Array, payload: Uint8Array): Uint8Array {
  const h = new Uint8Array(40);
  const dv = new DataView(h.buffer);
  h[0] = 0x60;
  dv.setUint16(4, payload.length);
  h[6] = 17;
  h[7] = 64;
  h.set(src, 8);
  h.set(dst, 24);
  return cat([h, payload]);
}

/** An IPv6 packet carrying one fragment (RFC 8200 §4.5) of a UDP datagram. */
export function ipv6Fragment(src: Uint8Array, dst: Uint8Array, part: Uint8Array, o: { id: number; offset: number; more: boolean }): Uint8Array {
  const fh = new Uint8Array(8);
  const dv = new DataView(fh.buffer);
  fh[0] = 17;
  dv.setUint16(2, ((o.offset / 8) << 3) | (o.more ? 1 : 0));
  dv.setUint32(4, o.id);
  const packet = ipv6(src, dst, cat([fh, part]));
  packet[6] = 44;
  return packet;
}

export const frame = {
  ethernet: (ip: Uint8Array, v6 = false): Uint8Array => cat([new Uint8Array(12), new Uint8Array([v6 ? 0x86 : 0x08, v6 ? 0xdd : 0x00]), ip]),
  vlan: (ip: Uint8Array): Uint8Array => cat([new Uint8Array(12), new Uint8Array([0x81, 0x00, 0x00, 0x64, 0x08, 0x00]), ip]),
  sll: (ip: Uint8Array): Uint8Array => cat([new Uint8Array(14), new Uint8Array([0x08, 0x00]), ip]),
  sll2: (ip: Uint8Array): Uint8Array => cat([new Uint8Array([0x08, 0x00]), new Uint8Array(18), ip]),
  loopback: (ip: Uint8Array): Uint8Array => cat([new Uint8Array([2, 0, 0, 0]), ip]),
};
