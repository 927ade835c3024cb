/**
 * Typed SDP model (RFC 8866/4566) for what a recording client reads and
 * writes: origin, connection, one entry per m-line with its codecs,
 * direction, RFC 4574 label, RFC 4568 crypto lines, ptime and RTCP. Other
 * attributes are kept in order in `extra` so nothing is lost on re-offer.
 */
export type Direction = "sendrecv" | "sendonly" | "recvonly" | "inactive";
export type AddrType = "IP4" | "IP6";

export interface Origin {
  readonly username: string;
  /** Kept as text: it may exceed 2^53. */
  readonly sessionId: string;
  readonly sessionVersion: bigint;
  readonly netType: string;
  readonly addrType: AddrType;
  readonly address: string;
}

export interface Connection {
  readonly addrType: AddrType;
  readonly address: string;
}

export interface RtpMap {
  readonly payloadType: number;
  readonly encodingName: string;
  readonly clockRate: number;
  readonly channels?: number;
}

export interface Fmtp {
  readonly payloadType: number;
  readonly params: string;
}

/** RFC 4568 §9.1: a=crypto:<tag> <crypto-suite> <key-params> [<session-params>] */
export interface CryptoAttr {
  readonly tag: number;
  readonly suite: string;
  /** key-params, e.g. "inline:<base64 key||salt>|2^20|1:4" (one or more, ';'-separated). */
  readonly keyParams: string;
  readonly sessionParams?: string;
}

export interface ExtraAttr {
  readonly name: string;
  readonly value?: string;
}

/** A line the model does not interpret (i=, u=, e=, p=, b=, r=, z=, k=), kept verbatim. */
export interface OtherLine {
  readonly type: string;
  readonly value: string;
}

export interface Media {
  readonly type: string;
  readonly port: number;
  readonly numPorts?: number;
  readonly protocol: string;
  /** Format tokens as written on the m-line (payload types for RTP). */
  readonly formats: readonly string[];
  readonly connection?: Connection;
  readonly direction?: Direction;
  /** RFC 4574 label (a token), as text. */
  readonly label?: string;
  readonly rtpmaps: readonly RtpMap[];
  readonly fmtps: readonly Fmtp[];
  readonly ptime?: number;
  readonly rtcp?: { readonly port: number; readonly connection?: Connection };
  readonly rtcpMux: boolean;
  readonly crypto: readonly CryptoAttr[];
  readonly extra: readonly ExtraAttr[];
  readonly otherLines: readonly OtherLine[];
  /** 1-based line of the m= line in the parsed text; 0 for built values. */
  readonly line: number;
}

export interface Sdp {
  readonly origin: Origin;
  readonly sessionName: string;
  readonly connection?: Connection;
  readonly timing: { readonly start: number; readonly stop: number };
  /** Session-level direction, which media without their own inherit. */
  readonly direction?: Direction;
  readonly extra: readonly ExtraAttr[];
  readonly otherLines: readonly OtherLine[];
  readonly media: readonly Media[];
}

export const DIRECTIONS: readonly Direction[] = ["sendrecv", "sendonly", "recvonly", "inactive"];

/** RFC 3264 §5.1: a stream with no direction attribute (here or at session level) is sendrecv. */
export function effectiveDirection(sdp: Sdp, m: Media): Direction {
  return m.direction ?? sdp.direction ?? "sendrecv";
}

/** Connection that applies to a media section (media-level c= wins). */
export function effectiveConnection(sdp: Sdp, m: Media): Connection | undefined {
  return m.connection ?? sdp.connection;
}
