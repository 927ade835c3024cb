/**
 * RTCP compound packets (RFC 3550 §6): SR, RR, SDES, BYE; other types kept
 * as raw bytes. Pure; lengths are checked against the buffer (a packet whose
 * length field lies is an error, never an over-read).
 *
 *   0                   1                   2                   3
 *  |V=2|P|    RC   |   PT=SR=200   |             length            |
 *  |                         SSRC of sender                        |
 *  |              NTP timestamp, most significant word             |
 *  |             NTP timestamp, least significant word             |
 *  |                         RTP timestamp                         |
 *  |                     sender's packet count                     |
 *  |                      sender's octet count                     |
 *  | report blocks (24 octets each): SSRC, fraction lost | cumulative lost,
 *  | extended highest sequence, jitter, LSR, DLSR                  |
 */
import { concatBytes } from "../lib/bytes.ts";
import { type Result, err, ok } from "../lib/result.ts";

export interface ReportBlock {
  readonly ssrc: number;
  /** Fraction lost since the last report, in 1/256 units. */
  readonly fractionLost: number;
  /** Cumulative packets lost (signed 24-bit). */
  readonly cumulativeLost: number;
  readonly highestSeq: number;
  /** Interarrival jitter in timestamp units. */
  readonly jitter: number;
  readonly lsr: number;
  readonly dlsr: number;
}

export type RtcpPacket =
  | {
      readonly type: "sr";
      readonly ssrc: number;
      readonly ntpSec: number;
      readonly ntpFrac: number;
      readonly rtpTimestamp: number;
      readonly packetCount: number;
      readonly octetCount: number;
      readonly reports: readonly ReportBlock[];
    }
  | { readonly type: "rr"; readonly ssrc: number; readonly reports: readonly ReportBlock[] }
  | {
      readonly type: "sdes";
      readonly chunks: readonly { readonly ssrc: number; readonly items: readonly { readonly type: number; readonly text: string }[] }[];
    }
  | { readonly type: "bye"; readonly ssrcs: readonly number[]; readonly reason?: string }
  | { readonly type: "other"; readonly packetType: number; readonly raw: Uint8Array };

export type RtcpErrorCode = "RTCP_SHORT" | "RTCP_VERSION" | "RTCP_LENGTH" | "RTCP_FIRST_NOT_REPORT" | "RTCP_BAD_ITEM";

export interface RtcpError {
  readonly code: RtcpErrorCode;
  readonly message: string;
}

export const SDES_CNAME = 1;

const bad = (code: RtcpErrorCode, message: string) => err<RtcpError>({ code, message });

function readBlocks(dv: DataView, at: number, count: number): ReportBlock[] {
  const out: ReportBlock[] = [];
  for (let i = 0; i < count; i++, at += 24) {
    const lostWord = dv.getUint32(at + 4);
    const cumulative = lostWord & 0xffffff;
    out.push({
      ssrc: dv.getUint32(at),
      fractionLost: lostWord >>> 24,
      cumulativeLost: cumulative & 0x800000 ? cumulative - 0x1000000 : cumulative,
      highestSeq: dv.getUint32(at + 8),
      jitter: dv.getUint32(at + 12),
      lsr: dv.getUint32(at + 16),
      dlsr: dv.getUint32(at + 20),
    });
  }
  return out;
}

function parseOne(b: Uint8Array, dv: DataView, at: number, len: number): Result<RtcpPacket, RtcpError> {
  const count = (b[at] as number) & 0x1f;
  const pt = b[at + 1] as number;
  const end = at + len;
  const need = (n: number) => (at + n > end ? bad("RTCP_LENGTH", `packet type ${pt} needs ${n} bytes, its length says ${len}`) : undefined);
  switch (pt) {
    case 200: {
      const short = need(28 + count * 24);
      if (short) return short;
      return ok({
        type: "sr",
        ssrc: dv.getUint32(at + 4),
        ntpSec: dv.getUint32(at + 8),
        ntpFrac: dv.getUint32(at + 12),
        rtpTimestamp: dv.getUint32(at + 16),
        packetCount: dv.getUint32(at + 20),
        octetCount: dv.getUint32(at + 24),
        reports: readBlocks(dv, at + 28, count),
      });
    }
    case 201: {
      const short = need(8 + count * 24);
      if (short) return short;
      return ok({ type: "rr", ssrc: dv.getUint32(at + 4), reports: readBlocks(dv, at + 8, count) });
    }
    case 202: {
      const chunks: { ssrc: number; items: { type: number; text: string }[] }[] = [];
      let p = at + 4;
      for (let c = 0; c < count; c++) {
        if (p + 4 > end) return bad("RTCP_LENGTH", "an SDES chunk runs past its packet");
        const ssrc = dv.getUint32(p);
        p += 4;
        const items: { type: number; text: string }[] = [];
        while (p < end && b[p] !== 0) {
          const type = b[p] as number;
          const l = b[p + 1];
          if (l === undefined || p + 2 + l > end) return bad("RTCP_BAD_ITEM", "an SDES item runs past its packet");
          items.push({ type, text: new TextDecoder().decode(b.subarray(p + 2, p + 2 + l)) });
          p += 2 + l;
        }
        p = (p + 4) & ~3; // the null item and padding to the next 32-bit boundary
        chunks.push({ ssrc, items });
      }
      return ok({ type: "sdes", chunks });
    }
    case 203: {
      const short = need(4 + count * 4);
      if (short) return short;
      const ssrcs = Array.from({ length: count }, (_, i) => dv.getUint32(at + 4 + i * 4));
      const r = at + 4 + count * 4;
      const rl = b[r];
      const reason = rl !== undefined && r < end && r + 1 + rl <= end ? new TextDecoder().decode(b.subarray(r + 1, r + 1 + rl)) : undefined;
      return ok({ type: "bye", ssrcs, ...(reason === undefined ? {} : { reason }) });
    }
    default:
      return ok({ type: "other", packetType: pt, raw: b.slice(at, end) });
  }
}

