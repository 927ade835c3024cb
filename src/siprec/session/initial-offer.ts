/**
 * The recording INVITE's SDP offer (RFC 7866 §7.1: one labelled sendonly
 * stream per label, our SDES keys per stream when SRTP is offered) and the
 * reading of the SRS's 200 OK answer to it (RFC 3264 §6): the streams, or
 * why the answer cannot be used.
 */
import { type StreamOutcome, analyzeAnswer } from "../answer.ts";
import { splitRecordingBody } from "../body.ts";
import { buildRecordingOffer } from "../offer.ts";
import type { SendKey } from "../srs-offer.ts";
import type { LocalStream, SessionConfig } from "./types.ts";
import { type CryptoSuite, newCryptoAttr } from "../../sdp/crypto-attr.ts";
import { parseSdp } from "../../sdp/parse.ts";
import type { Sdp } from "../../sdp/types.ts";
import { header } from "../../sip/message/headers.ts";
import type { SipResponse } from "../../sip/message/types.ts";
import type { Peer } from "../../sip/transport.ts";
import type { IdSource } from "../../lib/ids.ts";

/** `keys`: our key per "label/tag" offered, to pick the one the SRS answers. */
export function initialOffer(
  c: SessionConfig,
  locals: readonly LocalStream[],
  srtp: boolean,
  address: string,
  ids: IdSource,
): { offer: Sdp; keys: Map<string, SendKey> } {
  const keys = new Map<string, SendKey>();
  const offer = buildRecordingOffer({
    sessionId: String(ids.uint32()),
    sessionVersion: 1n,
    address,
    addrType: address.includes(":") ? "IP6" : "IP4",
    codecs: c.codecs,
    telephoneEvent: c.telephoneEvent,
    ptime: c.ptime,
    rtcpMux: c.rtcpMux,
    srtp,
    streams: locals.map((l) => {
      const crypto = srtp ? c.srtpSuites.map((suite, i) => newCryptoAttr(i + 1, suite as CryptoSuite, ids)) : [];
      crypto.forEach((k) => keys.set(`${l.label}/${k.attr.tag}`, { suite: k.attr.suite, keySalt: k.keySalt }));
      return { label: l.label, port: l.port, ...(l.rtcpPort === undefined ? {} : { rtcpPort: l.rtcpPort }), crypto: crypto.map((k) => k.attr) };
    }),
  });
  return { offer, keys };
}

/** The answer in the SRS's 200 OK: its streams and warnings when at least one is usable, else why not. */
export function readInitialAnswer(
  offer: Sdp,
  res: SipResponse,
): { ok: true; streams: readonly StreamOutcome[]; warnings: readonly string[] } | { ok: false; why: string } {
  const split = splitRecordingBody(header(res, "content-type"), res.body);
  if (!split.ok) return { ok: false, why: split.error.message };
  if (split.value.sdp === undefined) return { ok: false, why: "the 200 OK has no SDP answer" };
  const answer = parseSdp(split.value.sdp);
  if (!answer.ok) return { ok: false, why: `bad SDP answer: ${answer.error.message}` };
  const analysis = analyzeAnswer(offer, answer.value);
  if (!analysis.ok) return { ok: false, why: analysis.error.message };
  const streams = analysis.value.streams;
  if (!streams.some((s) => s.status === "accepted" || s.status === "inactive")) {
    return {
      ok: false,
      why: `no stream accepted (${streams.map((s) => `${s.label}:${s.status}${s.status === "unusable" ? ` ${s.reason}` : ""}`).join(", ")})`,
    };
  }
  return { ok: true, streams, warnings: analysis.value.warnings };
}

/**
 * RFC 4568 §8.3: "IT IS REQUIRED that encryption of the encapsulating
 * payload be used whenever a master key parameter (inline) appears in the
 * message": SDES keys over UDP or TCP are readable by anyone on the path.
 * Returns why, when that would happen.
 */
export function keysInClear(c: SessionConfig, srtp: boolean, first: Peer | undefined, name: string): string | undefined {
  if (!srtp || first === undefined || first.protocol === "tls") return undefined;
  return `SDES keys would go in clear over ${first.protocol.toUpperCase()} to ${name} (RFC 4568 §8.3 requires an encrypted signalling transport: use TLS)`;
}
