/**
 * What an SRS's SDP answer means for each stream the SRC offered
 * (RFC 7866 §8.3, RFC 3264 §6).
 *
 * Streams are matched by label (RFC 7866 §7.1.1: the label ties the stream
 * to the metadata); only an answer with no labels at all falls back to
 * position, with a warning. Per stream the result is accepted (where to
 * send, which codec), rejected (port 0: RFC 7866 §8.3.1), inactive (the SRS
 * is not ready yet, RFC 7866 §7.2) or unusable (with a reason).
 */
import type { Connection, CryptoAttr, Media, Sdp } from "../sdp/types.ts";
import { effectiveConnection, effectiveDirection } from "../sdp/types.ts";
import { type Result, err, ok } from "../lib/result.ts";

export type AnswerProblem =
  | "NO_COMMON_CODEC"
  | "BAD_DIRECTION"
  | "NO_CONNECTION"
  | "CRYPTO_NOT_OFFERED"
  | "CRYPTO_MISSING"
  | "PROTOCOL_MISMATCH"
  | "MEDIA_TYPE_MISMATCH"
  | "NOT_ANSWERED";

export type StreamOutcome =
  | {
      readonly status: "accepted" | "inactive";
      readonly label: string;
      readonly connection: Connection;
      readonly port: number;
      /** RTCP destination: "mux" when rtcp-mux was negotiated, else a port (RFC 3605 or port + 1). */
      readonly rtcp: "mux" | { readonly address: string; readonly port: number };
      readonly payloadType: number;
      readonly codec: string;
      readonly clockRate: number;
      readonly telephoneEventPt?: number;
      readonly crypto?: CryptoAttr;
    }
  | { readonly status: "rejected"; readonly label: string }
  | { readonly status: "unusable"; readonly label: string; readonly problem: AnswerProblem; readonly reason: string };

export interface AnswerAnalysis {
  readonly streams: readonly StreamOutcome[];
  readonly warnings: readonly string[];
}

export type AnswerErrorCode = "MEDIA_COUNT_MISMATCH" | "UNLABELLED_OFFER";

export interface AnswerError {
  readonly code: AnswerErrorCode;
  readonly message: string;
}

function unusable(label: string, problem: AnswerProblem, reason: string): StreamOutcome {
  return { status: "unusable", label, problem, reason };
}

export function analyzeAnswer(offer: Sdp, answer: Sdp): Result<AnswerAnalysis, AnswerError> {
  const warnings: string[] = [];
  // RFC 3264 §6: "The answer MUST contain exactly the same number of "m=" lines as the offer."
  if (answer.media.length !== offer.media.length) {
    return err({ code: "MEDIA_COUNT_MISMATCH", message: `the offer has ${offer.media.length} m-lines, the answer ${answer.media.length} (RFC 3264 §6)` });
  }
  if (offer.media.some((m) => m.label === undefined)) return err({ code: "UNLABELLED_OFFER", message: "every offered stream needs a label" });
  const byLabel = answer.media.some((m) => m.label !== undefined);
  if (!byLabel) warnings.push("the answer has no a=label lines: streams matched by position");
  const offeredLabels = new Set(offer.media.map((m) => m.label));
  for (const m of answer.media)
    if (m.label !== undefined && !offeredLabels.has(m.label)) warnings.push(`the answer has label ${m.label}, which was not offered`);
  const streams = offer.media.map((o, i): StreamOutcome => {
    const label = o.label as string;
    const a = byLabel ? answer.media.find((m) => m.label === label) : answer.media[i];
    if (a === undefined) return unusable(label, "NOT_ANSWERED", `no m-line in the answer has label ${label}`);
    if (byLabel && answer.media.indexOf(a) !== i) warnings.push(`label ${label} answered at m-line ${answer.media.indexOf(a) + 1}, offered at ${i + 1}`);
    return streamOutcome(offer, o, answer, a, label);
  });
  return ok({ streams, warnings });
}

