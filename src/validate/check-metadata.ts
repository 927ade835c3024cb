/**
 * RFC 7865 metadata rules: well-formedness without a DTD, namespace, the
 * XSD (each kind of schema violation mapped to its own rule id), unique ids,
 * associations that point at defined objects, and "complete first".
 */
import type { FindingSink, RuleId } from "./rules.ts";
import type { Libxml } from "../siprec/metadata/libxml.ts";
import type { RecordingMetadata } from "../siprec/metadata/model.ts";
import { metadataFromDocument } from "../siprec/metadata/parse.ts";
import { readXml } from "../siprec/metadata/read-xml.ts";
import { type XsdIssue, validateDocumentXsd } from "../siprec/metadata/xsd.ts";

export interface MetadataContext {
  /** True for the first metadata of a recording session (an initial INVITE, a bare file). */
  readonly initial: boolean;
}

/** Which rule a libxml2 schema message breaks. */
export function classifyXsdIssue(i: XsdIssue): RuleId {
  if (i.kind !== "schema") return "metadata-well-formed";
  const m = i.message;
  if (m.includes("No matching global declaration available for the validation root")) return "metadata-namespace";
  if (/'\{[^}]*\}send': This element is not expected/.test(m) && /Expected is one of \( \{[^}]*\}recv/.test(m)) return "metadata-send-recv-order";
  if (/\}participant': Missing child element\(s\)\. Expected is \( \{[^}]*\}nameID/.test(m)) return "metadata-participant-nameid";
  if (m.includes("xs:base64Binary")) return "metadata-id-base64";
  if (m.includes("attribute 'cause' is required")) return "metadata-reason-cause";
  if (m.includes("xs:dateTime")) return "metadata-time-format";
  if (m.includes("This element is not expected")) return "metadata-element-order";
  return "metadata-schema";
}

/** 1-based line of the first occurrence of `needle` at or after `from`, if any. */
function lineOf(text: string, needle: string, from = 0): number | undefined {
  const i = text.indexOf(needle, from);
  return i < 0 ? undefined : text.slice(0, i).split("\n").length;
}

export function checkMetadata(lib: Libxml, text: string, ctx: MetadataContext, sink: FindingSink): RecordingMetadata | undefined {
  // RFC 7865 §5.1: the document starts with an XML declaration that gives the encoding.
  const decl = /^<\?xml[^?]*\?>/.exec(text);
  if (decl === null)
    sink.add("metadata-xml-declaration", /^\s+<\?xml/.test(text) ? "text comes before the XML declaration" : "the document has no XML declaration", {
      line: 1,
    });
  else if (!/encoding\s*=\s*["']utf-8["']/i.test(decl[0]))
    sink.add("metadata-xml-declaration", "the XML declaration does not name encoding UTF-8", { line: 1 });

  const doc = readXml(lib, text);
  if (!doc.ok) {
    sink.add("metadata-well-formed", doc.error.message, doc.error);
    return undefined;
  }
  try {
    return checkDocument(lib, doc.value, text, ctx, sink);
  } finally {
    doc.value.dispose();
  }
}

function checkDocument(
  lib: Libxml,
  doc: Parameters<typeof validateDocumentXsd>[1],
  text: string,
  ctx: MetadataContext,
  sink: FindingSink,
): RecordingMetadata | undefined {
  const parsed = metadataFromDocument(lib, doc);
  if (!parsed.ok) {
    const e = parsed.error;
    const at = { line: e.line, column: "column" in e ? e.column : undefined };
    if (e.code === "XML_WRONG_NAMESPACE") sink.add("metadata-namespace", e.message, at);
    else if (e.code === "XML_WRONG_ROOT" && doc.root.name === "requestsnapshot") {
      // A snapshot request (RFC 7865 §7) is the schema's other global element.
      for (const i of validateDocumentXsd(lib, doc)) sink.add(classifyXsdIssue(i), i.message, i);
    } else sink.add("metadata-namespace", e.message, at);
    return undefined;
  }
  for (const i of validateDocumentXsd(lib, doc)) sink.add(classifyXsdIssue(i), i.message, i);
  const m = parsed.value;
  const complete = m.datamode !== "partial";
  if (ctx.initial && !complete)
    sink.add("metadata-initial-partial", "the first metadata of a recording session is partial; send a complete snapshot first", {
      line: lineOf(text, "<datamode"),
    });
  checkIds(m, text, sink);
  if (complete) checkReferences(m, text, sink);
  return m;
}

function checkIds(m: RecordingMetadata, text: string, sink: FindingSink): void {
  const kinds: [string, string, readonly { id: string }[]][] = [
    ["group", "group_id", m.groups],
    ["session", "session_id", m.sessions],
    ["participant", "participant_id", m.participants],
    ["stream", "stream_id", m.streams],
  ];
  for (const [kind, attr, list] of kinds) {
    const seen = new Set<string>();
    for (const { id } of list) {
      if (seen.has(id)) {
        const needle = `${attr}="${id}"`;
        sink.add("metadata-duplicate-id", `two <${kind}> elements have ${attr} ${id}`, { line: lineOf(text, needle, text.indexOf(needle) + 1) });
      }
      seen.add(id);
    }
  }
}

function checkReferences(m: RecordingMetadata, text: string, sink: FindingSink): void {
  const groups = new Set(m.groups.map((g) => g.id));
  const sessions = new Set(m.sessions.map((s) => s.id));
  const participants = new Set(m.participants.map((p) => p.id));
  const streams = new Set(m.streams.map((s) => s.id));
  const check = (set: Set<string>, id: string, what: string, where: string): void => {
    if (!set.has(id))
      sink.add("metadata-dangling-reference", `${where} refers to ${what} ${id}, which this complete snapshot does not define`, { line: lineOf(text, id) });
  };
  for (const s of m.sessions) if (s.groupRef !== undefined) check(groups, s.groupRef, "group", `session ${s.id}`);
  for (const s of m.streams) if (s.sessionId !== undefined) check(sessions, s.sessionId, "session", `stream ${s.id}`);
  for (const a of m.sessionRecordingAssocs) check(sessions, a.sessionId, "session", "a sessionrecordingassoc");
  for (const a of m.participantSessionAssocs) {
    check(participants, a.participantId, "participant", "a participantsessionassoc");
    check(sessions, a.sessionId, "session", "a participantsessionassoc");
  }
  for (const a of m.participantStreamAssocs) {
    check(participants, a.participantId, "participant", "a participantstreamassoc");
    for (const id of [...a.send, ...a.recv]) check(streams, id, "stream", `participantstreamassoc of ${a.participantId}`);
  }
}
