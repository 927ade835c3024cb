/**
 * The reference SRS inside a recording dialog: requests from the client
 * answered from what they carry (RFC 3264 §8, RFC 3311 §5.2), never from a
 * stale SDP of ours:
 *
 * - re-INVITE/UPDATE with SDP → an answer built from that offer
 *   (answerSrsReoffer): per label recvonly, inactive (that label's pause)
 *   or port 0 (gone); 488 for what a recorder cannot take;
 * - re-INVITE without SDP → our offer in the 200, the client's answer taken
 *   from the ACK;
 * - metadata in any of them is validated like the INVITE's
 *   (`siprec validate` rules) and kept;
 * - `--stall-reinvite`: re-INVITEs get the transaction's 100 Trying and
 *   never a final response (a stalled recorder, for tests).
 */
import type { ReceivedRecording } from "./received-recording.ts";
import { closeStream } from "../rtp/rtp-socket-port.ts";
import type { Libxml } from "../siprec/metadata/libxml.ts";
import { parseSdp } from "../sdp/parse.ts";
import { serializeSdp } from "../sdp/serialize.ts";
import type { Sdp } from "../sdp/types.ts";
import { type CryptoSuite, isKnownSuite } from "../sdp/crypto-attr.ts";
import { splitRecordingBody } from "../siprec/body.ts";
import { answerSrsReoffer, srsOfferFor } from "../siprec/srs-answer.ts";
import { header } from "../sip/message/headers.ts";
import { serializeMessage } from "../sip/message/serialize.ts";
import type { SipMessage, SipRequest } from "../sip/message/types.ts";
import type { IncomingDialogRequest } from "../sip/ua/dialog-session.ts";
import { validateBytes } from "../validate/validate.ts";

export interface InDialogState {
  /** Our SDP as last sent. */
  ours: Sdp;
  /** The client's SDP as last received (its o= line is checked against the next one). */
  theirs: Sdp | undefined;
  /** Our offer in a 200 to an offerless re-INVITE, waiting for the ACK's answer. */
  offerInAck?: Sdp;
}

export interface InDialogContext {
  readonly rec: ReceivedRecording;
  readonly state: InDialogState;
  readonly lib: Libxml;
  readonly lenient: boolean;
  readonly stallReinvite: boolean;
  now(): number;
}

export function onClientRequest(c: InDialogContext, r: IncomingDialogRequest): void {
  const req = r.request;
  const now = c.now();
  const rec = c.rec;
  if (req.method === "INVITE" && c.stallReinvite) {
    rec.event("re-INVITE left without a final response (--stall-reinvite)", now);
    return;
  }
  const split = splitRecordingBody(header(req, "content-type"), req.body);
  if (!split.ok)
    return r.respond({
      status: 415,
      reason: split.error.message.slice(0, 100),
      headers: [{ name: "Accept", value: "application/sdp, application/rs-metadata+xml, application/rs-metadata" }],
    });
  if (split.value.metadata !== undefined) {
    const findings = validateBytes(c.lib, "in-dialog", serializeMessage(req));
    const errors = findings.filter((f) => f.severity === "error");
    rec.warnings.push(...findings.map((f) => `${req.method}: ${f.severity} [${f.rule}] ${f.message}`));
    if (errors.length > 0 && !c.lenient) {
      const e = errors[0] as (typeof errors)[number];
      rec.event(`${req.method} refused: ${e.rule}`, now);
      return r.respond({ status: e.rule.startsWith("sdp-") ? 488 : 400, reason: `${e.rule}: ${e.message}`.replace(/[\r\n]+/g, " ").slice(0, 160) });
    }
    rec.addMetadata(split.value.metadata);
  }
  if (req.method !== "INVITE" && req.method !== "UPDATE") {
    rec.event(`${req.method}${split.value.metadata !== undefined ? " (metadata)" : ""}`, now);
    return r.respond({ status: 200 });
  }
  if (split.value.sdp === undefined) {
    if (req.method === "UPDATE") {
      rec.event(`UPDATE${split.value.metadata !== undefined ? " (metadata)" : " (session refresh)"}`, now);
      return r.respond({ status: 200 });
    }
    const offer = srsOfferFor(c.state.ours);
    c.state.ours = offer;
    c.state.offerInAck = offer;
    rec.event("re-INVITE without SDP: our offer in the 200", now);
    return r.respond({ status: 200, body: new TextEncoder().encode(serializeSdp(offer)), contentType: "application/sdp" });
  }
  const offer = parseSdp(split.value.sdp);
  if (!offer.ok) return r.respond({ status: 488, reason: `bad SDP: ${offer.error.message}`.slice(0, 120) });
  const answer = answerSrsReoffer(c.state.ours, c.state.theirs, offer.value);
  if (!answer.ok) {
    rec.warnings.push(`${req.method} offer refused (488): ${answer.error}`);
    rec.event(`${req.method} offer refused (488)`, now);
    return r.respond({ status: 488, headers: [{ name: "Warning", value: `304 siprec-srs "${answer.error.replace(/["\\]/g, "'")}"` }] });
  }
  rec.warnings.push(...answer.value.warnings.map((w) => `${req.method}: ${w}`));
  c.state.theirs = offer.value;
  c.state.ours = answer.value.sdp;
  apply(c, answer.value.streams, now, `${req.method === "INVITE" ? "re-INVITE" : "UPDATE"}${split.value.metadata !== undefined ? " with metadata" : ""}`);
  r.respond({ status: 200, body: new TextEncoder().encode(serializeSdp(answer.value.sdp)), contentType: "application/sdp" });
}

