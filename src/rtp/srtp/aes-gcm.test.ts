/**
 * AEAD_AES_128_GCM (RFC 7714): the §16 test vectors (session key and salt
 * given directly), the KDF with a 96-bit master salt, and the SRTP context
 * with the rollover counter, replay window and forged packets.
 */
import { describe, expect, test } from "bun:test";
import { gcmProtectRtcp, gcmProtectRtp, gcmUnprotectRtcp, gcmUnprotectRtp, srtcpGcmIv, srtpGcmIv } from "./aes-gcm.ts";
import { SrtpContext } from "./context.ts";
import { deriveSessionKeys } from "./kdf.ts";
import { serializeRtp } from "../packet.ts";

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));
const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");

// RFC 7714 §16: key and salt ("Quid pro quo"), the RTP packet ("Gallia est omnis divisa in partes tres"), the SRTCP sender report.
const K = { key: hex("000102030405060708090a0b0c0d0e0f"), salt: hex("517569642070726f2071756f") };
const RTP = hex("8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f 6d6e6973 20646976 69736120 696e2070 61727465 73207472 6573");
const SRTP = hex(`8040f17b 8041f8d3 5501a0b2 f24de3a3 fb34de6c acba861c 9d7e4bca be633bd5 0d294e6f 42a5f47a 51c7d19b
  36de3adf 8833899d 7f27beb1 6a9152cf 765ee439 0cce`);
const RTCP = hex("81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61 deadbeef deadbeef deadbeef deadbeef deadbeef");
const SRTCP = hex(`81c8000d 4d617273 63e94885 dcdab67c a727d766 2f6b7e99 7ff5c0f7 6c06f32d c676a5f1 730d6fda
  4ce09b46 86303ded 0bb9275b c84aa458 96cf4d2f c5abf872 45d9eade 800005d4`);

describe("RFC 7714 §16 vectors", () => {
  test("IVs: SRTP (SSRC 0x5501a0b2, ROC 0, SEQ 0xf17b) and SRTCP (SSRC 'Mars', index 0x5d4)", () => {
    expect(toHex(srtpGcmIv(K.salt, 0x5501a0b2, 0, 0xf17b))).toBe("51753c6580c2726f20718414");
    expect(toHex(srtcpGcmIv(K.salt, 0x4d617273, 0x5d4))).toBe("517524055203726f207170bb");
  });

  test("SRTP: protect gives the vector byte for byte, unprotect gives the packet back, one flipped bit fails", () => {
    expect(toHex(gcmProtectRtp(K, RTP, 12, 0x5501a0b2, 0, 0xf17b))).toBe(toHex(SRTP));
    expect(toHex(gcmUnprotectRtp(K, SRTP, 12, 0x5501a0b2, 0, 0xf17b)!)).toBe(toHex(RTP));
    for (const at of [3, 20, SRTP.length - 1]) {
      const bad = SRTP.slice();
      bad[at] = (bad[at] as number) ^ 1;
      expect(gcmUnprotectRtp(K, bad, 12, 0x5501a0b2, 0, 0xf17b)).toBeUndefined();
    }
    expect(gcmUnprotectRtp(K, SRTP, 12, 0x5501a0b2, 1, 0xf17b)).toBeUndefined(); // another ROC: another IV
  });

  test("SRTCP: header || ciphertext || tag || E+index, as the vector", () => {
    expect(toHex(gcmProtectRtcp(K, RTCP, 0x4d617273, 0x5d4))).toBe(toHex(SRTCP));
    expect(gcmUnprotectRtcp(K, SRTCP, 0x4d617273)).toEqual({ packet: RTCP, index: 0x5d4 });
    const bad = SRTCP.slice();
    bad[bad.length - 1] = 0xd5; // the index is authenticated too
    expect(gcmUnprotectRtcp(K, bad, 0x4d617273)).toBeUndefined();
  });

  test("KDF: the 96-bit master salt fills the first 12 octets of the 112-bit KDF salt (RFC 7714 §11, erratum 4938), no auth key", () => {
    const k = deriveSessionKeys(
      "AEAD_AES_128_GCM",
      Uint8Array.from({ length: 16 }, (_, i) => i),
      Uint8Array.from({ length: 12 }, (_, i) => 0x40 + i),
    );
    // The session salt libsrtp and webrtc-srtp derive for this master key and salt (label 2 at octet 7).
    expect(toHex(k.rtp.salt)).toBe("1fcd5d561e66dc49ec1c3ccb");
    expect([k.rtp.enc.length, k.rtp.salt.length, k.rtp.auth.length, k.rtcp.salt.length]).toEqual([16, 12, 0, 12]);
  });
});

describe("SrtpContext with AEAD_AES_128_GCM", () => {
  const key = Uint8Array.from({ length: 16 }, (_, i) => i + 7);
  const salt = Uint8Array.from({ length: 12 }, (_, i) => 0xc0 + i);
  const ctx = (o: { maxSsrcs?: number } = {}) => new SrtpContext({ suite: "AEAD_AES_128_GCM", masterKey: key, masterSalt: salt, ...o });
  const rtp = (seq: number, ssrc = 0x1234) =>
    serializeRtp({
      marker: false,
      payloadType: 0,
      sequence: seq,
      timestamp: seq * 160,
      ssrc,
      csrcs: [0xabcdef01],
      payload: new Uint8Array(160).fill(seq & 0xff),
      paddingLength: 0,
    });

  test("across the sequence wrap (a CSRC in the header), the ROC follows; 16-octet tags; replays refused", () => {
    const [tx, rx] = [ctx(), ctx()];
    const sent: Uint8Array[] = [];
    for (const seq of [65533, 65534, 65535, 0, 1, 2]) {
      const p = tx.protectRtp(rtp(seq));
      if (!p.ok) throw new Error(p.error.message);
      expect(p.value.length).toBe(16 + 160 + 16);
      expect(toHex(p.value.subarray(16, 176))).not.toBe(toHex(rtp(seq).subarray(16))); // encrypted
      expect(rx.unprotectRtp(p.value)).toEqual({ ok: true, value: rtp(seq) });
      sent.push(p.value);
    }
    expect(rx.unprotectRtp(sent[4]!)).toMatchObject({ ok: false, error: { code: "SRTP_REPLAY" } });
  });

  test("forged packets fail authentication and leave no per-SSRC state; SRTCP round trip with its index", () => {
    const [tx, rx] = [ctx(), ctx({ maxSsrcs: 2 })];
    for (let i = 0; i < 50; i++) {
      const p = (tx.protectRtp(rtp(i, 9000 + i)) as { value: Uint8Array }).value;
      p[p.length - 1] = (p[p.length - 1] as number) ^ 0x80;
      expect(rx.unprotectRtp(p)).toMatchObject({ ok: false, error: { code: "SRTP_AUTH" } });
    }
    expect(rx.unprotectRtp((tx.protectRtp(rtp(1)) as { value: Uint8Array }).value).ok).toBe(true);
    const sr = (tx.protectRtcp(RTCP, 77) as { value: Uint8Array }).value;
    expect(sr.length).toBe(RTCP.length + 16 + 4);
    expect(rx.unprotectRtcp(sr)).toEqual({ ok: true, value: RTCP });
    expect(rx.unprotectRtcp(sr)).toMatchObject({ ok: false, error: { code: "SRTP_REPLAY" } });
  });
});
