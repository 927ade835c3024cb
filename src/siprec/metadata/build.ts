/**
 * RecordingMetadata → RFC 7865 XML (xmlbuilder2 does the escaping).
 *
 * RFC 7865 §5.1: the document starts with an XML declaration naming UTF-8;
 * §5.1.2: one <recording> root in urn:ietf:params:xml:ns:recording:1.
 * Children follow the XSD's sequence (§9): datamode, group*, session*,
 * participant*, stream*, sessionrecordingassoc*, participantsessionassoc*,
 * participantstreamassoc*, then other-namespace extensions.
 *
 * Text from calls (display names, headers) can hold characters XML 1.0
 * forbids (C0 controls, U+FFFE/U+FFFF, lone surrogates); they become U+FFFD
 * so the document stays well-formed whatever a caller sends.
 *
 * xmlbuilder2 escapes only a bare "&": text that already looks like an
 * entity reference ("&amp;", "&#65;", "&foo;") passes through unescaped, which
 * would change the data or make the document malformed. So every "&" is
 * escaped here first; xmlbuilder2 then leaves the resulting "&amp;" alone.
 */
import { create } from "xmlbuilder2";
import type { XMLBuilder } from "xmlbuilder2/lib/interfaces";
import { RECORDING_NS, XML_NS, type RecordingMetadata, type Times, type XmlTree } from "./model.ts";

const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

export function xmlSafe(s: string): string {
  return s.replace(NOT_XML_CHAR, "\uFFFD");
}

/** Text or attribute value ready for xmlbuilder2. */
function v(s: string): string {
  return xmlSafe(s).replaceAll("&", "&amp;");
}

function text(parent: XMLBuilder, name: string, value: string | undefined): void {
  if (value !== undefined) parent.ele(name).txt(v(value));
}

function times(parent: XMLBuilder, t: Times): void {
  text(parent, "associate-time", t.associateTime);
  text(parent, "disassociate-time", t.disassociateTime);
}

function tree(parent: XMLBuilder, t: XmlTree): void {
  const e = parent.ele(t.ns === "" ? null : t.ns, t.name);
  for (const [k, value] of Object.entries(t.attrs)) {
    if (k.startsWith("xml:")) e.att(XML_NS, k, v(value));
    else e.att(k, v(value));
  }
  for (const c of t.children) {
    if (typeof c === "string") e.txt(v(c));
    else tree(e, c);
  }
}

function extensions(parent: XMLBuilder, list: readonly XmlTree[]): void {
  for (const t of list) tree(parent, t);
}

export function buildMetadataXml(m: RecordingMetadata, opts: { pretty?: boolean } = {}): string {
  const doc = create({ version: "1.0", encoding: "UTF-8" });
  const r = doc.ele(RECORDING_NS, "recording");
  text(r, "datamode", m.datamode);
  for (const g of m.groups) {
    const e = r.ele("group").att("group_id", v(g.id));
    times(e, g);
    extensions(e, g.extensions);
  }
  for (const s of m.sessions) {
    const e = r.ele("session").att("session_id", v(s.id));
    for (const id of s.sipSessionIds) text(e, "sipSessionID", id);
    for (const reason of s.reasons) {
      const re = e.ele("reason").att("cause", String(reason.cause));
      if (reason.protocol !== undefined) re.att("protocol", v(reason.protocol));
      re.txt(v(reason.text));
    }
    text(e, "group-ref", s.groupRef);
    text(e, "start-time", s.startTime);
    text(e, "stop-time", s.stopTime);
    extensions(e, s.extensions);
  }
  for (const p of m.participants) {
    const e = r.ele("participant").att("participant_id", v(p.id));
    for (const n of p.nameIds) {
      const ne = e.ele("nameID").att("aor", v(n.aor));
      if (n.name !== undefined) {
        const name = ne.ele("name");
        if (n.name.lang !== undefined) name.att(XML_NS, "xml:lang", v(n.name.lang));
        name.txt(v(n.name.text));
      }
    }
    extensions(e, p.extensions);
  }
  for (const s of m.streams) {
    const e = r.ele("stream").att("stream_id", v(s.id));
    if (s.sessionId !== undefined) e.att("session_id", v(s.sessionId));
    text(e, "label", s.label);
    extensions(e, s.extensions);
  }
  for (const a of m.sessionRecordingAssocs) {
    const e = r.ele("sessionrecordingassoc").att("session_id", v(a.sessionId));
    times(e, a);
    extensions(e, a.extensions);
  }
  for (const a of m.participantSessionAssocs) {
    const e = r.ele("participantsessionassoc").att("participant_id", v(a.participantId)).att("session_id", v(a.sessionId));
    times(e, a);
    for (const p of a.params) e.ele("param").att("pname", v(p.name)).att("pval", v(p.value));
    extensions(e, a.extensions);
  }
  for (const a of m.participantStreamAssocs) {
    const e = r.ele("participantstreamassoc").att("participant_id", v(a.participantId));
    for (const id of a.send) text(e, "send", id);
    for (const id of a.recv) text(e, "recv", id);
    times(e, a);
    extensions(e, a.extensions);
  }
  extensions(r, m.extensions);
  return doc.end({ prettyPrint: opts.pretty ?? true });
}
