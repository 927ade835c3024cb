/**
 * Test helper: UDP datagrams from a classic little-endian pcap with
 * Ethernet/IPv4 framing (how the FreeSWITCH fixtures were written). The
 * product's general capture reader is src/pcap (issue #8); this only feeds
 * real bytes to codec tests.
 */
import { readFileSync } from "node:fs";
import { FIXTURES } from "./vectors.ts";

export interface Datagram {
  readonly timeUs: number;
  readonly src: string;
  readonly sport: number;
  readonly dst: string;
  readonly dport: number;
  readonly payload: Uint8Array;
}

export function udpDatagrams(fixture: string): Datagram[] {
  const b = new Uint8Array(readFileSync(`${FIXTURES}/freeswitch/${fixture}`));
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (dv.getUint32(0, true) !== 0xa1b2c3d4) throw new Error(`${fixture}: not a little-endian microsecond pcap`);
  const out: Datagram[] = [];
  for (let at = 24; at + 16 <= b.length; ) {
    const sec = dv.getUint32(at, true);
    const usec = dv.getUint32(at + 4, true);
    const incl = dv.getUint32(at + 8, true);
    const frame = at + 16;
    at = frame + incl;
    if (dv.getUint16(frame + 12) !== 0x0800) continue;
    const ip = frame + 14;
    const ihl = ((b[ip] as number) & 0x0f) * 4;
    if (b[ip + 9] !== 17) continue;
    const udp = ip + ihl;
    const len = dv.getUint16(udp + 4);
    const ipStr = (o: number) => `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
    out.push({
      timeUs: sec * 1e6 + usec,
      src: ipStr(ip + 12),
      sport: dv.getUint16(udp),
      dst: ipStr(ip + 16),
      dport: dv.getUint16(udp + 2),
      payload: b.slice(udp + 8, udp + len),
    });
  }
  return out;
}

/** RTP-looking datagrams (version 2, not SIP text, not RTCP payload types 200-207). */
export function rtpDatagrams(fixture: string): Datagram[] {
  return udpDatagrams(fixture).filter(
    (d) => d.payload.length >= 12 && (d.payload[0] as number) >> 6 === 2 && !((d.payload[1] as number) >= 200 && (d.payload[1] as number) <= 207),
  );
}

export function rtcpDatagrams(fixture: string): Datagram[] {
  return udpDatagrams(fixture).filter(
    (d) => d.payload.length >= 8 && (d.payload[0] as number) >> 6 === 2 && (d.payload[1] as number) >= 200 && (d.payload[1] as number) <= 207,
  );
}
