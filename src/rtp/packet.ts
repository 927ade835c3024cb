/**
 * RTP packets (RFC 3550 §5.1), pure.
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                           timestamp                           |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |           synchronization source (SSRC) identifier            |
 *  +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 *  |            contributing source (CSRC) identifiers             |
 *  |                             ....                              |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  | (X) profile-defined 16 bits   |     length in 32-bit words    |
 *  |                        header extension                       |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                payload ...    | padding ...   | pad count (P) |
 *
 * parseRtp returns views into the input (no copy) for the hot path.
 */
import { type Result, err, ok } from "../lib/result.ts";

export interface RtpExtension {
  readonly profile: number;
  readonly data: Uint8Array;
}

export interface RtpPacket {
  readonly marker: boolean;
  readonly payloadType: number;
  readonly sequence: number;
  readonly timestamp: number;
  readonly ssrc: number;
  readonly csrcs: readonly number[];
  readonly extension?: RtpExtension;
  readonly payload: Uint8Array;
  /** Padding octets (including the count octet) at the end, 0 when none. */
  readonly paddingLength: number;
}

export type RtpErrorCode = "RTP_SHORT" | "RTP_VERSION" | "RTP_CSRC_OVERRUN" | "RTP_EXTENSION_OVERRUN" | "RTP_BAD_PADDING";

export interface RtpError {
  readonly code: RtpErrorCode;
  readonly message: string;
}

export const RTP_HEADER_LENGTH = 12;

const bad = (code: RtpErrorCode, message: string) => err<RtpError>({ code, message });

export function parseRtp(b: Uint8Array): Result<RtpPacket, RtpError> {
  if (b.length < RTP_HEADER_LENGTH) return bad("RTP_SHORT", `${b.length} bytes is shorter than an RTP header`);
  const b0 = b[0] as number;
  if (b0 >> 6 !== 2) return bad("RTP_VERSION", `RTP version ${b0 >> 6}, expected 2`);
  const cc = b0 & 0x0f;
  let off = RTP_HEADER_LENGTH + cc * 4;
  if (off > b.length) return bad("RTP_CSRC_OVERRUN", `CSRC count ${cc} runs past the end of a ${b.length}-byte packet`);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const csrcs: number[] = [];
  for (let i = 0; i < cc; i++) csrcs.push(dv.getUint32(RTP_HEADER_LENGTH + i * 4));
  let extension: RtpExtension | undefined;
  if ((b0 & 0x10) !== 0) {
    if (off + 4 > b.length) return bad("RTP_EXTENSION_OVERRUN", "the header extension runs past the end");
    const words = dv.getUint16(off + 2);
    const end = off + 4 + words * 4;
    if (end > b.length) return bad("RTP_EXTENSION_OVERRUN", `a ${words}-word header extension runs past the end`);
    extension = { profile: dv.getUint16(off), data: b.subarray(off + 4, end) };
    off = end;
  }
  let paddingLength = 0;
  if ((b0 & 0x20) !== 0) {
    paddingLength = b[b.length - 1] as number;
    // RFC 3550 §5.1: the last octet counts the padding octets, itself included.
    if (paddingLength === 0 || off + paddingLength > b.length) return bad("RTP_BAD_PADDING", `padding of ${paddingLength} octets does not fit`);
  }
  const b1 = b[1] as number;
  return ok({
    marker: (b1 & 0x80) !== 0,
    payloadType: b1 & 0x7f,
    sequence: dv.getUint16(2),
    timestamp: dv.getUint32(4),
    ssrc: dv.getUint32(8),
    csrcs,
    ...(extension === undefined ? {} : { extension }),
    payload: b.subarray(off, b.length - paddingLength),
    paddingLength,
  });
}

/** Bytes `encodeRtpInto` writes for `p`. */
export function rtpLength(p: RtpPacket): number {
  return RTP_HEADER_LENGTH + p.csrcs.length * 4 + (p.extension === undefined ? 0 : 4 + p.extension.data.length) + p.payload.length + p.paddingLength;
}

/** Writes `p` at `off` in `out`; returns the bytes written. The hot path allocates nothing. */
export function encodeRtpInto(p: RtpPacket, out: Uint8Array, off = 0): number {
  const dv = new DataView(out.buffer, out.byteOffset + off, out.byteLength - off);
  const ext = p.extension;
  out[off] = 0x80 | (p.paddingLength > 0 ? 0x20 : 0) | (ext === undefined ? 0 : 0x10) | (p.csrcs.length & 0x0f);
  out[off + 1] = (p.marker ? 0x80 : 0) | (p.payloadType & 0x7f);
  dv.setUint16(2, p.sequence & 0xffff);
  dv.setUint32(4, p.timestamp >>> 0);
  dv.setUint32(8, p.ssrc >>> 0);
  let at = RTP_HEADER_LENGTH;
  for (const c of p.csrcs) {
    dv.setUint32(at, c >>> 0);
    at += 4;
  }
  if (ext !== undefined) {
    if (ext.data.length % 4 !== 0) throw new Error("an RTP header extension is a whole number of 32-bit words");
    dv.setUint16(at, ext.profile);
    dv.setUint16(at + 2, ext.data.length / 4);
    out.set(ext.data, off + at + 4);
    at += 4 + ext.data.length;
  }
  out.set(p.payload, off + at);
  at += p.payload.length;
  if (p.paddingLength > 0) {
    out.fill(0, off + at, off + at + p.paddingLength - 1);
    out[off + at + p.paddingLength - 1] = p.paddingLength;
    at += p.paddingLength;
  }
  return at;
}

export function serializeRtp(p: RtpPacket): Uint8Array {
  const out = new Uint8Array(rtpLength(p));
  encodeRtpInto(p, out);
  return out;
}

/** RFC 3550 Appendix A.1: is sequence `a` after `b`, modulo 2^16. */
export function seqNewer(a: number, b: number): boolean {
  return a !== b && ((a - b) & 0xffff) < 0x8000;
}

/**
 * Hot-path header check without allocating: the offset of the payload
 * (after CSRCs and extension), or -1 when the bytes are not a well-formed
 * RTP packet (same rules as parseRtp, padding included).
 */
export function rtpPayloadOffset(b: Uint8Array): number {
  if (b.length < RTP_HEADER_LENGTH || (b[0] as number) >> 6 !== 2) return -1;
  let n = RTP_HEADER_LENGTH + ((b[0] as number) & 0x0f) * 4;
  if (((b[0] as number) & 0x10) !== 0) {
    if (n + 4 > b.length) return -1;
    n += 4 + (((b[n + 2] as number) << 8) | (b[n + 3] as number)) * 4;
  }
  if (n > b.length) return -1;
  if (((b[0] as number) & 0x20) !== 0) {
    const pad = b[b.length - 1] as number;
    if (pad === 0 || n + pad > b.length) return -1;
  }
  return n;
}

/** Payload end (before padding) of a packet that passed rtpPayloadOffset. */
export function rtpPayloadEnd(b: Uint8Array): number {
  return ((b[0] as number) & 0x20) !== 0 ? b.length - (b[b.length - 1] as number) : b.length;
}
