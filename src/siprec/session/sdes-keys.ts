/**
 * SRTP contexts for one accepted stream from the SDES keys of the offer and
 * answer (RFC 4568): ours protect what we send, the SRS's unprotect the
 * RTCP it sends back.
 */
import { type CryptoSuite, isKnownSuite, splitKeySalt } from "../../sdp/crypto-attr.ts";
import { SrtpContext } from "../../rtp/srtp/context.ts";
import { sdesContext } from "../../rtp/srtp/sdes.ts";
import type { ActiveStream } from "./types.ts";

export function sdesContexts(s: ActiveStream): { readonly outbound?: SrtpContext; readonly inbound?: SrtpContext } {
  if (s.sendKey === undefined || !isKnownSuite(s.sendKey.suite)) return {};
  const suite: CryptoSuite = s.sendKey.suite;
  const outbound = new SrtpContext({ suite, ...splitKeySalt(suite, s.sendKey.keySalt) });
  const crypto = s.outcome.crypto;
  const inbound = crypto === undefined ? undefined : sdesContext(crypto.suite, crypto.keyParams);
  return inbound?.ok === true ? { outbound, inbound: inbound.value } : { outbound };
}