function streamOutcome(offer: Sdp, o: Media, answer: Sdp, a: Media, label: string): StreamOutcome {
  // RFC 3264 §6: a rejected stream has port 0 in the answer; RFC 7866 §8.3.1 lets the SRS refuse streams.
  if (a.port === 0 || o.port === 0) return { status: "rejected", label };
  if (a.type !== o.type) return unusable(label, "MEDIA_TYPE_MISMATCH", `offered ${o.type}, answered ${a.type}`);
  if (a.protocol !== o.protocol) return unusable(label, "PROTOCOL_MISMATCH", `offered ${o.protocol}, answered ${a.protocol}`);
  const direction = effectiveDirection(answer, a);
  const offered = effectiveDirection(offer, o);
  // RFC 3264 §6.1: a sendonly stream is answered recvonly or inactive.
  if (direction === "sendonly" || direction === "sendrecv") {
    return unusable(label, "BAD_DIRECTION", `the SRS answered ${direction}; a recorder receives (recvonly) or declines (inactive)`);
  }
  const connection = effectiveConnection(answer, a);
  if (connection === undefined) return unusable(label, "NO_CONNECTION", "the answer has no c= line for this stream");
  const codec = pickCodec(o, a);
  if (codec === undefined) return unusable(label, "NO_COMMON_CODEC", `no offered codec in the answer's formats (${a.formats.join(" ")})`);
  let crypto: CryptoAttr | undefined;
  if (o.protocol === "RTP/SAVP") {
    // RFC 4568 §7.1.2: the answer has exactly one crypto line, with a tag and suite from the offer.
    const c = a.crypto[0];
    if (c === undefined) return unusable(label, "CRYPTO_MISSING", "RTP/SAVP answered without an a=crypto line");
    const mine = o.crypto.find((x) => x.tag === c.tag);
    if (mine === undefined || mine.suite !== c.suite) return unusable(label, "CRYPTO_NOT_OFFERED", `the answer's crypto ${c.tag} ${c.suite} was not offered`);
    crypto = c;
  }
  const rtcpMux = o.rtcpMux && a.rtcpMux;
  const rtcp = rtcpMux ? ("mux" as const) : { address: a.rtcp?.connection?.address ?? connection.address, port: a.rtcp?.port ?? a.port + 1 };
  const te = a.rtpmaps.find(
    (r) => r.encodingName.toLowerCase() === "telephone-event" && r.clockRate === codec.clockRate && a.formats.includes(String(r.payloadType)),
  );
  return {
    status: direction === "inactive" || offered === "inactive" ? "inactive" : "accepted",
    label,
    connection,
    port: a.port,
    rtcp,
    ...codec,
    ...(te === undefined ? {} : { telephoneEventPt: te.payloadType }),
    ...(crypto === undefined ? {} : { crypto }),
  };
}

/** First format of the answer that the offer also has, by codec name for dynamic types. */
function pickCodec(o: Media, a: Media): { payloadType: number; codec: string; clockRate: number } | undefined {
  for (const f of a.formats) {
    const pt = Number(f);
    const ar = a.rtpmaps.find((r) => r.payloadType === pt);
    if (ar?.encodingName.toLowerCase() === "telephone-event") continue;
    const name = ar?.encodingName ?? STATIC_NAMES[pt];
    if (name === undefined) continue;
    // The same codec at the same clock (L16/16000 is not L16/8000).
    const or = o.rtpmaps.find((r) => r.encodingName.toLowerCase() === name.toLowerCase() && (ar === undefined || r.clockRate === ar.clockRate));
    if (or === undefined && !(o.formats.includes(f) && STATIC_NAMES[pt] !== undefined)) continue;
    return { payloadType: pt, codec: name.toUpperCase(), clockRate: ar?.clockRate ?? 8000 };
  }
  return undefined;
}

/** RFC 3551 static audio payload types a recorder may meet without an rtpmap. */
const STATIC_NAMES: Readonly<Record<number, string>> = { 0: "PCMU", 8: "PCMA", 9: "G722" };
