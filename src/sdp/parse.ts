/**
 * SDP text → typed model. Our own line scanner enforces the structure
 * (RFC 8866 §5: `<type>=<value>` lines, v= first, o=/s=/t= present, m-line
 * syntax), bounds the input and records the line of every m-line; the
 * attribute grammar (rtpmap, fmtp, crypto, rtcp, ...) comes from
 * sdp-transform. Never throws on input.
 */
import { parse as transformParse } from "sdp-transform";
import type { AddrType, Connection, CryptoAttr, Direction, ExtraAttr, Fmtp, Media, OtherLine, RtpMap, Sdp } from "./types.ts";
import { DIRECTIONS } from "./types.ts";
import { type Result, err, ok } from "../lib/result.ts";

export const MAX_SDP_BYTES = 64 * 1024;
export const MAX_MEDIA = 128;

export type SdpErrorCode =
  | "SDP_TOO_LARGE"
  | "SDP_TOO_MANY_MEDIA"
  | "SDP_BAD_LINE"
  | "SDP_MISSING_VERSION"
  | "SDP_MISSING_FIELD"
  | "SDP_BAD_ORIGIN"
  | "SDP_BAD_CONNECTION"
  | "SDP_BAD_MEDIA";

export interface SdpError {
  readonly code: SdpErrorCode;
  readonly message: string;
  /** 1-based line in the SDP text, when the problem has one. */
  readonly line?: number;
}

/** Attributes the model holds in typed fields; all others go to `extra`. */
const MODELLED = new Set(["rtpmap", "fmtp", "ptime", "rtcp", "rtcp-mux", "crypto", "label", ...DIRECTIONS]);

interface ScannedSection {
  readonly line: number;
  readonly mLine: string;
  readonly cLine?: { text: string; line: number };
  readonly attrs: { name: string; value?: string; line: number }[];
  readonly other: OtherLine[];
}

/** Lines kept verbatim (RFC 8866 §5 order: i u e p before c, b after c, r z k after t). */
const OTHER_TYPES = new Set(["i", "u", "e", "p", "b", "r", "z", "k"]);

interface Scan {
  readonly lines: string[];
  readonly sessionAttrs: { name: string; value?: string; line: number }[];
  readonly sessionOther: OtherLine[];
  readonly sections: ScannedSection[];
  readonly origin?: { text: string; line: number };
  readonly sessionC?: { text: string; line: number };
  readonly has: Set<string>;
}

const fail = (code: SdpErrorCode, message: string, line?: number) => err<SdpError>(line === undefined ? { code, message } : { code, message, line });

function scan(text: string): Result<Scan, SdpError> {
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  if (lines.length === 0 || lines[0] !== "v=0") return fail("SDP_MISSING_VERSION", 'an SDP starts with the line "v=0"', 1);
  const out: Scan = { lines, sessionAttrs: [], sessionOther: [], sections: [], has: new Set() };
  let current: ScannedSection | undefined;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] as string;
    const n = i + 1;
    if (!/^[a-z]=/.test(l)) return fail("SDP_BAD_LINE", `expected "<letter>=<value>", got ${JSON.stringify(l.slice(0, 60))}`, n);
    const type = l[0] as string;
    const value = l.slice(2);
    if (type === "m") {
      if (out.sections.length >= MAX_MEDIA) return fail("SDP_TOO_MANY_MEDIA", `more than ${MAX_MEDIA} m-lines`, n);
      current = { line: n, mLine: value, attrs: [], other: [] };
      out.sections.push(current);
    } else if (type === "a") {
      const colon = value.indexOf(":");
      const attr = colon < 0 ? { name: value, line: n } : { name: value.slice(0, colon), value: value.slice(colon + 1), line: n };
      (current?.attrs ?? out.sessionAttrs).push(attr);
    } else if (type === "c") {
      if (current === undefined) (out as { sessionC?: unknown }).sessionC = { text: value, line: n };
      else (current as { cLine?: unknown }).cLine = { text: value, line: n };
    } else if (OTHER_TYPES.has(type)) {
      (current?.other ?? out.sessionOther).push({ type, value });
    } else if (type === "o" && current === undefined) {
      (out as { origin?: unknown }).origin = { text: value, line: n };
    }
    if (current === undefined) out.has.add(type);
  }
  return ok(out);
}

function parseConnection(text: string, line: number): Result<Connection, SdpError> {
  const m = /^IN (IP4|IP6) (\S+)$/.exec(text);
  if (m === null) return fail("SDP_BAD_CONNECTION", `expected "c=IN IP4|IP6 <address>", got "c=${text.slice(0, 60)}"`, line);
  // A multicast c= may carry /ttl[/count]; it stays part of the address text (recording is unicast).
  return ok({ addrType: m[1] as AddrType, address: m[2] as string });
}

