/**
 * AEAD_AES_128_GCM for SRTP and SRTCP (RFC 7714), per packet, with session
 * keys: the IV, the associated data and the packet layout. Replay and
 * rollover state stay in context.ts.
 *
 * RFC 7714 §8.1: "The 12-octet IV used by AES-GCM SRTP is formed by first
 * concatenating 2 octets of zeroes, the 4-octet SSRC, the 4-octet rollover
 * counter (ROC), and the 2-octet sequence number (SEQ). The resulting
 * 12-octet value is then XORed to the 12-octet salt".
 * §8.2: the associated data is the RTP header (CSRCs and header extension
 * included); the payload is encrypted and the 16-octet tag appended.
 * §9.1: the SRTCP IV is "2 octets of zeroes, the 4-octet SSRC, 2 octets of
 * zeroes, a single 'zero' bit, and the 31-bit SRTCP index", XORed with the
 * salt. §9.2: the associated data is the first 8 octets of the RTCP packet
 * and the 4-octet E flag + SRTCP index word; the packet on the wire is
 * header || ciphertext || tag || E+index (§9, Figure 3).
 */
import { createCipheriv, createDecipheriv } from "node:crypto";

export const GCM_TAG_LENGTH = 16;

export interface GcmKeys {
  readonly key: Uint8Array;
  /** The 12-octet session salt. */
  readonly salt: Uint8Array;
}

function ivOf(salt: Uint8Array, ssrc: number, hi: number, lo16: number | undefined, lo32: number | undefined): Uint8Array {
  const v = new Uint8Array(12);
  const dv = new DataView(v.buffer);
  dv.setUint32(2, ssrc >>> 0);
  if (lo32 === undefined) {
    dv.setUint32(6, hi >>> 0);
    dv.setUint16(10, lo16 as number);
  } else dv.setUint32(8, lo32 & 0x7fffffff);
  for (let i = 0; i < 12; i++) v[i] = (v[i] as number) ^ (salt[i] as number);
  return v;
}

/** RFC 7714 §8.1 SRTP IV. */
export function srtpGcmIv(salt: Uint8Array, ssrc: number, roc: number, seq: number): Uint8Array {
  return ivOf(salt, ssrc, roc, seq, undefined);
}

/** RFC 7714 §9.1 SRTCP IV. */
export function srtcpGcmIv(salt: Uint8Array, ssrc: number, index: number): Uint8Array {
  return ivOf(salt, ssrc, 0, undefined, index);
}

function seal(k: GcmKeys, iv: Uint8Array, aad: Uint8Array, plain: Uint8Array): { ct: Uint8Array; tag: Uint8Array } {
  const c = createCipheriv("aes-128-gcm", k.key, iv, { authTagLength: GCM_TAG_LENGTH });
  c.setAAD(aad);
  const ct = c.update(plain);
  c.final();
  return { ct: new Uint8Array(ct.buffer, ct.byteOffset, ct.byteLength), tag: new Uint8Array(c.getAuthTag()) };
}

/** The plaintext, or undefined when the tag does not verify (nothing decrypted is returned then). */
function open(k: GcmKeys, iv: Uint8Array, aad: Uint8Array, ct: Uint8Array, tag: Uint8Array): Uint8Array | undefined {
  const d = createDecipheriv("aes-128-gcm", k.key, iv, { authTagLength: GCM_TAG_LENGTH });
  d.setAAD(aad);
  d.setAuthTag(tag);
  const plain = d.update(ct);
  try {
    d.final();
  } catch {
    return undefined;
  }
  return new Uint8Array(plain.buffer, plain.byteOffset, plain.byteLength);
}

/** header || E(payload) || tag, for an RTP packet whose header is `headerLength` octets. */
export function gcmProtectRtp(k: GcmKeys, packet: Uint8Array, headerLength: number, ssrc: number, roc: number, seq: number): Uint8Array {
  const { ct, tag } = seal(k, srtpGcmIv(k.salt, ssrc, roc, seq), packet.subarray(0, headerLength), packet.subarray(headerLength));
  const out = new Uint8Array(packet.length + GCM_TAG_LENGTH);
  out.set(packet.subarray(0, headerLength));
  out.set(ct, headerLength);
  out.set(tag, headerLength + ct.length);
  return out;
}

/** The RTP packet, or undefined when authentication fails. */
export function gcmUnprotectRtp(k: GcmKeys, packet: Uint8Array, headerLength: number, ssrc: number, roc: number, seq: number): Uint8Array | undefined {
  const end = packet.length - GCM_TAG_LENGTH;
  const plain = open(k, srtpGcmIv(k.salt, ssrc, roc, seq), packet.subarray(0, headerLength), packet.subarray(headerLength, end), packet.subarray(end));
  if (plain === undefined) return undefined;
  const out = new Uint8Array(end);
  out.set(packet.subarray(0, headerLength));
  out.set(plain, headerLength);
  return out;
}

/** header(8) || E(rest) || tag || E=1+index. */
export function gcmProtectRtcp(k: GcmKeys, packet: Uint8Array, ssrc: number, index: number): Uint8Array {
  const word = new Uint8Array(4);
  new DataView(word.buffer).setUint32(0, (0x80000000 | index) >>> 0);
  const aad = new Uint8Array(12);
  aad.set(packet.subarray(0, 8));
  aad.set(word, 8);
  const { ct, tag } = seal(k, srtcpGcmIv(k.salt, ssrc, index), aad, packet.subarray(8));
  const out = new Uint8Array(packet.length + GCM_TAG_LENGTH + 4);
  out.set(packet.subarray(0, 8));
  out.set(ct, 8);
  out.set(tag, 8 + ct.length);
  out.set(word, 8 + ct.length + GCM_TAG_LENGTH);
  return out;
}

/** The RTCP packet and its SRTCP index, or undefined when authentication fails. */
export function gcmUnprotectRtcp(k: GcmKeys, packet: Uint8Array, ssrc: number): { packet: Uint8Array; index: number } | undefined {
  const wordAt = packet.length - 4;
  const word = new DataView(packet.buffer, packet.byteOffset, packet.byteLength).getUint32(wordAt);
  const index = word & 0x7fffffff;
  const tagAt = wordAt - GCM_TAG_LENGTH;
  const aad = new Uint8Array(12);
  aad.set(packet.subarray(0, 8));
  aad.set(packet.subarray(wordAt), 8);
  if ((word & 0x80000000) === 0) {
    // Unencrypted SRTCP (E = 0): everything is associated data, the tag authenticates it (RFC 7714 §9.3).
    const all = new Uint8Array(tagAt + 4);
    all.set(packet.subarray(0, tagAt));
    all.set(packet.subarray(wordAt), tagAt);
    if (open(k, srtcpGcmIv(k.salt, ssrc, index), all, new Uint8Array(0), packet.subarray(tagAt, wordAt)) === undefined) return undefined;
    return { packet: packet.slice(0, tagAt), index };
  }
  const plain = open(k, srtcpGcmIv(k.salt, ssrc, index), aad, packet.subarray(8, tagAt), packet.subarray(tagAt, wordAt));
  if (plain === undefined) return undefined;
  const out = new Uint8Array(8 + plain.length);
  out.set(packet.subarray(0, 8));
  out.set(plain, 8);
  return { packet: out, index };
}
