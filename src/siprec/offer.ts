/**
 * The SRC's SDP offer toward an SRS (RFC 7866 §7.1, §8) and its re-offers.
 *
 * RFC 7866 §7.1.1: "the SRC MUST include a label attribute ... for each
 * media stream"; recorded streams are sendonly (RFC 7245 §3.2.1), inactive
 * while paused (RFC 7866 §7.1.1.1). RFC 3264 §8: a re-offer keeps o= except
 * that the version goes up by exactly one, and never drops an m-line.
 */
import type { AddrType, CryptoAttr, Direction, Media, RtpMap, Sdp } from "../sdp/types.ts";

export type OfferCodec = "PCMU" | "PCMA" | "G722" | "L16";

/**
 * RFC 3551 §6 static payload types; G722's rtpmap says 8000 Hz for historical
 * reasons (§4.5.2). L16 at 16 kHz mono has no static type: it takes the
 * dynamic type 96 (RFC 3551 §4.5.11: "L16 denotes uncompressed audio data
 * samples, using 16-bit signed representation ... in network byte order").
 */
export const STATIC_CODECS: Readonly<Record<OfferCodec, RtpMap>> = {
  PCMU: { payloadType: 0, encodingName: "PCMU", clockRate: 8000 },
  PCMA: { payloadType: 8, encodingName: "PCMA", clockRate: 8000 },
  G722: { payloadType: 9, encodingName: "G722", clockRate: 8000 },
  L16: { payloadType: 96, encodingName: "L16", clockRate: 16000 },
};
export const TELEPHONE_EVENT_PT = 101;
/** telephone-event at 16 kHz, offered beside L16/16000 (RFC 4733 §2.1: the event clock is the audio's). */
export const TELEPHONE_EVENT_16K_PT = 102;

/** The RTP clock of a codec as offered (what its timestamps count). */
export function codecClockRate(codec: string): number {
  return codec === "L16" ? 16000 : 8000;
}

export interface OfferStream {
  /** RFC 4574 label, unique in the offer; numeric by convention. */
  readonly label: string;
  readonly port: number;
  /** Explicit RTCP port (RFC 3605 a=rtcp); omitted with rtcp-mux. */
  readonly rtcpPort?: number;
  /** SDES crypto lines for RTP/SAVP (RFC 4568); one set per stream. */
  readonly crypto?: readonly CryptoAttr[];
}

export interface RecordingOfferOptions {
  readonly username?: string;
  readonly sessionId: string;
  readonly sessionVersion: bigint;
  readonly address: string;
  readonly addrType: AddrType;
  readonly codecs: readonly OfferCodec[];
  readonly telephoneEvent: boolean;
  readonly ptime: number;
  readonly rtcpMux: boolean;
  readonly srtp: boolean;
  readonly streams: readonly OfferStream[];
}

export function buildOfferMedia(
  o: Omit<RecordingOfferOptions, "streams" | "sessionId" | "sessionVersion" | "username">,
  s: OfferStream,
  direction: Direction = "sendonly",
): Media {
  const rtpmaps: RtpMap[] = o.codecs.map((c) => STATIC_CODECS[c]);
  const events: RtpMap[] = [];
  if (o.telephoneEvent) {
    if (o.codecs.some((c) => codecClockRate(c) === 8000)) events.push({ payloadType: TELEPHONE_EVENT_PT, encodingName: "telephone-event", clockRate: 8000 });
    if (o.codecs.includes("L16")) events.push({ payloadType: TELEPHONE_EVENT_16K_PT, encodingName: "telephone-event", clockRate: 16000 });
  }
  rtpmaps.push(...events);
  return {
    type: "audio",
    port: s.port,
    protocol: o.srtp ? "RTP/SAVP" : "RTP/AVP",
    formats: rtpmaps.map((r) => String(r.payloadType)),
    rtpmaps,
    fmtps: events.map((e) => ({ payloadType: e.payloadType, params: "0-15" })),
    ptime: o.ptime,
    ...(s.rtcpPort !== undefined && !o.rtcpMux ? { rtcp: { port: s.rtcpPort } } : {}),
    rtcpMux: o.rtcpMux,
    crypto: o.srtp ? (s.crypto ?? []) : [],
    label: s.label,
    direction,
    extra: [],
    otherLines: [],
    line: 0,
  };
}

export function buildRecordingOffer(o: RecordingOfferOptions): Sdp {
  const labels = new Set<string>();
  for (const s of o.streams) {
    if (labels.has(s.label)) throw new Error(`duplicate label ${s.label}`);
    if (!/^[!#-'*+.0-9A-Z^-z|~-]+$/.test(s.label)) throw new Error(`label ${JSON.stringify(s.label)} is not an RFC 4574 token`);
    labels.add(s.label);
  }
  return {
    origin: {
      username: o.username ?? "siprec",
      sessionId: o.sessionId,
      sessionVersion: o.sessionVersion,
      netType: "IN",
      addrType: o.addrType,
      address: o.address,
    },
    sessionName: "siprec",
    connection: { addrType: o.addrType, address: o.address },
    timing: { start: 0, stop: 0 },
    extra: [],
    otherLines: [],
    media: o.streams.map((s) => buildOfferMedia(o, s)),
  };
}

/** RFC 3264 §8: same o= line, version + 1. */
export function nextVersion(prev: Sdp, media: readonly Media[] = prev.media): Sdp {
  return { ...prev, origin: { ...prev.origin, sessionVersion: prev.origin.sessionVersion + 1n }, media };
}

/**
 * Pause (inactive) or resume (sendonly) every stream, or only the labelled
 * ones. Rejected streams (port 0) stay as they are.
 */
export function reofferDirection(prev: Sdp, direction: "inactive" | "sendonly", labels?: ReadonlySet<string>): Sdp {
  return nextVersion(
    prev,
    prev.media.map((m) => (m.port === 0 || (labels !== undefined && !labels.has(m.label ?? "")) ? m : { ...m, direction })),
  );
}

/** Adds a stream (re-using the first disabled m-line when one exists, RFC 3264 §8.1). */
export function reofferAddStream(prev: Sdp, media: Media): Sdp {
  const free = prev.media.findIndex((m) => m.port === 0 && m.type === media.type);
  const list = [...prev.media];
  if (free >= 0) list[free] = media;
  else list.push(media);
  return nextVersion(prev, list);
}

/** RFC 7866 §7.1.1.1: a stream is removed by a re-offer with its port set to 0. */
export function reofferRemoveStream(prev: Sdp, label: string): Sdp {
  return nextVersion(
    prev,
    prev.media.map((m) => (m.label === label ? { ...m, port: 0, crypto: [], ...(m.rtcp === undefined ? {} : { rtcp: undefined }) } : m)),
  );
}
