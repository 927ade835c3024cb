/**
 * SDP rules for recording sessions: labels (RFC 7866 §7.1.1, RFC 4574),
 * directions (RFC 7866 §7.1.1 / RFC 7245 §3.2.1 for the SRC, RFC 3264 §6.1
 * for the SRS's answer), connection data and SDES crypto (RFC 4568).
 */
import { type FindingSink } from "./rules.ts";
import { isKnownSuite, parseInlineKey } from "../sdp/crypto-attr.ts";
import { parseSdp } from "../sdp/parse.ts";
import { type Media, type Sdp, effectiveConnection, effectiveDirection } from "../sdp/types.ts";

/** Who wrote the SDP: the SRC (offers, its answers) or the SRS (its answers and offers). */
export type SdpAuthor = "src" | "srs";

export function checkSdp(text: string, author: SdpAuthor, sink: FindingSink): Sdp | undefined {
  const r = parseSdp(text);
  if (!r.ok) {
    sink.add("sdp-parse", `${r.error.message} (${r.error.code})`, { line: r.error.line });
    return undefined;
  }
  const sdp = r.value;
  const seen = new Map<string, number>();
  for (const m of sdp.media) {
    if (m.port === 0) continue;
    const at = { line: m.line };
    // RFC 7866 §7.1.1: "the SRC MUST include a label attribute ... for each media stream".
    if (author === "src") {
      if (m.label === undefined) sink.add("sdp-label-missing", `m=${m.type} ${m.port} has no a=label`, at);
      else if (seen.has(m.label)) sink.add("sdp-label-duplicate", `label ${m.label} is also used by the m-line on line ${seen.get(m.label)}`, at);
    }
    if (m.label !== undefined && !seen.has(m.label)) seen.set(m.label, m.line);
    const dir = effectiveDirection(sdp, m);
    const allowed = author === "src" ? ["sendonly", "inactive"] : ["recvonly", "inactive"];
    if (!allowed.includes(dir)) {
      const who =
        author === "src" ? "an SRC sends recorded media: sendonly, or inactive while paused" : "an SRS receives: recvonly, or inactive when not ready";
      sink.add(
        "sdp-direction",
        `m=${m.type} ${m.port}${m.label === undefined ? "" : ` (label ${m.label})`} is ${dir}${m.direction === undefined ? " (no direction attribute)" : ""}; ${who}`,
        at,
      );
    }
    if (effectiveConnection(sdp, m) === undefined) sink.add("sdp-connection", `m=${m.type} ${m.port} has no c= line and the session has none`, at);
    checkCrypto(m, sink);
  }
  return sdp;
}

function checkCrypto(m: Media, sink: FindingSink): void {
  const at = { line: m.line };
  if (m.protocol === "RTP/SAVP" || m.protocol === "RTP/SAVPF") {
    if (m.crypto.length === 0) {
      sink.add("sdp-crypto", `m=${m.type} ${m.port} uses ${m.protocol} but has no a=crypto line (RFC 4568 §5)`, at);
      return;
    }
    for (const c of m.crypto) {
      if (!isKnownSuite(c.suite)) {
        sink.add(
          "sdp-crypto",
          `crypto ${c.tag}: suite ${c.suite} is not one siprec knows (AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32, AEAD_AES_128_GCM)`,
          at,
        );
        continue;
      }
      for (const key of c.keyParams.split(";")) {
        const k = parseInlineKey(key, c.suite);
        if (!k.ok) sink.add("sdp-crypto", `crypto ${c.tag}: ${k.error}`, at);
      }
    }
  } else if (m.crypto.length > 0) {
    sink.add("sdp-crypto", `m=${m.type} ${m.port} has a=crypto on ${m.protocol}; SDES keys apply to RTP/SAVP only`, at);
  }
}
