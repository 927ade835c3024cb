/**
 * SRTP protection profiles (RFC 3711 §8.2 defaults, RFC 4568 §6.2 names):
 * AES-128 counter mode, HMAC-SHA1 tag of 80 or 32 bits for SRTP. SRTCP
 * always carries the 80-bit tag (RFC 4568 §6.2.2: "the SRTCP authentication
 * tag ... shall be 80 bits" for AES_CM_128_HMAC_SHA1_32 too).
 */
export type SrtpSuite = "AES_CM_128_HMAC_SHA1_80" | "AES_CM_128_HMAC_SHA1_32";

export interface SuiteParams {
  readonly keyLength: number;
  readonly saltLength: number;
  readonly rtpTagLength: number;
  readonly rtcpTagLength: number;
}

export const SUITES: Readonly<Record<SrtpSuite, SuiteParams>> = {
  AES_CM_128_HMAC_SHA1_80: { keyLength: 16, saltLength: 14, rtpTagLength: 10, rtcpTagLength: 10 },
  AES_CM_128_HMAC_SHA1_32: { keyLength: 16, saltLength: 14, rtpTagLength: 4, rtcpTagLength: 10 },
};

export function isSrtpSuite(s: string): s is SrtpSuite {
  return s in SUITES;
}
