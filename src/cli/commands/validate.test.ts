import { beforeAll, describe, expect, test } from "bun:test";
import { run } from "../run.ts";
import { loadLibxml, type Libxml } from "../../siprec/metadata/libxml.ts";
import { memoryIo } from "../../../test/support/memory-io.ts";
import { buildInvite, goldenParts } from "../../../test/support/golden-invite.ts";
import { readReference } from "../../../test/support/vectors.ts";

const GOOD = readReference("examples/rfc7865-metadata-example-1.xml");
const BAD = readReference("examples/constructed/neg-reason-without-cause.xml");
const legacyParts = goldenParts();
legacyParts.metadataType = "application/rs-metadata";
const LEGACY = new TextDecoder().decode(buildInvite(legacyParts));

let lib: Libxml;
beforeAll(async () => {
  lib = await loadLibxml();
});

async function validate(args: string[], files: Record<string, string | { size: number }> = {}, stdin?: string) {
  const io = memoryIo({ files, ...(stdin === undefined ? {} : { stdin }) });
  const code = await run(["validate", ...args], io);
  return { code, out: io.stdout, err: io.stderr };
}

describe("siprec validate", () => {
  test("valid file: exit 0, summary line", async () => {
    const r = await validate(["/good.xml"], { "/good.xml": GOOD });
    expect(r.code).toBe(0);
    expect(r.out).toEqual(["1 input: 1 valid, 0 errors, 0 warnings"]);
  });

  test("an error finding: exit 1, file:line, rule id and RFC section", async () => {
    const r = await validate(["/good.xml", "/bad.xml"], { "/good.xml": GOOD, "/bad.xml": BAD });
    expect(r.code).toBe(1);
    expect(r.out[0]).toBe(
      "/bad.xml:4: error [metadata-reason-cause] Element '{urn:ietf:params:xml:ns:recording:1}reason': The attribute 'cause' is required but missing. (RFC 7865 §6.3.1, §9)",
    );
    expect(r.out.at(-1)).toBe("2 inputs: 1 valid, 1 error, 0 warnings");
  });

  test("warnings pass; --strict makes them errors", async () => {
    const files = { "/inv.sip": LEGACY };
    expect((await validate(["/inv.sip"], files)).code).toBe(0);
    const strict = await validate(["/inv.sip", "--strict"], files);
    expect(strict.code).toBe(1);
    expect(strict.out[0]).toContain("error [metadata-media-type]");
  });

  test("standard input with -", async () => {
    expect((await validate(["-"], {}, GOOD)).code).toBe(0);
    expect((await validate(["-"], {}, BAD)).code).toBe(1);
  });

  test("--format json is machine-readable", async () => {
    const r = await validate(["--format", "json", "/bad.xml"], { "/bad.xml": BAD });
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out[0] as string);
    expect(j).toMatchObject({ valid: false, errors: 1, warnings: 0 });
    expect(j.files[0].findings[0]).toMatchObject({ rule: "metadata-reason-cause", severity: "error", line: 4, rfc: "RFC 7865 §6.3.1, §9", checklist: "E10e" });
  });

  test("--format junit is accepted by an XML consumer and counts right", async () => {
    const r = await validate(["--format", "junit", "/good.xml", "/bad.xml", "/inv.sip"], { "/good.xml": GOOD, "/bad.xml": BAD, "/inv.sip": LEGACY });
    expect(r.code).toBe(1);
    const doc = lib.XmlDocument.fromString(r.out.join("\n"));
    try {
      const suite = doc.get("/testsuites/testsuite");
      expect(suite instanceof lib.XmlElement && [suite.attr("tests")?.value, suite.attr("failures")?.value]).toEqual(["3", "1"]);
      const cases = doc.find("//testcase").map((n) => (n instanceof lib.XmlElement ? n.attr("name")?.value : ""));
      expect(cases).toEqual(["/good.xml", "/bad.xml", "/inv.sip"]);
      const failure = doc.get("//testcase[@name='/bad.xml']/failure");
      expect(failure instanceof lib.XmlElement && failure.attr("type")?.value).toBe("metadata-reason-cause");
      const out = doc.get("//testcase[@name='/inv.sip']/system-out");
      expect(out instanceof lib.XmlElement && out.content).toContain("metadata-media-type");
    } finally {
      doc.dispose();
    }
  });

  test("usage and I/O errors exit 2", async () => {
    expect((await validate([])).code).toBe(2);
    expect((await validate(["--format", "xml", "/good.xml"], { "/good.xml": GOOD })).code).toBe(2);
    const missing = await validate(["/missing.xml"]);
    expect(missing.code).toBe(2);
    expect(missing.out[0]).toBe("/missing.xml: cannot read: no such file");
  });

  test("a 100 MB file is refused without being read", async () => {
    const r = await validate(["/huge.xml"], { "/huge.xml": { size: 100 * 1024 * 1024 } });
    expect(r.code).toBe(1);
    expect(r.out[0]).toContain("[input-too-large] input is 104857600 bytes; the limit is 16777216");
  });

  test("--list-rules prints the catalogue", async () => {
    const r = await validate(["--list-rules"]);
    expect(r.code).toBe(0);
    expect(r.out.some((l) => l.startsWith("src-require-siprec") && l.includes("RFC 7866 §6.1.1"))).toBe(true);
  });
});
