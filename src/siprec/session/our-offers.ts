/**
 * Requests of ours inside the recording dialog that carry an offer or
 * metadata: the pause/resume re-INVITE, the complete snapshot (RFC 7866
 * §9.1: "with an SDP offer defining the labels" it names, multipart/mixed,
 * in a re-INVITE) and partial metadata updates (UPDATE). The SRS's answer
 * is applied to the streams; an unusable one changes nothing.
 */
import { buildRecordingBody, splitRecordingBody } from "../body.ts";
import type { NegotiatedStreams } from "./negotiated-streams.ts";
import { parseSdp } from "../../sdp/parse.ts";
import { serializeSdp } from "../../sdp/serialize.ts";
import { header } from "../../sip/message/headers.ts";
import { statusOf } from "../../sip/ua/client-request.ts";
import type { DialogSession } from "../../sip/ua/dialog-session.ts";
import type { IdSource } from "../../lib/ids.ts";

export interface OurOffersContext {
  readonly streams: NegotiatedStreams;
  readonly dialog: DialogSession;
  readonly ids: IdSource;
  event(dir: "out" | "in", what: string): void;
  warn(message: string): void;
  /** The streams changed: apply them (when the session still records). */
  applied(): void;
}

/** A re-INVITE with our offer (and a complete snapshot when `metadataXml` is given); the final status. */
export async function offerExchange(c: OurOffersContext, direction: "inactive" | "sendonly", what: string, metadataXml?: string): Promise<number> {
  const offer = c.streams.offer(direction);
  const sdp = serializeSdp(offer);
  const body =
    metadataXml === undefined
      ? { body: new TextEncoder().encode(sdp), contentType: "application/sdp" }
      : buildRecordingBody({ sdp, metadata: metadataXml }, c.ids);
  c.event("out", `re-INVITE (${what})`);
  const r = await c.dialog.request("INVITE", { body: body.body, contentType: body.contentType });
  const status = statusOf(r);
  c.event("in", `${status} to re-INVITE`);
  if (r.kind !== "final" || status < 200 || status >= 300) return status;
  const split = splitRecordingBody(header(r.res, "content-type"), r.res.body);
  const answer = split.ok && split.value.sdp !== undefined ? parseSdp(split.value.sdp) : undefined;
  const taken = answer?.ok === true ? c.streams.takeAnswer(offer, answer.value) : undefined;
  if (taken?.ok === true) {
    taken.value.forEach((w) => c.warn(w));
    c.applied();
  } else
    c.warn(
      `the SRS's answer to the ${what} re-INVITE is unusable (${answer === undefined ? "no SDP" : !answer.ok ? answer.error.message : taken?.ok === false ? taken.error.message : "?"}); streams unchanged`,
    );
  return status;
}

/** A partial metadata update in an UPDATE (Content-Disposition: recording-session, RFC 7866 §9). */
export async function metadataUpdate(c: OurOffersContext, xml: string, what: string): Promise<number> {
  const body = buildRecordingBody({ metadata: xml }, c.ids);
  c.event("out", `UPDATE (${what})`);
  const r = await c.dialog.request("UPDATE", {
    body: body.body,
    contentType: body.contentType,
    headers: [{ name: "Content-Disposition", value: "recording-session" }],
  });
  const status = statusOf(r);
  c.event("in", `${status} to UPDATE`);
  return status;
}
