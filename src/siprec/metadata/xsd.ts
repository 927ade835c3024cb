/**
 * Validation against RFC 7865's XML schema (§9) with libxml2. The schema is
 * embedded in the binary (rfc7865-recording.xsd, verbatim but for its
 * provenance comment) and its import of https://www.w3.org/2001/xml.xsd is
 * served from a local copy: validation never touches the network.
 */
import recordingXsd from "./rfc7865-recording.xsd" with { type: "text" };
import xmlXsd from "./xml.xsd" with { type: "text" };
import type { Libxml } from "./libxml.ts";
import { readXml } from "./read-xml.ts";

export const XML_XSD_URL = "https://www.w3.org/2001/xml.xsd";

export interface XsdIssue {
  readonly message: string;
  readonly line?: number;
  readonly column?: number;
  /** "schema" for XSD violations, else the reason the document could not be read. */
  readonly kind: "schema" | "XML_TOO_LARGE" | "XML_DTD_FORBIDDEN" | "XML_NOT_WELL_FORMED";
}

type Validator = InstanceType<Libxml["XsdValidator"]>;
const validators = new WeakMap<Libxml, Validator>();

function validatorFor(lib: Libxml): Validator {
  const cached = validators.get(lib);
  if (cached !== undefined) return cached;
  const provider = new lib.XmlBufferInputProvider({ [XML_XSD_URL]: new TextEncoder().encode(xmlXsd) });
  lib.xmlRegisterInputProvider(provider);
  const schemaDoc = lib.XmlDocument.fromString(recordingXsd, { url: "rfc7865-recording.xsd" });
  const v = lib.XsdValidator.fromDoc(schemaDoc);
  validators.set(lib, v);
  return v;
}

type Doc = InstanceType<Libxml["XmlDocument"]>;

/** Schema violations of an already parsed document (empty when valid). */
export function validateDocumentXsd(lib: Libxml, doc: Doc): XsdIssue[] {
  try {
    validatorFor(lib).validate(doc);
    return [];
  } catch (e) {
    const details = (e as { details?: { message: string; line: number; col: number }[] }).details ?? [];
    if (details.length === 0) return [{ kind: "schema", message: e instanceof Error ? e.message : String(e) }];
    return details.map((d) => ({ kind: "schema" as const, message: d.message.trim(), line: d.line, ...(d.col > 0 ? { column: d.col } : {}) }));
  }
}

/** Every schema violation of `text` (empty when valid). */
export function validateMetadataXsd(lib: Libxml, text: string): XsdIssue[] {
  const doc = readXml(lib, text);
  if (!doc.ok)
    return [{ kind: doc.error.code, message: doc.error.message, ...(doc.error.line === undefined ? {} : { line: doc.error.line, column: doc.error.column }) }];
  try {
    return validateDocumentXsd(lib, doc.value);
  } finally {
    doc.value.dispose();
  }
}
