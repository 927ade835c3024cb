/**
 * The reference SRS's SDP answer to a recording offer (RFC 7866 §8, RFC 3264
 * §6): one recvonly stream per offered label, with the first offered codec
 * it can record (PCMU, PCMA, G722, L16/16000; or the first of its own
 * preference list that is offered; telephone-event at that codec's clock
 * kept); a stream it cannot
 * take is answered with port 0. For RTP/SAVP it answers one crypto line
 * with the offered tag and suite and its own fresh key (RFC 4568 §7.1.2).
 */
import { type CryptoSuite, isKnownSuite, newCryptoAttr } from "../sdp/crypto-attr.ts";
import type { CryptoAttr, Media, RtpMap, Sdp } from "../sdp/types.ts";
import type { IdSource } from "../lib/ids.ts";

export interface AnsweredStream {
  readonly label: string;
  readonly accepted: boolean;
  readonly reason?: string;
  readonly codec?: SrsCodec;
  readonly payloadType?: number;
  readonly telephoneEventPt?: number;
  /** The offerer's SRTP key (to decrypt what it sends) and ours (for our RTCP). */
  readonly srtp?: { readonly suite: CryptoSuite; readonly theirKeyParams: string; readonly ourKeySalt: Uint8Array };
  /** Where the offerer takes RTCP (our receiver reports): its RTP port with rtcp-mux, else a=rtcp (RFC 3605) or port + 1. */
  readonly rtcpTo?: { readonly address: string; readonly port: number; readonly mux: boolean };
}

/** What the reference SRS records (and decodes into its WAVs). */
export const SRS_CODECS = ["PCMU", "PCMA", "G722", "L16"] as const;
export type SrsCodec = (typeof SRS_CODECS)[number];

const STATIC: Readonly<Record<number, SrsCodec>> = { 0: "PCMU", 8: "PCMA", 9: "G722" };
/** Each codec's RTP clock: L16 is recorded at 16 kHz mono only; G.722's clock is 8000 (RFC 3551 §4.5.2). */
const RATE: Readonly<Record<SrsCodec, number>> = { PCMU: 8000, PCMA: 8000, G722: 8000, L16: 16000 };

/** The offered formats we can record, in the offer's order. */
function recordable(m: Media): { pt: number; codec: SrsCodec }[] {
  return m.formats.flatMap((f) => {
    const pt = Number(f);
    const map = m.rtpmaps.find((r) => r.payloadType === pt);
    const codec = SRS_CODECS.find((c) => c === (map?.encodingName ?? STATIC[pt] ?? "").toUpperCase());
    if (codec === undefined || (map !== undefined && (map.clockRate !== RATE[codec] || (map.channels ?? 1) !== 1))) return [];
    return [{ pt, codec }];
  });
}

/** The offer's first recordable codec, or the first of `prefer` that is offered. */
function pickCodec(m: Media, prefer?: readonly SrsCodec[]): { pt: number; codec: SrsCodec } | undefined {
  const offered = recordable(m);
  if (prefer === undefined) return offered[0];
  for (const c of prefer) {
    const hit = offered.find((o) => o.codec === c);
    if (hit !== undefined) return hit;
  }
  return undefined;
}

const teFor = (m: Media, codec: SrsCodec) =>
  m.rtpmaps.find((r) => r.encodingName.toLowerCase() === "telephone-event" && r.clockRate === RATE[codec] && m.formats.includes(String(r.payloadType)));

const noCodec = (prefer?: readonly SrsCodec[]): string => `none of ${(prefer ?? SRS_CODECS).join(", ")} offered`;

