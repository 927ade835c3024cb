/**
 * Link layer → IP → UDP, for the link types captures of VoIP traffic use:
 * Ethernet (with 802.1Q/802.1ad VLAN tags), Linux cooked SLL and SLL2, raw
 * IPv4/IPv6, BSD loopback (DLT_NULL / DLT_LOOP). Pure: bytes in, a typed
 * value or a reason out; never throws on short or odd frames.
 */
export const LINKTYPE = { NULL: 0, ETHERNET: 1, RAW: 101, LOOP: 108, LINUX_SLL: 113, IPV4: 228, IPV6: 229, LINUX_SLL2: 276 } as const;

/** True for the link types linkPayload decodes. */
export function isDecodedLinkType(linkType: number): boolean {
  return (Object.values(LINKTYPE) as number[]).includes(linkType);
}

export interface IpPacket {
  readonly version: 4 | 6;
  readonly src: string;
  readonly dst: string;
  readonly protocol: number;
  readonly payload: Uint8Array;
  /** IPv4 or IPv6 fragmentation: id, offset in bytes, more-fragments flag (undefined when not a fragment). */
  readonly fragment?: { readonly id: number; readonly offset: number; readonly more: boolean };
}

export interface UdpDatagram {
  readonly src: string;
  readonly sport: number;
  readonly dst: string;
  readonly dport: number;
  readonly payload: Uint8Array;
}

export type Decoded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

const no = (reason: string): { ok: false; reason: string } => ({ ok: false, reason });

/** The network-layer bytes of a frame and their EtherType (0x0800 IPv4, 0x86dd IPv6). */
export function linkPayload(linkType: number, d: Uint8Array): Decoded<{ etherType: number; bytes: Uint8Array }> {
  const dv = new DataView(d.buffer, d.byteOffset, d.byteLength);
  switch (linkType) {
    case LINKTYPE.ETHERNET: {
      if (d.length < 14) return no("short Ethernet frame");
      let at = 12;
      let type = dv.getUint16(at);
      // 802.1Q and 802.1ad tags (possibly stacked): 4 bytes each.
      while ((type === 0x8100 || type === 0x88a8 || type === 0x9100) && at + 6 <= d.length) {
        at += 4;
        type = dv.getUint16(at);
      }
      return { ok: true, value: { etherType: type, bytes: d.subarray(at + 2) } };
    }
    case LINKTYPE.LINUX_SLL:
      if (d.length < 16) return no("short Linux cooked (SLL) header");
      return { ok: true, value: { etherType: dv.getUint16(14), bytes: d.subarray(16) } };
    case LINKTYPE.LINUX_SLL2:
      if (d.length < 20) return no("short Linux cooked (SLL2) header");
      return { ok: true, value: { etherType: dv.getUint16(0), bytes: d.subarray(20) } };
    case LINKTYPE.RAW:
    case LINKTYPE.IPV4:
    case LINKTYPE.IPV6: {
      const v = (d[0] ?? 0) >> 4;
      return v === 4 || v === 6 ? { ok: true, value: { etherType: v === 4 ? 0x0800 : 0x86dd, bytes: d } } : no("raw frame is neither IPv4 nor IPv6");
    }
    case LINKTYPE.NULL:
    case LINKTYPE.LOOP: {
      if (d.length < 4) return no("short loopback header");
      // The address family, in the capturing host's byte order (NULL) or network order (LOOP).
      const family = linkType === LINKTYPE.LOOP ? dv.getUint32(0) : Math.min(dv.getUint32(0, true), dv.getUint32(0, false));
      if (family === 2) return { ok: true, value: { etherType: 0x0800, bytes: d.subarray(4) } };
      if (family === 24 || family === 28 || family === 30 || family === 10) return { ok: true, value: { etherType: 0x86dd, bytes: d.subarray(4) } };
      return no(`loopback family ${family} is not IP`);
    }
    default:
      return no(`link type ${linkType} is not supported`);
  }
}

export function parseIp(etherType: number, b: Uint8Array): Decoded<IpPacket> {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (etherType === 0x0800) {
    if (b.length < 20 || (b[0] as number) >> 4 !== 4) return no("not an IPv4 header");
    const ihl = ((b[0] as number) & 0x0f) * 4;
    const total = dv.getUint16(2);
    if (ihl < 20 || total < ihl || b.length < ihl) return no("IPv4 header lengths do not add up");
    const flags = dv.getUint16(6);
    const offset = (flags & 0x1fff) * 8;
    const more = (flags & 0x2000) !== 0;
    const ip4 = (o: number): string => `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
    return {
      ok: true,
      value: {
        version: 4,
        src: ip4(12),
        dst: ip4(16),
        protocol: b[9] as number,
        // Ethernet pads short frames: the IP total length is the truth.
        payload: b.subarray(ihl, Math.min(b.length, total)),
        ...(offset !== 0 || more ? { fragment: { id: dv.getUint16(4), offset, more } } : {}),
      },
    };
  }
  if (etherType === 0x86dd) {
    if (b.length < 40 || (b[0] as number) >> 4 !== 6) return no("not an IPv6 header");
    let next = b[6] as number;
    let at = 40;
    const end = Math.min(b.length, 40 + dv.getUint16(4));
    // Hop-by-hop, routing and destination options headers before the transport.
    while ((next === 0 || next === 43 || next === 60) && at + 8 <= end) {
      next = b[at] as number;
      at += 8 + (b[at + 1] as number) * 8;
    }
    // RFC 8200 §4.5: the Fragment header (44): next header, offset in 8-octet units, M flag, 32-bit id.
    if (next === 44) {
      if (at + 8 > end) return no("IPv6 fragment header cut short");
      const fo = dv.getUint16(at + 2);
      const offset = (fo >> 3) * 8;
      const more = (fo & 1) !== 0;
      const src = ip6(b.subarray(8, 24));
      const dst = ip6(b.subarray(24, 40));
      // RFC 6946: an "atomic" fragment (offset 0, no more) is a whole packet.
      const fragment = offset !== 0 || more ? { fragment: { id: dv.getUint32(at + 4), offset, more } } : {};
      return { ok: true, value: { version: 6, src, dst, protocol: b[at] as number, payload: b.subarray(at + 8, end), ...fragment } };
    }
    return { ok: true, value: { version: 6, src: ip6(b.subarray(8, 24)), dst: ip6(b.subarray(24, 40)), protocol: next, payload: b.subarray(at, end) } };
  }
  return no(`EtherType 0x${etherType.toString(16)} is not IP`);
}

export function parseUdp(ip: IpPacket): Decoded<UdpDatagram> {
  const b = ip.payload;
  if (ip.protocol !== 17) return no("not UDP");
  if (b.length < 8) return no("short UDP header");
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const len = dv.getUint16(4);
  if (len < 8) return no("UDP length below its header");
  return { ok: true, value: { src: ip.src, sport: dv.getUint16(0), dst: ip.dst, dport: dv.getUint16(2), payload: b.subarray(8, Math.min(b.length, len)) } };
}

function ip6(b: Uint8Array): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((b[i] as number) << 8) | (b[i + 1] as number)).toString(16));
  // The longest run of zero groups becomes "::" (RFC 5952).
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== "0") {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === "0") j++;
    if (j - i > bestLen && j - i > 1) [best, bestLen] = [i, j - i];
    i = j;
  }
  if (best < 0) return groups.join(":");
  return `${groups.slice(0, best).join(":")}::${groups.slice(best + bestLen).join(":")}`;
}
