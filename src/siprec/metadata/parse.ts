/**
 * RFC 7865 XML → RecordingMetadata. Reading is tolerant (structure is the
 * XSD's job, see xsd.ts): known elements of the recording namespace fill the
 * model, elements of other namespaces are kept as extension trees, comments
 * and formatting whitespace are dropped. The root must be <recording> in
 * urn:ietf:params:xml:ns:recording:1 (RFC 7865 §5.1.2, §6.11).
 */
import type { Libxml } from "./libxml.ts";
import {
  RECORDING_NS,
  XML_NS,
  type Group,
  type NameId,
  type Participant,
  type ParticipantSessionAssoc,
  type ParticipantStreamAssoc,
  type RecordingMetadata,
  type Session,
  type SessionRecordingAssoc,
  type Stream,
  type XmlTree,
} from "./model.ts";
import { readXml, type XmlReadError } from "./read-xml.ts";
import { type Result, err, ok } from "../../lib/result.ts";

export type MetadataParseError = XmlReadError | { readonly code: "XML_WRONG_ROOT" | "XML_WRONG_NAMESPACE"; readonly message: string; readonly line?: number };

type Lib = Libxml;
type El = InstanceType<Lib["XmlElement"]>;

/**
 * An element's child nodes in document order, through XPath: libxml2-wasm's
 * sibling links stop at a processing instruction (its node has no `next`),
 * which would drop (or crash on) everything after `<?pi?>`.
 */
function childNodes(el: El): unknown[] {
  return el.find("node()");
}

function elements(lib: Lib, el: El): El[] {
  return childNodes(el).filter((c): c is El => c instanceof lib.XmlElement);
}

function toTree(lib: Lib, el: El): XmlTree {
  const attrs: Record<string, string> = {};
  for (const a of el.attrs) attrs[a.namespaceUri === XML_NS ? `xml:${a.name}` : a.name] = a.value;
  const children: (XmlTree | string)[] = [];
  let hasElements = false;
  for (const c of childNodes(el)) {
    if (c instanceof lib.XmlElement) {
      hasElements = true;
      children.push(toTree(lib, c));
    } else if (c instanceof lib.XmlText || c instanceof lib.XmlCData) children.push(c.content);
  }
  // Indentation between child elements is formatting, not data.
  const kept = hasElements ? children.filter((c) => typeof c !== "string" || c.trim() !== "") : children;
  const merged: (XmlTree | string)[] = [];
  for (const c of kept) {
    const last = merged[merged.length - 1];
    if (typeof c === "string" && typeof last === "string") merged[merged.length - 1] = last + c;
    else merged.push(c);
  }
  return { ns: el.namespaceUri, name: el.name, attrs, children: merged };
}

class Reader {
  constructor(private readonly lib: Lib) {}

  parts(el: El): { own: Map<string, El[]>; ext: XmlTree[] } {
    const own = new Map<string, El[]>();
    const ext: XmlTree[] = [];
    for (const c of elements(this.lib, el)) {
      if (c.namespaceUri === RECORDING_NS) own.set(c.name, [...(own.get(c.name) ?? []), c]);
      else ext.push(toTree(this.lib, c));
    }
    return { own, ext };
  }

  texts(own: Map<string, El[]>, name: string, trim = false): string[] {
    return (own.get(name) ?? []).map((e) => (trim ? e.content.trim() : e.content));
  }

  text(own: Map<string, El[]>, name: string, trim = true): string | undefined {
    return this.texts(own, name, trim)[0];
  }

  times(own: Map<string, El[]>): { associateTime?: string; disassociateTime?: string } {
    const a = this.text(own, "associate-time");
    const d = this.text(own, "disassociate-time");
    return { ...(a === undefined ? {} : { associateTime: a }), ...(d === undefined ? {} : { disassociateTime: d }) };
  }

  attr(el: El, name: string): string {
    return el.attr(name)?.value ?? "";
  }

  group(el: El): Group {
    const { own, ext } = this.parts(el);
    return { id: this.attr(el, "group_id"), ...this.times(own), extensions: ext };
  }

  session(el: El): Session {
    const { own, ext } = this.parts(el);
    const opt = (k: "groupRef" | "startTime" | "stopTime", name: string) => {
      const v = this.text(own, name);
      return v === undefined ? {} : { [k]: v };
    };
    return {
      id: this.attr(el, "session_id"),
      sipSessionIds: this.texts(own, "sipSessionID"),
      reasons: (own.get("reason") ?? []).map((r) => {
        const protocol = r.attr("protocol")?.value;
        return { cause: Number(r.attr("cause")?.value ?? NaN), ...(protocol === undefined ? {} : { protocol }), text: r.content };
      }),
      ...opt("groupRef", "group-ref"),
      ...opt("startTime", "start-time"),
      ...opt("stopTime", "stop-time"),
      extensions: ext,
    };
  }

