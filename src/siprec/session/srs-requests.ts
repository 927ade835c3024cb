/**
 * Requests the SRS sends inside a recording dialog, answered as RFC 7866,
 * RFC 3264 and RFC 3311 say (BYE and the session timer are the dialog's):
 *
 * - re-INVITE or UPDATE with SDP: an offer; answered from the offer
 *   (srs-offer.ts) and applied to the media at once, or 488 with nothing
 *   changed;
 * - re-INVITE without SDP: our current offer in the 200, the SRS's answer
 *   in the ACK (RFC 3261 §14.2, RFC 3264 §5);
 * - UPDATE without SDP: a session refresh (RFC 4028);
 * - a snapshot request (RFC 7866 §9.2) in any of them or in INFO: answered,
 *   then a complete snapshot in its own transaction;
 * - OPTIONS: our capabilities; INFO with a body type we do not know: 415
 *   (RFC 6086 §4.2.2); other methods: 405 with Allow.
 */
import { splitRecordingBody } from "../body.ts";
import type { NegotiatedStreams } from "./negotiated-streams.ts";
import { parseSdp } from "../../sdp/parse.ts";
import { serializeSdp } from "../../sdp/serialize.ts";
import type { Sdp } from "../../sdp/types.ts";
import { header } from "../../sip/message/headers.ts";
import { ALLOW } from "../../sip/ua/capabilities.ts";
import type { IncomingDialogRequest } from "../../sip/ua/dialog-session.ts";

export const SRC_ACCEPT = "application/sdp, application/rs-metadata+xml, application/rs-metadata, application/rs-metadata-request";

export interface SrsRequestContext {
  readonly streams: NegotiatedStreams;
  paused(): boolean;
  /** The streams changed: hand them to the media driver. */
  applied(): void;
  event(dir: "out" | "in", what: string): void;
  warn(message: string): void;
  snapshotRequested(): void;
  /** We put an offer in a 2xx (offerless re-INVITE): its answer comes in the ACK. */
  offered(offer: Sdp): void;
}

const SNAPSHOT = /<(\w+:)?requestsnapshot[\s>/]/;

export function handleSrsRequest(c: SrsRequestContext, r: IncomingDialogRequest): void {
  const req = r.request;
  const text = new TextDecoder().decode(req.body);
  const snapshot = SNAPSHOT.test(text);
  c.event("in", `${req.method} from the SRS${snapshot ? " (snapshot request)" : ""}`);
  if (req.method === "OPTIONS") {
    return r.respond({
      status: 200,
      headers: [
        { name: "Allow", value: ALLOW },
        { name: "Accept", value: SRC_ACCEPT },
        { name: "Supported", value: "siprec, timer" },
      ],
    });
  }
  if (req.method !== "INVITE" && req.method !== "UPDATE" && req.method !== "INFO") {
    return r.respond({ status: 405, headers: [{ name: "Allow", value: ALLOW }] });
  }
  const split = snapshot && !/multipart\//i.test(header(req, "content-type") ?? "") ? undefined : splitRecordingBody(header(req, "content-type"), req.body);
  if (split !== undefined && !split.ok) {
    // RFC 6086 §4.2.2 (INFO) and RFC 3261 §21.4.13: a body type we cannot take gets 415 with what we accept.
    return r.respond({ status: 415, reason: split.error.message.slice(0, 100), headers: [{ name: "Accept", value: SRC_ACCEPT }] });
  }
  if (req.method === "INFO") {
    r.respond({ status: 200 });
    if (snapshot) c.snapshotRequested();
    return;
  }
  const sdpText = split?.ok === true ? split.value.sdp : undefined;
  if (sdpText !== undefined) {
    const offer = parseSdp(sdpText);
    if (!offer.ok) return r.respond({ status: 400, reason: `Bad SDP offer: ${offer.error.message}`.slice(0, 120) });
    const answer = c.streams.answer(offer.value, c.paused());
    if (!answer.ok) {
      c.warn(`SRS offer refused (488): ${answer.error.message}`);
      c.event("out", `488 (${answer.error.message})`);
      return r.respond({ status: 488, headers: [{ name: "Warning", value: `304 siprec "${answer.error.message.replace(/["\\]/g, "'")}"` }] });
    }
    r.respond({ status: 200, body: new TextEncoder().encode(serializeSdp(answer.value)), contentType: "application/sdp" });
    c.event("out", `200 (answer, ${c.streams.outcomes.map((s) => `${s.label}:${s.status}`).join(" ")})`);
    c.applied();
  } else if (req.method === "INVITE") {
    const offer = c.streams.offer(c.paused() ? "inactive" : "sendonly");
    r.respond({ status: 200, body: new TextEncoder().encode(serializeSdp(offer)), contentType: "application/sdp" });
    c.event("out", "200 (our offer; answer expected in the ACK)");
    c.offered(offer);
  } else {
    r.respond({ status: 200 });
  }
  if (snapshot) c.snapshotRequested();
}

/** The ACK for our 2xx with an offer: it must carry the answer (RFC 3264 §5; RFC 3261 §13.2.1). */
export function takeAckAnswer(c: SrsRequestContext, offer: Sdp, ackBody: Uint8Array, contentType: string | undefined): void {
  const split = splitRecordingBody(contentType, ackBody);
  const text = split.ok ? split.value.sdp : undefined;
  if (text === undefined) return c.warn("the SRS's ACK carries no SDP answer to our offer; streams unchanged");
  const answer = parseSdp(text);
  if (!answer.ok) return c.warn(`bad SDP answer in the ACK: ${answer.error.message}; streams unchanged`);
  const r = c.streams.takeAnswer(offer, answer.value);
  if (!r.ok) return c.warn(`unusable SDP answer in the ACK: ${r.error.message}; streams unchanged`);
  r.value.forEach((w) => c.warn(w));
  c.event("in", `answer in the ACK (${c.streams.outcomes.map((s) => `${s.label}:${s.status}`).join(" ")})`);
  c.applied();
}
