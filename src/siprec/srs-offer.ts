/**
 * The SRC's answer to an SDP offer from the SRS (a re-INVITE or UPDATE
 * with SDP, RFC 7866 §7.1.1, RFC 3264 §6, RFC 3311 §5.2), one pure
 * function: per m-line what the stream becomes and the answer to send.
 *
 * RFC 3264 §8: "the number of m lines in the offer MUST NOT be fewer than
 * the number of m lines in the previous SDP"; existing streams keep their
 * position. Per stream: recvonly → we answer sendonly and send; inactive →
 * inactive, nothing sent; port 0 → port 0, the stream is gone for good; a
 * new c=/port re-targets; new crypto re-keys. What a recorder cannot do
 * (send and receive, an unknown codec only, another transport protocol,
 * a stream we never had) fails the whole offer: the caller answers 488 and
 * changes nothing (RFC 3261 §14.2).
 */
import type { StreamOutcome } from "./answer.ts";
import { type OfferCodec, STATIC_CODECS, TELEPHONE_EVENT_PT, codecClockRate } from "./offer.ts";
import { type CryptoSuite, isKnownSuite, newCryptoAttr } from "../sdp/crypto-attr.ts";
import type { CryptoAttr, Direction, Media, RtpMap, Sdp } from "../sdp/types.ts";
import { effectiveConnection, effectiveDirection } from "../sdp/types.ts";
import type { IdSource } from "../lib/ids.ts";
import { type Result, err, ok } from "../lib/result.ts";

export interface SendKey {
  readonly suite: string;
  readonly keySalt: Uint8Array;
}

export interface SrsOfferContext {
  /** Our SDP as last sent (offer or answer): positions, ports, labels, our keys. */
  readonly local: Sdp;
  readonly codecs: readonly OfferCodec[];
  readonly telephoneEvent: boolean;
  readonly srtpSuites: readonly string[];
  /** Our current sending key per label (kept when the SRS keeps the suite). */
  readonly keys: ReadonlyMap<string, SendKey>;
  /** PCI pause in force: streams the SRS wants are answered inactive. */
  readonly paused: boolean;
  readonly ids: IdSource;
}

export interface SrsOfferAnswer {
  /** Our answer, o= version + 1 when anything changed (RFC 3264 §8). */
  readonly answer: Sdp;
  readonly streams: readonly StreamOutcome[];
  readonly keys: ReadonlyMap<string, SendKey>;
}

export interface SrsOfferError {
  readonly code: "OFFER_NOT_ACCEPTABLE";
  readonly message: string;
}

const refuse = (message: string) => err<SrsOfferError>({ code: "OFFER_NOT_ACCEPTABLE", message });

type PerStream = { media: Media; outcome: StreamOutcome; key?: SendKey };

export function answerSrsOffer(c: SrsOfferContext, offer: Sdp): Result<SrsOfferAnswer, SrsOfferError> {
  const local = c.local;
  if (offer.media.length < local.media.length)
    return refuse(`the offer has ${offer.media.length} m-lines, fewer than the ${local.media.length} of the session (RFC 3264 §8)`);
  const per: PerStream[] = [];
  for (let i = 0; i < offer.media.length; i++) {
    const o = offer.media[i] as Media;
    const l = local.media[i];
    const r = answerStream(c, offer, o, l, i);
    if (!r.ok) return r;
    per.push(r.value);
  }
  const media = per.map((p) => p.media);
  const changed = JSON.stringify(media, replacer) !== JSON.stringify(local.media, replacer);
  const answer: Sdp = { ...local, origin: { ...local.origin, sessionVersion: local.origin.sessionVersion + (changed ? 1n : 0n) }, media };
  const keys = new Map<string, SendKey>();
  for (const p of per) if (p.key !== undefined) keys.set(p.outcome.label, p.key);
  return ok({ answer, streams: per.map((p) => p.outcome), keys });
}

const replacer = (_k: string, v: unknown) => (typeof v === "bigint" ? v.toString() : v);

function disabled(l: Media | undefined, o: Media, label: string): PerStream {
  const base = l ?? o;
  const media: Media = {
    ...base,
    port: 0,
    crypto: [],
    rtcp: undefined,
    direction: undefined,
    connection: undefined,
    formats: o.formats.slice(0, 1),
    rtpmaps: [],
    fmtps: [],
    extra: [],
    otherLines: [],
    line: 0,
  };
  return { media, outcome: { status: "rejected", label } };
}

