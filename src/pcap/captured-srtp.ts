/**
 * SRTP flows of a capture decrypted with the SDES keys the capture's own SDP
 * carried (RFC 4568: a=crypto inline keys travel with the SIP, so a capture
 * of SIP over UDP/TCP holds them). Packets that fail authentication are left
 * out and counted, never passed on as noise.
 */
import type { RtpFlow, KeptPacket } from "./rtp-flow.ts";
import { isKnownSuite } from "../sdp/crypto-attr.ts";
import { sdesContext } from "../rtp/srtp/sdes.ts";

export type Decrypted = { readonly ok: true; readonly kept: KeptPacket[]; readonly failed: number } | { readonly ok: false; readonly reason: string };

export function decryptFlow(f: RtpFlow): Decrypted {
  if (f.sdes === undefined) return { ok: false, reason: "SRTP, and the capture does not show its key (SIP over TLS, or the offer/answer missing)" };
  const suite = f.sdes.suite;
  if (!isKnownSuite(suite)) return { ok: false, reason: `SRTP with ${suite}, which siprec cannot decrypt` };
  const made = sdesContext(suite, f.sdes.keyParams);
  if (!made.ok) return { ok: false, reason: `SRTP key in the capture does not read: ${made.error}` };
  const ctx = made.value;
  const kept: KeptPacket[] = [];
  let failed = 0;
  for (const p of f.kept) {
    const r = ctx.unprotectRtp(p.bytes);
    if (r.ok) kept.push({ timeUs: p.timeUs, bytes: r.value });
    else failed++;
  }
  return { ok: true, kept, failed };
}
