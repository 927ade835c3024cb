/**
 * Typed model → SDP text, CRLF line ends, in one canonical order:
 *   v o s [i u e p] c [b] t [r z k] [session a=direction] [session extras]
 *   per m-line: m [i] c [b k] a=rtpmap* a=fmtp* a=ptime a=rtcp a=rtcp-mux a=crypto* a=label a=<direction> extras
 * serializeSdp(parseSdp(x)) === x holds for text already in this order.
 */
import type { Connection, ExtraAttr, Media, Sdp } from "./types.ts";

const conn = (c: Connection): string => `IN ${c.addrType} ${c.address}`;
const attr = (a: ExtraAttr): string => (a.value === undefined ? `a=${a.name}` : `a=${a.name}:${a.value}`);

function mediaLines(m: Media): string[] {
  const out = [`m=${m.type} ${m.port}${m.numPorts === undefined ? "" : `/${m.numPorts}`} ${m.protocol} ${m.formats.join(" ")}`];
  for (const l of m.otherLines) if (l.type === "i") out.push(`i=${l.value}`);
  if (m.connection !== undefined) out.push(`c=${conn(m.connection)}`);
  for (const l of m.otherLines) if (l.type !== "i") out.push(`${l.type}=${l.value}`);
  for (const r of m.rtpmaps) out.push(`a=rtpmap:${r.payloadType} ${r.encodingName}/${r.clockRate}${r.channels === undefined ? "" : `/${r.channels}`}`);
  for (const f of m.fmtps) out.push(`a=fmtp:${f.payloadType} ${f.params}`);
  if (m.ptime !== undefined) out.push(`a=ptime:${m.ptime}`);
  if (m.rtcp !== undefined) out.push(`a=rtcp:${m.rtcp.port}${m.rtcp.connection === undefined ? "" : ` ${conn(m.rtcp.connection)}`}`);
  if (m.rtcpMux) out.push("a=rtcp-mux");
  for (const c of m.crypto) out.push(`a=crypto:${c.tag} ${c.suite} ${c.keyParams}${c.sessionParams === undefined ? "" : ` ${c.sessionParams}`}`);
  if (m.label !== undefined) out.push(`a=label:${m.label}`);
  if (m.direction !== undefined) out.push(`a=${m.direction}`);
  for (const e of m.extra) out.push(attr(e));
  return out;
}

export function serializeSdp(s: Sdp): string {
  const o = s.origin;
  const lines = ["v=0", `o=${o.username} ${o.sessionId} ${o.sessionVersion} ${o.netType} ${o.addrType} ${o.address}`, `s=${s.sessionName}`];
  const other = (types: string): void => {
    for (const l of s.otherLines) if (types.includes(l.type)) lines.push(`${l.type}=${l.value}`);
  };
  other("iuep");
  if (s.connection !== undefined) lines.push(`c=${conn(s.connection)}`);
  other("b");
  lines.push(`t=${s.timing.start} ${s.timing.stop}`);
  other("rzk");
  if (s.direction !== undefined) lines.push(`a=${s.direction}`);
  for (const e of s.extra) lines.push(attr(e));
  for (const m of s.media) lines.push(...mediaLines(m));
  return `${lines.join("\r\n")}\r\n`;
}
