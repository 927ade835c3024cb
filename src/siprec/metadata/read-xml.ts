/**
 * Safe XML reading for untrusted metadata: bounded size, no DTD at all (so
 * no entity expansion or external entities, whatever the parser would do),
 * no network, and libxml2's own depth limit (256) against deep nesting.
 * Returns a document the caller must dispose.
 */
import type { Libxml } from "./libxml.ts";
import { type Result, err, ok } from "../../lib/result.ts";

export const MAX_XML_BYTES = 4 * 1024 * 1024;

export type XmlReadErrorCode = "XML_TOO_LARGE" | "XML_DTD_FORBIDDEN" | "XML_NOT_WELL_FORMED";

export interface XmlReadError {
  readonly code: XmlReadErrorCode;
  readonly message: string;
  readonly line?: number;
  readonly column?: number;
}

type Doc = InstanceType<Libxml["XmlDocument"]>;

export function lineColumnOf(text: string, index: number): { line: number; column: number } {
  let line = 1;
  let last = -1;
  for (let i = text.indexOf("\n"); i >= 0 && i < index; i = text.indexOf("\n", i + 1)) {
    line++;
    last = i;
  }
  return { line, column: index - last };
}

export function readXml(lib: Libxml, text: string): Result<Doc, XmlReadError> {
  if (text.length > MAX_XML_BYTES) return err({ code: "XML_TOO_LARGE", message: `the XML document is ${text.length} bytes; the limit is ${MAX_XML_BYTES}` });
  // The DTD check below must see what libxml2 will parse. libxml2 detects UTF-16/UCS-4 from the bytes
  // (a UTF-16LE document without BOM is "<\0?\0x\0..." to a UTF-8 reader) and follows an encoding
  // declaration; XML 1.0 §2.2 allows no U+0000 at all, so a NUL means another encoding: refused,
  // as is a declared encoding other than UTF-8 (we read every document as UTF-8).
  const nul = text.indexOf("\u0000");
  if (nul >= 0)
    return err({
      code: "XML_NOT_WELL_FORMED",
      message: "the document contains NUL characters: recording metadata must be UTF-8 (UTF-16 and UCS-4 are refused)",
      ...lineColumnOf(text, nul),
    });
  const declared = /^\uFEFF?<\?xml[^>]*\sencoding\s*=\s*["']([^"']+)["']/.exec(text)?.[1];
  if (declared !== undefined && !/^(utf-?8|us-ascii)$/i.test(declared))
    return err({ code: "XML_NOT_WELL_FORMED", message: `encoding="${declared}": recording metadata must be UTF-8`, line: 1, column: 1 });
  // RFC 7865 documents never need a DTD; refusing one closes entity-expansion
  // ("billion laughs") and external-entity attacks before any parsing. Comments
  // and CDATA sections may mention "<!DOCTYPE" without declaring one.
  const markup = text.replace(/<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>/g, (m) => m.replace(/[^\n]/g, " "));
  const dtd = markup.search(/<!DOCTYPE|<!ENTITY/i);
  if (dtd >= 0)
    return err({ code: "XML_DTD_FORBIDDEN", message: "a DTD (<!DOCTYPE/<!ENTITY) is not allowed in recording metadata", ...lineColumnOf(text, dtd) });
  const P = lib.ParseOption;
  try {
    return ok(lib.XmlDocument.fromString(text, { option: P.XML_PARSE_NONET | P.XML_PARSE_NO_XXE | P.XML_PARSE_BIG_LINES }));
  } catch (e) {
    const d = (e as { details?: { message: string; line: number; col: number }[] }).details?.[0];
    const message = (d?.message ?? (e instanceof Error ? e.message : String(e))).trim();
    return err({ code: "XML_NOT_WELL_FORMED", message, ...(d === undefined ? {} : { line: d.line, column: d.col }) });
  }
}
