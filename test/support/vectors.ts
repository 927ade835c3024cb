/**
 * Access to the reference data copied into the repository
 * (test/vectors/reference and test/fixtures, each with its PROVENANCE.md),
 * with the header conventions of test/vectors/reference/README.md undone.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

/** The repository's test/ folder. */
export const TEST_ROOT = new URL("..", import.meta.url).pathname;
export const REFERENCE = join(TEST_ROOT, "vectors", "reference");
export const FIXTURES = join(TEST_ROOT, "fixtures");

export function readReference(rel: string): string {
  return readFileSync(join(REFERENCE, rel), "utf8");
}

export function listReference(dir: string, suffix: string): string[] {
  return readdirSync(join(REFERENCE, dir))
    .filter((f) => f.endsWith(suffix))
    .sort()
    .map((f) => join(dir, f));
}

/** Drops the leading "# " provenance lines of the SIP/SDP text examples. */
export function stripHashHeader(text: string): string {
  const lines = text.split("\n");
  while (lines[0]?.startsWith("# ")) lines.shift();
  return lines.join("\n");
}

/** Joins RFC <allOneLine> blocks into one line, as the RFC convention says. */
export function unfoldAllOneLine(text: string): string {
  return text.replace(/<allOneLine>\n([\s\S]*?)\n<\/allOneLine>/g, (_, body: string) =>
    body
      .split("\n")
      .map((l) => l.trim())
      .join(""),
  );
}

/** Drops line 2 (the inserted provenance comment) of the XML examples and the XSD. */
export function stripXmlProvenance(text: string): string {
  const lines = text.split("\n");
  if (lines[1]?.startsWith("<!-- Source:")) lines.splice(1, 1);
  return lines.join("\n");
}

/** LF → CRLF for SIP text from RFC figures. */
export function toCrlf(text: string): string {
  return text.replace(/\r?\n/g, "\r\n");
}

/**
 * A SIP message from an RFC figure: "# " header lines dropped, CRLF line
 * ends, and the "Content-Length: [length]" placeholder replaced by the real
 * body length. Everything else is left as printed.
 */
export function sipFromFigure(figure: string): Uint8Array {
  const text = toCrlf(stripHashHeader(figure));
  const split = text.indexOf("\r\n\r\n");
  const head = text.slice(0, split);
  const body = text.slice(split + 4);
  const len = new TextEncoder().encode(body).length;
  return new TextEncoder().encode(`${head.replace("Content-Length: [length]", `Content-Length: ${len}`)}\r\n\r\n${body}`);
}