/** `rtcpPorts`: where we take RTCP per label when not muxed (announced with a=rtcp, RFC 3605). */
export function buildSrsAnswer(
  offer: Sdp,
  ports: ReadonlyMap<string, number>,
  address: string,
  ids: IdSource,
  rtcpPorts: ReadonlyMap<string, number> = new Map(),
  prefer?: readonly SrsCodec[],
): { sdp: Sdp; streams: AnsweredStream[] } {
  const streams: AnsweredStream[] = [];
  const media = offer.media.map((m, i): Media => {
    const label = m.label ?? String(i + 1);
    const reject = (reason: string): Media => {
      streams.push({ label, accepted: false, reason });
      return { ...m, port: 0, connection: undefined, crypto: [], direction: undefined, rtcp: undefined, extra: [], otherLines: [], line: 0 };
    };
    if (m.port === 0) return reject("the offer disabled it");
    if (m.type !== "audio") return reject(`${m.type} is not recorded`);
    const codec = pickCodec(m, prefer);
    if (codec === undefined) return reject(noCodec(prefer));
    const port = ports.get(label);
    if (port === undefined) return reject("no port free");
    const te = teFor(m, codec.codec);
    let srtp: AnsweredStream["srtp"];
    let crypto: Media["crypto"] = [];
    if (m.protocol === "RTP/SAVP") {
      const c = m.crypto.find((x) => isKnownSuite(x.suite));
      if (c === undefined) return reject("no crypto suite we support");
      const ours = newCryptoAttr(c.tag, c.suite as CryptoSuite, ids);
      crypto = [ours.attr];
      srtp = { suite: c.suite as CryptoSuite, theirKeyParams: c.keyParams, ourKeySalt: ours.keySalt };
    }
    const rtpmaps: RtpMap[] = [{ payloadType: codec.pt, encodingName: codec.codec, clockRate: RATE[codec.codec] }, ...(te === undefined ? [] : [te])];
    const from = (m.connection ?? offer.connection)?.address;
    const rtcpTo =
      from === undefined
        ? undefined
        : m.rtcpMux
          ? { address: from, port: m.port, mux: true }
          : { address: m.rtcp?.connection?.address ?? from, port: m.rtcp?.port ?? m.port + 1, mux: false };
    const ourRtcp = m.rtcpMux ? undefined : rtcpPorts.get(label);
    streams.push({
      label,
      accepted: true,
      codec: codec.codec,
      payloadType: codec.pt,
      ...(te === undefined ? {} : { telephoneEventPt: te.payloadType }),
      ...(srtp === undefined ? {} : { srtp }),
      ...(rtcpTo === undefined ? {} : { rtcpTo }),
    });
    return {
      type: "audio",
      port,
      protocol: m.protocol,
      formats: rtpmaps.map((r) => String(r.payloadType)),
      rtpmaps,
      fmtps: te === undefined ? [] : m.fmtps.filter((f) => f.payloadType === te.payloadType),
      ...(m.ptime === undefined ? {} : { ptime: m.ptime }),
      ...(ourRtcp === undefined ? {} : { rtcp: { port: ourRtcp } }),
      rtcpMux: m.rtcpMux,
      crypto,
      label,
      direction: m.direction === "inactive" ? "inactive" : "recvonly",
      extra: [],
      otherLines: [],
      line: 0,
    };
  });
  return {
    sdp: {
      origin: {
        username: "siprec-srs",
        sessionId: String(ids.uint32()),
        sessionVersion: 1n,
        netType: "IN",
        addrType: address.includes(":") ? "IP6" : "IP4",
        address,
      },
      sessionName: "siprec srs",
      connection: { addrType: address.includes(":") ? "IP6" : "IP4", address },
      timing: { start: 0, stop: 0 },
      extra: [],
      otherLines: [],
      media,
    },
    streams,
  };
}

export interface ReofferAnswer {
  readonly sdp: Sdp;
  /** Per m-line: what the stream is now (recvonly = receiving, inactive = paused by the SRC, rejected = port 0). */
  readonly streams: readonly { readonly label: string; readonly state: "recvonly" | "inactive" | "rejected"; readonly crypto?: CryptoAttr }[];
  readonly warnings: readonly string[];
}

/**
 * The reference SRS's answer to an in-dialog offer from the SRC (pause,
 * resume, snapshot re-INVITE, UPDATE with SDP), built from that offer and
 * the SRS's previous answer (RFC 3264 §8): m-lines keep their place and
 * ports, a disabled one stays at port 0, sendonly → recvonly, inactive →
 * inactive; the codec stays the one answered before when still offered.
 * What a recording server cannot take (fewer m-lines, a stream that wants
 * to receive, no codec it records) is an error: the caller answers 488.
 * RFC 3264 §8: the o= version goes up by one for a changed description
 * and stays for an unchanged one; anything else is a warning.
 */