function answerStream(c: SrsOfferContext, offer: Sdp, o: Media, l: Media | undefined, i: number): Result<PerStream, SrsOfferError> {
  const label = l?.label ?? o.label ?? String(i + 1);
  // A stream we never offered (RFC 3264 §8.1 lets the offerer add one): a recorder has nothing to send on it.
  if (l === undefined) return ok(disabled(undefined, o, label));
  if (o.label !== undefined && l.label !== undefined && o.label !== l.label)
    return refuse(`m-line ${i + 1} has label ${o.label}; the session has ${l.label} there`);
  // RFC 3264 §8.2: once disabled (port 0) a stream stays disabled: we never send on it again.
  if (o.port === 0 || l.port === 0) return ok(disabled(l, o, label));
  if (o.type !== l.type) return refuse(`m-line ${i + 1} is ${o.type}; the session has ${l.type} there`);
  if (o.protocol !== l.protocol) return refuse(`m-line ${i + 1} is ${o.protocol}; the session uses ${l.protocol}`);
  const offered = effectiveDirection(offer, o);
  // RFC 3264 §6.1: a recvonly offer is answered sendonly or inactive; a recorder never receives call audio.
  if (offered === "sendrecv" || offered === "sendonly") return refuse(`label ${label} offered ${offered}; a recording stream only sends (RFC 7866 §8.1.1)`);
  const connection = effectiveConnection(offer, o);
  if (connection === undefined) return refuse(`label ${label} has no c= line`);
  const codec = pickCodec(c.codecs, o);
  if (codec === undefined) return refuse(`label ${label} offers no codec we send (${o.formats.join(" ")}; we send ${c.codecs.join(", ")})`);
  let crypto: CryptoAttr | undefined;
  let ours: CryptoAttr | undefined;
  let key: SendKey | undefined;
  if (o.protocol === "RTP/SAVP") {
    const theirs = o.crypto.find((x) => isKnownSuite(x.suite) && c.srtpSuites.includes(x.suite));
    if (theirs === undefined) return refuse(`label ${label} offers no crypto suite of ours (${c.srtpSuites.join(", ")})`);
    crypto = theirs;
    const current = c.keys.get(label);
    if (current !== undefined && current.suite === theirs.suite) {
      key = current;
      const mine = l.crypto.find((x) => x.suite === theirs.suite);
      ours = {
        tag: theirs.tag,
        suite: theirs.suite,
        keyParams: mine?.keyParams ?? newCryptoAttr(theirs.tag, theirs.suite as CryptoSuite, c.ids).attr.keyParams,
      };
    } else {
      // RFC 4568 §7.1.4: another suite means new keys.
      const fresh = newCryptoAttr(theirs.tag, theirs.suite as CryptoSuite, c.ids);
      ours = fresh.attr;
      key = { suite: theirs.suite, keySalt: fresh.keySalt };
    }
  }
  const direction: Direction = offered === "inactive" || c.paused ? "inactive" : "sendonly";
  const rate = codecClockRate(codec.codec);
  const te = c.telephoneEvent
    ? o.rtpmaps.find((r) => r.encodingName.toLowerCase() === "telephone-event" && r.clockRate === rate && o.formats.includes(String(r.payloadType)))
    : undefined;
  const rtpmaps: RtpMap[] = [{ payloadType: codec.payloadType, encodingName: codec.codec, clockRate: rate }, ...(te === undefined ? [] : [te])];
  const rtcpMux = o.rtcpMux && l.rtcpMux;
  const media: Media = {
    ...l,
    formats: rtpmaps.map((r) => String(r.payloadType)),
    rtpmaps,
    fmtps: te === undefined ? [] : o.fmtps.filter((f) => f.payloadType === te.payloadType).map((f) => ({ ...f })),
    rtcpMux,
    ...(rtcpMux ? { rtcp: undefined } : {}),
    crypto: ours === undefined ? [] : [ours],
    direction,
    line: 0,
  };
  const outcome: StreamOutcome = {
    // The SRS's wish (inactive) or our pause: either way nothing is sent on this stream.
    status: offered === "inactive" ? "inactive" : "accepted",
    label,
    connection,
    port: o.port,
    rtcp: rtcpMux ? "mux" : { address: o.rtcp?.connection?.address ?? connection.address, port: o.rtcp?.port ?? o.port + 1 },
    payloadType: codec.payloadType,
    codec: codec.codec,
    clockRate: rate,
    ...(te === undefined ? {} : { telephoneEventPt: te.payloadType }),
    ...(crypto === undefined ? {} : { crypto }),
  };
  return ok({ media, outcome, ...(key === undefined ? {} : { key }) });
}

/** The offer's first format that is one of our codecs (static type, or its rtpmap name). */
function pickCodec(codecs: readonly OfferCodec[], o: Media): { payloadType: number; codec: OfferCodec } | undefined {
  for (const f of o.formats) {
    const pt = Number(f);
    const map = o.rtpmaps.find((r) => r.payloadType === pt);
    const name = (map?.encodingName ?? Object.values(STATIC_CODECS).find((s) => s.payloadType === pt && pt < 96)?.encodingName ?? "").toUpperCase();
    const codec = codecs.find((x) => x === name && (map === undefined || map.clockRate === codecClockRate(x)));
    if (codec !== undefined && pt !== TELEPHONE_EVENT_PT) return { payloadType: pt, codec };
  }
  return undefined;
}

/**
 * Our offer when the SRS sent a re-INVITE without one (RFC 3261 §14.2, RFC
 * 3264 §5): every live stream sendonly (inactive while paused), disabled
 * ones stay at port 0, version + 1.
 */
export function offerForOfferless(local: Sdp, paused: boolean, full: (m: Media) => Media): Sdp {
  return {
    ...local,
    origin: { ...local.origin, sessionVersion: local.origin.sessionVersion + 1n },
    media: local.media.map((m) => (m.port === 0 ? m : { ...full(m), direction: paused ? "inactive" : "sendonly" })),
  };
}
