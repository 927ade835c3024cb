/**
 * SRTP contexts for one accepted stream from the SDES keys of the offer and
 * answer (RFC 4568): ours protect what we send, the SRS's unprotect the
 * RTCP it sends back.
 */
import { parseInlineKey, splitKeySalt } from "../../sdp/crypto-attr.ts";
import { SrtpContext } from "../../rtp/srtp/context.ts";
import type { ActiveStream } from "./types.ts";

type Suite = "AES_CM_128_HMAC_SHA1_80";

export function sdesContexts(s: ActiveStream): { readonly outbound?: SrtpContext; readonly inbound?: SrtpContext } {
  if (s.sendKey === undefined) return {};
  const suite = s.sendKey.suite as Suite;
  const outbound = new SrtpContext({ suite, ...splitKeySalt(suite, s.sendKey.keySalt) });
  const crypto = s.outcome.crypto;
  const theirs = crypto === undefined ? undefined : parseInlineKey(crypto.keyParams.split("|")[0] as string, crypto.suite as Suite);
  if (crypto === undefined || theirs?.ok !== true) return { outbound };
  return { outbound, inbound: new SrtpContext({ suite: crypto.suite as Suite, ...splitKeySalt(crypto.suite as Suite, theirs.value.keySalt) }) };
}
