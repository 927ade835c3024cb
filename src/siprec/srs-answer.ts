/**
 * The reference SRS's SDP answer to a recording offer (RFC 7866 §8, RFC 3264
 * §6): one recvonly stream per offered label, with the first offered codec
 * it can record (PCMU or PCMA; telephone-event kept); a stream it cannot
 * take is answered with port 0. For RTP/SAVP it answers one crypto line
 * with the offered tag and suite and its own fresh key (RFC 4568 §7.1.2).
 */
import { type CryptoSuite, isKnownSuite, newCryptoAttr } from "../sdp/crypto-attr.ts";
import type { Media, RtpMap, Sdp } from "../sdp/types.ts";
import type { IdSource } from "../lib/ids.ts";

export interface AnsweredStream {
  readonly label: string;
  readonly accepted: boolean;
  readonly reason?: string;
  readonly codec?: "PCMU" | "PCMA";
  readonly payloadType?: number;
  readonly telephoneEventPt?: number;
  /** The offerer's SRTP key (to decrypt what it sends) and ours (for our RTCP). */
  readonly srtp?: { readonly suite: CryptoSuite; readonly theirKeyParams: string; readonly ourKeySalt: Uint8Array };
  /** Where the offerer takes RTCP (our receiver reports): its RTP port with rtcp-mux, else a=rtcp (RFC 3605) or port + 1. */
  readonly rtcpTo?: { readonly address: string; readonly port: number; readonly mux: boolean };
}

const STATIC: Readonly<Record<number, "PCMU" | "PCMA">> = { 0: "PCMU", 8: "PCMA" };

function pickCodec(m: Media): { pt: number; codec: "PCMU" | "PCMA" } | undefined {
  for (const f of m.formats) {
    const pt = Number(f);
    const name = (m.rtpmaps.find((r) => r.payloadType === pt)?.encodingName ?? STATIC[pt] ?? "").toUpperCase();
    if (name === "PCMU" || name === "PCMA") return { pt, codec: name };
  }
  return undefined;
}

/** `rtcpPorts`: where we take RTCP per label when not muxed (announced with a=rtcp, RFC 3605). */
export function buildSrsAnswer(offer: Sdp, ports: ReadonlyMap<string, number>, address: string, ids: IdSource, rtcpPorts: ReadonlyMap<string, number> = new Map()): { sdp: Sdp; streams: AnsweredStream[] } {
  const streams: AnsweredStream[] = [];
  const media = offer.media.map((m, i): Media => {
    const label = m.label ?? String(i + 1);
    const reject = (reason: string): Media => {
      streams.push({ label, accepted: false, reason });
      return { ...m, port: 0, connection: undefined, crypto: [], direction: undefined, rtcp: undefined, extra: [], otherLines: [], line: 0 };
    };
    if (m.port === 0) return reject("the offer disabled it");
    if (m.type !== "audio") return reject(`${m.type} is not recorded`);
    const codec = pickCodec(m);
    if (codec === undefined) return reject("no PCMU or PCMA offered");
    const port = ports.get(label);
    if (port === undefined) return reject("no port free");
    const te = m.rtpmaps.find((r) => r.encodingName.toLowerCase() === "telephone-event" && r.clockRate === 8000);
    let srtp: AnsweredStream["srtp"];
    let crypto: Media["crypto"] = [];
    if (m.protocol === "RTP/SAVP") {
      const c = m.crypto.find((x) => isKnownSuite(x.suite));
      if (c === undefined) return reject("no crypto suite we support");
      const ours = newCryptoAttr(c.tag, c.suite as CryptoSuite, ids);
      crypto = [ours.attr];
      srtp = { suite: c.suite as CryptoSuite, theirKeyParams: c.keyParams, ourKeySalt: ours.keySalt };
    }
    const rtpmaps: RtpMap[] = [{ payloadType: codec.pt, encodingName: codec.codec, clockRate: 8000 }, ...(te === undefined ? [] : [te])];
    const from = (m.connection ?? offer.connection)?.address;
    const rtcpTo = from === undefined ? undefined : m.rtcpMux ? { address: from, port: m.port, mux: true } : { address: m.rtcp?.connection?.address ?? from, port: m.rtcp?.port ?? m.port + 1, mux: false };
    const ourRtcp = m.rtcpMux ? undefined : rtcpPorts.get(label);
    streams.push({ label, accepted: true, codec: codec.codec, payloadType: codec.pt, ...(te === undefined ? {} : { telephoneEventPt: te.payloadType }), ...(srtp === undefined ? {} : { srtp }), ...(rtcpTo === undefined ? {} : { rtcpTo }) });
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
      origin: { username: "siprec-srs", sessionId: String(ids.uint32()), sessionVersion: 1n, netType: "IN", addrType: address.includes(":") ? "IP6" : "IP4", address },
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
