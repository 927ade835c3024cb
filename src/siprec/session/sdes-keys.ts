/**
 * SRTP contexts for one accepted stream from the SDES keys of the offer and
 * answer (RFC 4568): ours protect what we send, the SRS's unprotect the
 * RTCP it sends back.
 */
import { type CryptoSuite, isKnownSuite, parseInlineKey, splitKeySalt } from "../../sdp/crypto-attr.ts";
import { SrtpContext } from "../../rtp/srtp/context.ts";
import type { ActiveStream } from "./types.ts";

export function sdesContexts(s: ActiveStream): { readonly outbound?: SrtpContext; readonly inbound?: SrtpContext } {
  if (s.sendKey === undefined || !isKnownSuite(s.sendKey.suite)) return {};
  const suite: CryptoSuite = s.sendKey.suite;
  const outbound = new SrtpContext({ suite, ...splitKeySalt(suite, s.sendKey.keySalt) });
  const crypto = s.outcome.crypto;
  if (crypto === undefined || !isKnownSuite(crypto.suite)) return { outbound };
  const theirSuite: CryptoSuite = crypto.suite;
  const theirs = parseInlineKey(crypto.keyParams.split("|")[0] as string, theirSuite);
  if (!theirs.ok) return { outbound };
  return { outbound, inbound: new SrtpContext({ suite: theirSuite, ...splitKeySalt(theirSuite, theirs.value.keySalt) }) };
}