export function answerSrsReoffer(prev: Sdp, prevOffer: Sdp | undefined, offer: Sdp): { ok: true; value: ReofferAnswer } | { ok: false; error: string } {
  const warnings: string[] = [];
  if (offer.media.length < prev.media.length)
    return { ok: false, error: `the offer has ${offer.media.length} m-lines, the session ${prev.media.length} (RFC 3264 §8)` };
  if (prevOffer !== undefined) {
    const [a, b] = [prevOffer.origin, offer.origin];
    const same =
      JSON.stringify({ ...prevOffer, origin: undefined, media: prevOffer.media.map((m) => ({ ...m, line: 0 })) }, big) ===
      JSON.stringify({ ...offer, origin: undefined, media: offer.media.map((m) => ({ ...m, line: 0 })) }, big);
    if (a.sessionId !== b.sessionId || a.username !== b.username)
      warnings.push(`o= changed from "${a.username} ${a.sessionId}" to "${b.username} ${b.sessionId}" (RFC 3264 §8: only the version may change)`);
    else if (b.sessionVersion === a.sessionVersion && !same) warnings.push(`o= version ${b.sessionVersion} unchanged for a changed description (RFC 3264 §8)`);
    else if (b.sessionVersion !== a.sessionVersion && b.sessionVersion !== a.sessionVersion + 1n)
      warnings.push(`o= version went from ${a.sessionVersion} to ${b.sessionVersion}, not + 1 (RFC 3264 §8)`);
  }
  const streams: ReofferAnswer["streams"][number][] = [];
  const media: Media[] = [];
  for (const [i, m] of offer.media.entries()) {
    const p = prev.media[i];
    const label = m.label ?? p?.label ?? String(i + 1);
    if (p === undefined || p.port === 0 || m.port === 0) {
      if (p === undefined && m.port !== 0) warnings.push(`label ${label} added mid-session: not recorded (port 0)`);
      streams.push({ label, state: "rejected" });
      media.push({ ...(p ?? m), port: 0, crypto: [], rtcp: undefined, direction: undefined, connection: undefined, extra: [], otherLines: [], line: 0 });
      continue;
    }
    if (m.label !== undefined && p.label !== undefined && m.label !== p.label)
      return { ok: false, error: `m-line ${i + 1} has label ${m.label}, the session ${p.label}` };
    const dir = m.direction ?? offer.direction ?? "sendrecv";
    if (dir === "sendrecv" || dir === "recvonly")
      return { ok: false, error: `label ${label} is ${dir}: a recording stream is sendonly or inactive (RFC 7866 §8.1.1)` };
    const before = SRS_CODECS.find((c) => c === p.rtpmaps[0]?.encodingName.toUpperCase());
    const codec = pickCodec(m, before === undefined ? undefined : [before]) ?? pickCodec(m);
    if (codec === undefined) return { ok: false, error: `label ${label} offers ${noCodec()}` };
    let crypto: CryptoAttr | undefined;
    if (m.protocol === "RTP/SAVP") {
      crypto = m.crypto.find((x) => isKnownSuite(x.suite) && p.crypto.some((y) => y.suite === x.suite)) ?? m.crypto.find((x) => isKnownSuite(x.suite));
      if (crypto === undefined) return { ok: false, error: `label ${label} offers no crypto suite we support` };
    }
    const ours = crypto === undefined ? [] : [{ ...(p.crypto.find((y) => y.suite === crypto?.suite) ?? (p.crypto[0] as CryptoAttr)), tag: crypto.tag }];
    const te = teFor(m, codec.codec);
    const rtpmaps: RtpMap[] = [{ payloadType: codec.pt, encodingName: codec.codec, clockRate: RATE[codec.codec] }, ...(te === undefined ? [] : [te])];
    const state = dir === "inactive" ? "inactive" : "recvonly";
    streams.push({ label, state, ...(crypto === undefined ? {} : { crypto }) });
    media.push({
      ...p,
      formats: rtpmaps.map((r) => String(r.payloadType)),
      rtpmaps,
      fmtps: te === undefined ? [] : m.fmtps.filter((f) => f.payloadType === te.payloadType),
      crypto: ours,
      direction: state,
      line: 0,
    });
  }
  const changed = JSON.stringify(media, big) !== JSON.stringify(prev.media, big);
  return {
    ok: true,
    value: { sdp: { ...prev, origin: { ...prev.origin, sessionVersion: prev.origin.sessionVersion + (changed ? 1n : 0n) }, media }, streams, warnings },
  };
}

const big = (_k: string, v: unknown) => (typeof v === "bigint" ? v.toString() : v);

/** The SRS's offer for an offerless re-INVITE from the SRC: its streams recvonly, version + 1. */
export function srsOfferFor(prev: Sdp): Sdp {
  return {
    ...prev,
    origin: { ...prev.origin, sessionVersion: prev.origin.sessionVersion + 1n },
    media: prev.media.map((m) => (m.port === 0 ? m : { ...m, direction: "recvonly" })),
  };
}