export function parseSdp(text: string): Result<Sdp, SdpError> {
  if (text.length > MAX_SDP_BYTES) return fail("SDP_TOO_LARGE", `SDP is ${text.length} bytes; the limit is ${MAX_SDP_BYTES}`);
  const s = scan(text);
  if (!s.ok) return s;
  const sc = s.value;
  for (const f of ["o", "s", "t"]) if (!sc.has.has(f)) return fail("SDP_MISSING_FIELD", `the session has no "${f}=" line (RFC 8866 §5)`);
  const o = /^(\S+) (\d+) (\d+) (\S+) (IP4|IP6) (\S+)$/.exec(sc.origin?.text ?? "");
  if (o === null) return fail("SDP_BAD_ORIGIN", 'expected "o=<username> <sess-id> <sess-version> IN IP4|IP6 <address>"', sc.origin?.line);
  let sessionC: Connection | undefined;
  if (sc.sessionC !== undefined) {
    const c = parseConnection(sc.sessionC.text, sc.sessionC.line);
    if (!c.ok) return c;
    sessionC = c.value;
  }
  const t = transformParse(sc.lines.join("\r\n"));
  const tm = t.media ?? [];
  const media: Media[] = [];
  for (let i = 0; i < sc.sections.length; i++) {
    const m = parseMedia(sc.sections[i] as ScannedSection, tm[i]);
    if (!m.ok) return m;
    media.push(m.value);
  }
  const timing = /^(\d+) (\d+)/.exec(t.timing === undefined ? "" : `${t.timing.start} ${t.timing.stop}`);
  const dir = sessionDirection(sc.sessionAttrs);
  return ok({
    origin: {
      username: o[1] as string,
      sessionId: o[2] as string,
      sessionVersion: BigInt(o[3] as string),
      netType: o[4] as string,
      addrType: o[5] as AddrType,
      address: o[6] as string,
    },
    sessionName: t.name ?? "-",
    ...(sessionC === undefined ? {} : { connection: sessionC }),
    timing: { start: Number(timing?.[1] ?? 0), stop: Number(timing?.[2] ?? 0) },
    ...(dir === undefined ? {} : { direction: dir }),
    extra: extras(sc.sessionAttrs),
    otherLines: sc.sessionOther,
    media,
  });
}

function sessionDirection(attrs: readonly { name: string }[]): Direction | undefined {
  const d = attrs.find((a) => (DIRECTIONS as readonly string[]).includes(a.name));
  return d?.name as Direction | undefined;
}

function extras(attrs: readonly { name: string; value?: string }[]): ExtraAttr[] {
  return attrs.filter((a) => !MODELLED.has(a.name)).map((a) => (a.value === undefined ? { name: a.name } : { name: a.name, value: a.value }));
}

type TransformMedia = NonNullable<ReturnType<typeof transformParse>["media"]>[number];

function parseMedia(sec: ScannedSection, tm: TransformMedia | undefined): Result<Media, SdpError> {
  // RFC 8866 §5.14: m=<media> <port>[/<number of ports>] <proto> <fmt> ...
  const m = /^([a-z][a-z0-9_-]*) (\d{1,5})(?:\/(\d+))? (\S+)((?: \S+)+)$/i.exec(sec.mLine);
  if (m === null || tm === undefined)
    return fail("SDP_BAD_MEDIA", `expected "m=<media> <port> <proto> <fmt> ...", got "m=${sec.mLine.slice(0, 60)}"`, sec.line);
  const port = Number(m[2]);
  if (port > 65535) return fail("SDP_BAD_MEDIA", `port ${port} is out of range`, sec.line);
  let connection: Connection | undefined;
  if (sec.cLine !== undefined) {
    const c = parseConnection(sec.cLine.text, sec.cLine.line);
    if (!c.ok) return c;
    connection = c.value;
  }
  const rtpmaps: RtpMap[] = (tm.rtp ?? []).map((r) => ({
    payloadType: Number(r.payload),
    encodingName: String(r.codec),
    clockRate: Number(r.rate ?? 0),
    ...(r.encoding === undefined ? {} : { channels: Number(r.encoding) }),
  }));
  const fmtps: Fmtp[] = (tm.fmtp ?? []).map((f) => ({ payloadType: Number(f.payload), params: String(f.config) }));
  const crypto: CryptoAttr[] = (tm.crypto ?? []).map((c) => ({
    tag: Number(c.id),
    suite: String(c.suite),
    keyParams: String(c.config),
    ...(c.sessionConfig === undefined ? {} : { sessionParams: String(c.sessionConfig) }),
  }));
  const label = sec.attrs.find((a) => a.name === "label")?.value;
  const direction = sessionDirection(sec.attrs);
  const rtcp = tm.rtcp;
  const numPorts = m[3] === undefined ? undefined : Number(m[3]);
  return ok({
    type: m[1] as string,
    port,
    ...(numPorts === undefined ? {} : { numPorts }),
    protocol: m[4] as string,
    formats: (m[5] as string).trim().split(" "),
    ...(connection === undefined ? {} : { connection }),
    ...(direction === undefined ? {} : { direction }),
    ...(label === undefined ? {} : { label }),
    rtpmaps,
    fmtps,
    ...(tm.ptime === undefined ? {} : { ptime: Number(tm.ptime) }),
    ...(rtcp === undefined
      ? {}
      : {
          rtcp: {
            port: Number(rtcp.port),
            ...(rtcp.address === undefined ? {} : { connection: { addrType: rtcp.ipVer === 6 ? "IP6" : "IP4", address: String(rtcp.address) } as Connection }),
          },
        }),
    rtcpMux: sec.attrs.some((a) => a.name === "rtcp-mux"),
    crypto,
    extra: extras(sec.attrs),
    otherLines: sec.other,
    line: sec.line,
  });
}