/** The ACK for our 2xx: it carries the client's answer when our 2xx had an offer. */
export function onClientAck(c: InDialogContext, ack: SipRequest): void {
  const offer = c.state.offerInAck;
  if (offer === undefined) return;
  c.state.offerInAck = undefined;
  takeClientAnswer(c, offer, ack, "answer in the ACK");
}

/** The client's answer (in an ACK, or in the 2xx to an offer of ours) applied per label. */
export function takeClientAnswer(c: InDialogContext, offer: Sdp, m: SipMessage, what: string): void {
  const split = splitRecordingBody(header(m, "content-type"), m.body);
  const sdp = split.ok && split.value.sdp !== undefined ? parseSdp(split.value.sdp) : undefined;
  if (sdp?.ok !== true) {
    c.rec.warnings.push(`${what}: no usable SDP answer to our offer (RFC 3264 §5)`);
    return;
  }
  if (sdp.value.media.length !== offer.media.length)
    c.rec.warnings.push(`${what}: ${sdp.value.media.length} m-lines for our ${offer.media.length} (RFC 3264 §6)`);
  c.state.theirs = sdp.value;
  const streams = offer.media.map((o, i) => {
    const m = sdp.value.media[i];
    const label = o.label ?? m?.label ?? String(i + 1);
    const dir = m === undefined ? "inactive" : (m.direction ?? sdp.value.direction ?? "sendrecv");
    const crypto = m?.crypto[0];
    return {
      label,
      state: m === undefined || m.port === 0 || o.port === 0 ? ("rejected" as const) : dir === "inactive" ? ("inactive" as const) : ("recvonly" as const),
      ...(crypto === undefined ? {} : { crypto }),
    };
  });
  apply(c, streams, c.now(), what);
}

/** Per-label state (a pause of all labels is a recording pause), re-keys, closed ports. */
function apply(
  c: InDialogContext,
  streams: readonly { label: string; state: "recvonly" | "inactive" | "rejected"; crypto?: { suite: string; keyParams: string } }[],
  now: number,
  what: string,
): void {
  const rec = c.rec;
  for (const s of streams) {
    const st = rec.streams.get(s.label);
    if (st === undefined) continue;
    if (s.state === "rejected" && st.state !== "rejected") {
      closeStream(st.sockets);
    }
    st.state = s.state;
    if (s.crypto !== undefined && isKnownSuite(s.crypto.suite) && st.srtp !== undefined && s.crypto.keyParams !== st.keyParams)
      rec.rekey(st, s.crypto.suite as CryptoSuite, s.crypto.keyParams);
  }
  const live = streams.filter((s) => s.state !== "rejected");
  const paused = live.length > 0 && live.every((s) => s.state === "inactive");
  const last = rec.pauses.at(-1);
  if (paused && (last === undefined || last.toMs !== undefined)) rec.pauses.push({ fromMs: now });
  if (!paused && last !== undefined && last.toMs === undefined) last.toMs = now;
  rec.event(
    `${what} (${paused ? "pause" : live.length === streams.length && live.every((s) => s.state === "recvonly") ? "recording" : streams.map((s) => `${s.label}:${s.state}`).join(" ")})`,
    now,
  );
}