  participant(el: El): Participant {
    const { own, ext } = this.parts(el);
    const nameIds = (own.get("nameID") ?? []).map((n): NameId => {
      const nameEl = elements(this.lib, n).find((c) => c.name === "name" && c.namespaceUri === RECORDING_NS);
      const lang = nameEl?.attr("lang", "xml")?.value;
      return {
        aor: this.attr(n, "aor"),
        ...(nameEl === undefined ? {} : { name: { text: nameEl.content, ...(lang === undefined ? {} : { lang }) } }),
      };
    });
    return { id: this.attr(el, "participant_id"), nameIds, extensions: ext };
  }

  stream(el: El): Stream {
    const { own, ext } = this.parts(el);
    const sessionId = el.attr("session_id")?.value;
    const label = this.text(own, "label", false);
    return {
      id: this.attr(el, "stream_id"),
      ...(sessionId === undefined ? {} : { sessionId }),
      ...(label === undefined ? {} : { label }),
      extensions: ext,
    };
  }

  sra(el: El): SessionRecordingAssoc {
    const { own, ext } = this.parts(el);
    return { sessionId: this.attr(el, "session_id"), ...this.times(own), extensions: ext };
  }

  psa(el: El): ParticipantSessionAssoc {
    const { own, ext } = this.parts(el);
    return {
      participantId: this.attr(el, "participant_id"),
      sessionId: this.attr(el, "session_id"),
      ...this.times(own),
      params: (own.get("param") ?? []).map((p) => ({ name: this.attr(p, "pname"), value: this.attr(p, "pval") })),
      extensions: ext,
    };
  }

  pstream(el: El): ParticipantStreamAssoc {
    const { own, ext } = this.parts(el);
    return {
      participantId: this.attr(el, "participant_id"),
      send: this.texts(own, "send", true),
      recv: this.texts(own, "recv", true),
      ...this.times(own),
      extensions: ext,
    };
  }

  recording(root: El): RecordingMetadata {
    const { own, ext } = this.parts(root);
    const list = <T>(name: string, f: (e: El) => T): T[] => (own.get(name) ?? []).map(f);
    const dm = this.text(own, "datamode");
    return {
      ...(dm === "complete" || dm === "partial" ? { datamode: dm } : {}),
      groups: list("group", (e) => this.group(e)),
      sessions: list("session", (e) => this.session(e)),
      participants: list("participant", (e) => this.participant(e)),
      streams: list("stream", (e) => this.stream(e)),
      sessionRecordingAssocs: list("sessionrecordingassoc", (e) => this.sra(e)),
      participantSessionAssocs: list("participantsessionassoc", (e) => this.psa(e)),
      participantStreamAssocs: list("participantstreamassoc", (e) => this.pstream(e)),
      extensions: ext,
    };
  }
}

type Doc = InstanceType<Lib["XmlDocument"]>;

/** The model of an already parsed document (the caller keeps ownership of `doc`). */
export function metadataFromDocument(lib: Lib, doc: Doc): Result<RecordingMetadata, MetadataParseError> {
  const root = doc.root;
  if (root.name !== "recording") return err({ code: "XML_WRONG_ROOT", message: `the root element is <${root.name}>, expected <recording>`, line: root.line });
  if (root.namespaceUri !== RECORDING_NS) {
    return err({ code: "XML_WRONG_NAMESPACE", message: `<recording> is in namespace "${root.namespaceUri}", expected "${RECORDING_NS}"`, line: root.line });
  }
  return ok(new Reader(lib).recording(root));
}

export function parseMetadataXml(lib: Lib, text: string): Result<RecordingMetadata, MetadataParseError> {
  const doc = readXml(lib, text);
  if (!doc.ok) return doc;
  try {
    return metadataFromDocument(lib, doc.value);
  } finally {
    doc.value.dispose();
  }
}

export interface SnapshotRequest {
  /** RFC 7865 §7: the optional <requestreason>. */
  readonly reason?: string;
}

/**
 * RFC 7866 §9.2: an SRS asks for a full snapshot with a <requestsnapshot>
 * document (global element of the RFC 7865 schema) in an UPDATE.
 */
export function parseSnapshotRequest(lib: Lib, text: string): Result<SnapshotRequest, MetadataParseError> {
  const doc = readXml(lib, text);
  if (!doc.ok) return doc;
  try {
    const root = doc.value.root;
    if (root.name !== "requestsnapshot")
      return err({ code: "XML_WRONG_ROOT", message: `the root element is <${root.name}>, expected <requestsnapshot>`, line: root.line });
    if (root.namespaceUri !== RECORDING_NS)
      return err({
        code: "XML_WRONG_NAMESPACE",
        message: `<requestsnapshot> is in namespace "${root.namespaceUri}", expected "${RECORDING_NS}"`,
        line: root.line,
      });
    const reason = elements(lib, root).find((e) => e.name === "requestreason" && e.namespaceUri === RECORDING_NS)?.content;
    return ok(reason === undefined ? {} : { reason });
  } finally {
    doc.value.dispose();
  }
}
