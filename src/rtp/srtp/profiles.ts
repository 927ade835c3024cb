/**
 * SRTP protection profiles (RFC 3711 §8.2 defaults, RFC 4568 §6.2 names):
 * AES-128 counter mode, HMAC-SHA1 tag of 80 or 32 bits for SRTP. SRTCP
 * always carries the 80-bit tag (RFC 4568 §6.2.2: "the SRTCP authentication
 * tag ... shall be 80 bits" for AES_CM_128_HMAC_SHA1_32 too).
 * AEAD_AES_128_GCM (RFC 7714 §14.1 SDES name): a 128-bit key, a 96-bit salt
 * and a 16-octet GCM tag for both SRTP and SRTCP (§12: "AEAD_AES_128_GCM
 * ... authentication tag length 16 octets"); no separate authentication key.
 */
export type SrtpSuite = "AES_CM_128_HMAC_SHA1_80" | "AES_CM_128_HMAC_SHA1_32" | "AEAD_AES_128_GCM";

export interface SuiteParams {
  readonly keyLength: number;
  readonly saltLength: number;
  readonly rtpTagLength: number;
  readonly rtcpTagLength: number;
  /** AES-GCM (RFC 7714) instead of AES-CM + HMAC-SHA1. */
  readonly aead: boolean;
}

export const SUITES: Readonly<Record<SrtpSuite, SuiteParams>> = {
  AES_CM_128_HMAC_SHA1_80: { keyLength: 16, saltLength: 14, rtpTagLength: 10, rtcpTagLength: 10, aead: false },
  AES_CM_128_HMAC_SHA1_32: { keyLength: 16, saltLength: 14, rtpTagLength: 4, rtcpTagLength: 10, aead: false },
  AEAD_AES_128_GCM: { keyLength: 16, saltLength: 12, rtpTagLength: 16, rtcpTagLength: 16, aead: true },
};

export function isSrtpSuite(s: string): s is SrtpSuite {
  return s in SUITES;
}