/** RFC 3550 §6.1 / A.2: every packet version 2, lengths adding up exactly, the first one SR or RR. */
export function parseRtcpCompound(b: Uint8Array): Result<RtcpPacket[], RtcpError> {
  if (b.length < 8) return bad("RTCP_SHORT", `${b.length} bytes is shorter than an RTCP packet`);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: RtcpPacket[] = [];
  let at = 0;
  while (at < b.length) {
    if (at + 4 > b.length) return bad("RTCP_LENGTH", "trailing bytes after the last packet");
    if ((b[at] as number) >> 6 !== 2) return bad("RTCP_VERSION", `RTCP version ${(b[at] as number) >> 6}, expected 2`);
    const len = (dv.getUint16(at + 2) + 1) * 4;
    if (at + len > b.length) return bad("RTCP_LENGTH", `a packet claims ${len} bytes but ${b.length - at} remain`);
    const p = parseOne(b, dv, at, len);
    if (!p.ok) return p;
    if (out.length === 0 && p.value.type !== "sr" && p.value.type !== "rr") return bad("RTCP_FIRST_NOT_REPORT", "a compound packet starts with SR or RR");
    out.push(p.value);
    at += len;
  }
  return ok(out);
}

function header(buf: DataView, at: number, count: number, pt: number, bytes: number): void {
  buf.setUint8(at, 0x80 | (count & 0x1f));
  buf.setUint8(at + 1, pt);
  buf.setUint16(at + 2, bytes / 4 - 1);
}

function writeBlocks(dv: DataView, at: number, reports: readonly ReportBlock[]): void {
  for (const r of reports) {
    dv.setUint32(at, r.ssrc >>> 0);
    dv.setUint32(at + 4, (((r.fractionLost & 0xff) << 24) | (r.cumulativeLost & 0xffffff)) >>> 0);
    dv.setUint32(at + 8, r.highestSeq >>> 0);
    dv.setUint32(at + 12, r.jitter >>> 0);
    dv.setUint32(at + 16, r.lsr >>> 0);
    dv.setUint32(at + 20, r.dlsr >>> 0);
    at += 24;
  }
}

function packetBytes(p: RtcpPacket): Uint8Array {
  const enc = new TextEncoder();
  switch (p.type) {
    case "sr": {
      const out = new Uint8Array(28 + p.reports.length * 24);
      const dv = new DataView(out.buffer);
      header(dv, 0, p.reports.length, 200, out.length);
      [p.ssrc, p.ntpSec, p.ntpFrac, p.rtpTimestamp, p.packetCount, p.octetCount].forEach((v, i) => dv.setUint32(4 + i * 4, v >>> 0));
      writeBlocks(dv, 28, p.reports);
      return out;
    }
    case "rr": {
      const out = new Uint8Array(8 + p.reports.length * 24);
      const dv = new DataView(out.buffer);
      header(dv, 0, p.reports.length, 201, out.length);
      dv.setUint32(4, p.ssrc >>> 0);
      writeBlocks(dv, 8, p.reports);
      return out;
    }
    case "sdes": {
      const parts: number[] = [];
      for (const c of p.chunks) {
        parts.push(c.ssrc >>> 24, (c.ssrc >>> 16) & 0xff, (c.ssrc >>> 8) & 0xff, c.ssrc & 0xff);
        for (const it of c.items) {
          const t = enc.encode(it.text).subarray(0, 255);
          parts.push(it.type, t.length, ...t);
        }
        parts.push(0);
        while (parts.length % 4 !== 0) parts.push(0);
      }
      const out = new Uint8Array(4 + parts.length);
      header(new DataView(out.buffer), 0, p.chunks.length, 202, out.length);
      out.set(parts, 4);
      return out;
    }
    case "bye": {
      const reason = p.reason === undefined ? undefined : enc.encode(p.reason).subarray(0, 255);
      const len = 4 + p.ssrcs.length * 4 + (reason === undefined ? 0 : (1 + reason.length + 3) & ~3);
      const out = new Uint8Array(len);
      const dv = new DataView(out.buffer);
      header(dv, 0, p.ssrcs.length, 203, len);
      p.ssrcs.forEach((s, i) => dv.setUint32(4 + i * 4, s >>> 0));
      if (reason !== undefined) {
        out[4 + p.ssrcs.length * 4] = reason.length;
        out.set(reason, 5 + p.ssrcs.length * 4);
      }
      return out;
    }
    case "other":
      return p.raw;
  }
}

export function serializeRtcpCompound(packets: readonly RtcpPacket[]): Uint8Array {
  return concatBytes(packets.map(packetBytes));
}
