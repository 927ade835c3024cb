/**
 * An SRTP context from an SDP a=crypto line's key-params (RFC 4568 §6.1),
 * the one rule every side uses: the daemon and test-call for the SRS's
 * RTCP, the reference SRS for the client's media, replay for a captured
 * call's keys.
 *
 * RFC 4568 §6.1: "key-params = key-method ":" key-info" and several
 * key-params may be listed, separated by ";"; §6.3: the key-info of the
 * inline method is "key||salt" base64 with an optional "|" lifetime and
 * "|" MKI:length. The first key-param is the key in use.
 */
import { type CryptoSuite, isKnownSuite, parseInlineKey, splitKeySalt } from "../../sdp/crypto-attr.ts";
import { type Result, err, ok } from "../../lib/result.ts";
import { SrtpContext } from "./context.ts";

/** The first "inline:" key-param of `keyParams` as a context, or why it cannot be one. */
export function sdesContext(suite: string, keyParams: string): Result<SrtpContext, string> {
  if (!isKnownSuite(suite)) return err(`${suite} is not a suite siprec can use`);
  const known: CryptoSuite = suite;
  const first = (keyParams.split(";")[0] as string).trim();
  const key = parseInlineKey(first, known);
  if (!key.ok) return err(key.error);
  return ok(new SrtpContext({ suite: known, ...splitKeySalt(known, key.value.keySalt) }));
}
