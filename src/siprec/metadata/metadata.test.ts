import { beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildMetadataXml, xmlSafe } from "./build.ts";
import { type Libxml, loadLibxml } from "./libxml.ts";
import { RECORDING_NS, emptyMetadata, metadataTime, newMetadataId, type RecordingMetadata } from "./model.ts";
import { parseMetadataXml, parseSnapshotRequest } from "./parse.ts";
import { validateMetadataXsd, XML_XSD_URL } from "./xsd.ts";
import recordingXsd from "./rfc7865-recording.xsd" with { type: "text" };
import xmlXsd from "./xml.xsd" with { type: "text" };
import { FixedIds } from "../../../test/support/fixed-ids.ts";
import { randomMetadata } from "../../../test/support/random-metadata.ts";
import { listReference, readReference, stripXmlProvenance } from "../../../test/support/vectors.ts";
import { textMutations } from "../../../test/support/mutate.ts";

let lib: Libxml;
beforeAll(async () => {
  lib = await loadLibxml();
});

const POSITIVE = [...listReference("examples", ".xml"), ...listReference("examples/constructed", ".xml").filter((f) => f.includes("/pos-"))];
const NEGATIVE: Record<string, string> = {
  "neg-element-order.xml": "Element '{urn:ietf:params:xml:ns:recording:1}session': This element is not expected.",
  "neg-non-base64-id.xml": "'sess-1' is not a valid value of the atomic type 'xs:base64Binary'",
  "neg-participant-without-nameID.xml": "Missing child element(s). Expected is ( {urn:ietf:params:xml:ns:recording:1}nameID )",
  "neg-reason-without-cause.xml": "The attribute 'cause' is required but missing",
  "neg-recv-before-send.xml": "Element '{urn:ietf:params:xml:ns:recording:1}send': This element is not expected.",
  "neg-wrong-namespace.xml": "No matching global declaration available for the validation root",
};

function parsed(text: string): RecordingMetadata {
  const r = parseMetadataXml(lib, text);
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

describe("XSD validation (embedded libxml2)", () => {
  test("the schema is RFC 7865's published text plus one provenance line", () => {
    const published = recordingXsd
      .split("\n")
      .filter((_, i) => i !== 1)
      .join("\n");
    const digest = new Bun.CryptoHasher("sha256").update(published).digest("hex");
    expect(digest).toBe("4d45a27a965428007c7fdb63abee377da1e5b9e035b2e9c0b595a20d2a06b465");
  });

  for (const f of POSITIVE) {
    test(`valid: ${f}`, () => {
      expect(validateMetadataXsd(lib, readReference(f))).toEqual([]);
    });
  }

  for (const [f, message] of Object.entries(NEGATIVE)) {
    test(`invalid: ${f}`, () => {
      const issues = validateMetadataXsd(lib, readReference(`examples/constructed/${f}`));
      expect(issues.length).toBeGreaterThan(0);
      expect(issues[0]?.kind).toBe("schema");
      expect(issues[0]?.message).toContain(message);
      expect(issues[0]?.line).toBeGreaterThan(0);
    });
  }

  test("the xml.xsd import is live (a bad xml:lang fails), and served locally", () => {
    const doc = (lang: string) =>
      `<?xml version="1.0" encoding="UTF-8"?><recording xmlns="${RECORDING_NS}"><participant participant_id="AAAAAAAAAAAAAAAAAAAAAA=="><nameID aor="sip:a@b"><name xml:lang="${lang}">A</name></nameID></participant></recording>`;
    expect(validateMetadataXsd(lib, doc("de-CH"))).toEqual([]);
    expect(validateMetadataXsd(lib, doc("not a language!"))[0]?.message).toContain("lang");
    expect(XML_XSD_URL).toBe("https://www.w3.org/2001/xml.xsd");
  });
});

describe("xmllint (Debian libxml2-utils) agrees with the embedded validator", () => {
  const dir = mkdtempSync(join(tmpdir(), "siprec-xsd-"));
  writeFileSync(join(dir, "xml.xsd"), xmlXsd);
  writeFileSync(join(dir, "recording.xsd"), recordingXsd.replace(XML_XSD_URL, "xml.xsd"));
  const xmllint = (file: string) =>
    Bun.spawnSync(["xmllint", "--noout", "--nonet", "--schema", join(dir, "recording.xsd"), file], { stdout: "pipe", stderr: "pipe" });
  const corpus = [...POSITIVE, ...Object.keys(NEGATIVE).map((f) => `examples/constructed/${f}`)];
  test("same verdict on every reference document", () => {
    const disagreements: string[] = [];
    for (const f of corpus) {
      const path = join(dir, f.replaceAll("/", "_"));
      writeFileSync(path, readReference(f));
      const theirs = xmllint(path).exitCode === 0;
      const ours = validateMetadataXsd(lib, readReference(f)).length === 0;
      if (theirs !== ours) disagreements.push(`${f}: xmllint ${theirs}, siprec ${ours}`);
    }
    expect(disagreements).toEqual([]);
    expect(corpus.length).toBe(POSITIVE.length + 6);
  });

  test("same verdict on 30 random generated documents", () => {
    for (let seed = 1; seed <= 30; seed++) {
      const path = join(dir, `gen-${seed}.xml`);
      writeFileSync(path, buildMetadataXml(randomMetadata(seed)));
      expect(xmllint(path).exitCode).toBe(0);
    }
  });
});

describe("reading metadata", () => {
  test("RFC 7865 example 1: objects, associations, extensions", () => {
    const m = parsed(readReference("examples/rfc7865-metadata-example-1.xml"));
    expect(m.datamode).toBe("complete");
    expect(m.groups[0]?.id).toBe("7+OTCyoxTmqmqyA/1weDAg==");
    expect(m.groups[0]?.extensions.map((e) => [e.ns, e.name])).toEqual([
      ["urn:ietf:params:xml:ns:callcenter", "call-center"],
      ["http://example.com/my", "mydata"],
    ]);
    expect(m.participants.map((p) => p.nameIds[0])).toEqual([
      { aor: "sip:bob@biloxi.com", name: { text: "Bob", lang: "it" } },
      { aor: "sip:Paul@biloxi.com", name: { text: "Paul", lang: "it" } },
    ]);
    expect(m.streams.map((s) => s.label)).toEqual(["96", "97", "98", "99"]);
    expect(m.participantStreamAssocs[0]).toMatchObject({
      send: ["i1Pz3to5hGk8fuXl+PbwCw==", "UAAMm5GRQKSCMVvLyl4rFw=="],
      recv: ["8zc6e0lYTlWIINA6GR+3ag==", "EiXGlc+4TruqqoDaNE76ag=="],
    });
    expect(m.sessions[0]?.sipSessionIds[0]).toContain("remote=47755a9de7794ba387653f2099600ef2");
  });

  test("every reference document reads, and rebuilding it gives the same model", () => {
    for (const f of POSITIVE.filter((x) => !x.includes("requestsnapshot"))) {
      const m = parsed(readReference(f));
      const rebuilt = buildMetadataXml(m);
      expect(validateMetadataXsd(lib, rebuilt)).toEqual([]);
      expect(parsed(rebuilt)).toEqual(m);
    }
  });

  test("wrong root and wrong namespace", () => {
    expect(parseMetadataXml(lib, readReference("examples/rfc7865-requestsnapshot-example.xml"))).toMatchObject({
      ok: false,
      error: { code: "XML_WRONG_ROOT" },
    });
    expect(parseMetadataXml(lib, readReference("examples/constructed/neg-wrong-namespace.xml"))).toMatchObject({
      ok: false,
      error: { code: "XML_WRONG_NAMESPACE", line: 3 },
    });
  });
});

describe("writing metadata", () => {
  test("ids are base64 of version-4 UUIDs", () => {
    const id = newMetadataId(new FixedIds(3));
    expect(id).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    const b = Uint8Array.from(atob(id), (c) => c.charCodeAt(0));
    expect(b[6]! >> 4).toBe(4);
    expect(b[8]! >> 6).toBe(2);
  });

  test("times are RFC 3339 UTC", () => {
    expect(metadataTime(Date.UTC(2010, 11, 16, 23, 41, 7, 250))).toBe("2010-12-16T23:41:07Z");
  });

  test("an empty complete snapshot is valid and starts with the XML declaration", () => {
    const xml = buildMetadataXml(emptyMetadata());
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
    expect(validateMetadataXsd(lib, xml)).toEqual([]);
  });

  test("characters XML cannot carry become U+FFFD; the rest is escaped", () => {
    expect(xmlSafe("a\u0001b\uFFFFc\uD800d\te")).toBe("a\uFFFDb\uFFFDc\uFFFDd\te");
    const m: RecordingMetadata = {
      ...emptyMetadata(),
      participants: [{ id: newMetadataId(new FixedIds()), nameIds: [{ aor: "sip:x@y", name: { text: "A\u0007 <&> \"'" } }], extensions: [] }],
    };
    const xml = buildMetadataXml(m);
    expect(validateMetadataXsd(lib, xml)).toEqual([]);
    expect(parsed(xml).participants[0]?.nameIds[0]?.name?.text).toBe("A\uFFFD <&> \"'");
  });

  test("text that looks like an entity reference stays text", () => {
    for (const text of ["&amp;", "&foo;", "&#65;", "a & b", "&&;"]) {
      const m: RecordingMetadata = {
        ...emptyMetadata(),
        participants: [{ id: "AAAAAAAAAAAAAAAAAAAAAA==", nameIds: [{ aor: `sip:x@y;p=${text}`, name: { text } }], extensions: [] }],
      };
      const back = parsed(buildMetadataXml(m)).participants[0]?.nameIds[0];
      expect(back).toEqual({ aor: `sip:x@y;p=${text}`, name: { text } });
    }
  });

  test("property: 300 random models serialize schema-valid and read back identical", () => {
    for (let seed = 1; seed <= 300; seed++) {
      const m = randomMetadata(seed);
      const xml = buildMetadataXml(m, { pretty: seed % 2 === 0 });
      const issues = validateMetadataXsd(lib, xml);
      if (issues.length > 0) throw new Error(`seed ${seed}: ${issues[0]?.message}`);
      expect(parsed(xml)).toEqual(m);
    }
  });
});

describe("hostile XML", () => {
  const head = '<?xml version="1.0" encoding="UTF-8"?>';
  test("billion laughs and external entities are refused before parsing", () => {
    const laughs = `${head}\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>\n<recording xmlns="${RECORDING_NS}">&lol2;</recording>`;
    expect(parseMetadataXml(lib, laughs)).toMatchObject({ ok: false, error: { code: "XML_DTD_FORBIDDEN", line: 2, column: 1 } });
    const xxe = `${head}<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><recording xmlns="${RECORDING_NS}">&x;</recording>`;
    expect(validateMetadataXsd(lib, xxe)[0]?.kind).toBe("XML_DTD_FORBIDDEN");
  });

  test("the DTD ban holds whatever the encoding: UTF-16 without BOM, a NUL, a non-UTF-8 declaration are refused; a comment or CDATA mentioning <!DOCTYPE is not a DTD", () => {
    const laughs = `<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">]>\n<recording xmlns="${RECORDING_NS}"><datamode>complete</datamode>&lol;</recording>`;
    // UTF-16LE without a BOM, as a UTF-8 reader sees it: every other character a NUL.
    const utf16 = new TextDecoder().decode(new Uint8Array([...laughs].flatMap((c) => [c.charCodeAt(0), 0])));
    expect(parseMetadataXml(lib, utf16)).toMatchObject({
      ok: false,
      error: { code: "XML_NOT_WELL_FORMED", message: expect.stringContaining("NUL characters") },
    });
    expect(
      parseMetadataXml(lib, `<?xml version="1.0" encoding="UTF-16"?><recording xmlns="${RECORDING_NS}"><datamode>complete</datamode></recording>`),
    ).toMatchObject({ ok: false, error: { code: "XML_NOT_WELL_FORMED" } });
    const commented = `<?xml version="1.0" encoding="UTF-8"?>\n<!-- no <!DOCTYPE here -->\n<recording xmlns="${RECORDING_NS}"><datamode>complete</datamode><extensiondata xmlns="urn:x"><![CDATA[<!ENTITY x>]]></extensiondata></recording>`;
    expect(parseMetadataXml(lib, commented).ok).toBe(true);
  });

  test("a processing instruction inside an element neither crashes the reader nor hides what follows it", () => {
    const pi = `<?xml version="1.0" encoding="UTF-8"?>\n<recording xmlns="${RECORDING_NS}"><datamode>complete</datamode><participant participant_id="srfBElmCRp2QB23b7Mpk0w=="><?pi x?><nameID aor="sip:alice@example.com"/></participant></recording>`;
    const r = parseMetadataXml(lib, pi);
    expect(r.ok && r.value.participants[0]?.nameIds[0]?.aor).toBe("sip:alice@example.com");
  });

  test("100k nested elements: a clear error, no crash", () => {
    const deep = `${head}<recording xmlns="${RECORDING_NS}">${"<a>".repeat(100_000)}${"</a>".repeat(100_000)}</recording>`;
    const r = parseMetadataXml(lib, deep);
    expect(r.ok ? "ok" : r.error.code).toBe("XML_NOT_WELL_FORMED");
  });

  test("truncated documents point at the end", () => {
    const full = readReference("examples/rfc7865-metadata-example-1.xml");
    const r = parseMetadataXml(lib, full.slice(0, 400));
    expect(r.ok ? "ok" : r.error.code).toBe("XML_NOT_WELL_FORMED");
    if (!r.ok) expect(r.error.line).toBeGreaterThan(0);
  });

  test("oversized documents are refused without parsing", () => {
    expect(parseMetadataXml(lib, " ".repeat(5 * 1024 * 1024))).toMatchObject({ ok: false, error: { code: "XML_TOO_LARGE" } });
  });

  test("seeded mutations of a real document never throw", () => {
    const base = stripXmlProvenance(readReference("examples/rfc8068-3.2.1-00-basic-call-complete.xml"));
    for (const text of textMutations(base, 99, 300)) {
      expect(() => parseMetadataXml(lib, text)).not.toThrow();
      expect(() => validateMetadataXsd(lib, text)).not.toThrow();
    }
  });
});

describe("extension trees", () => {
  test("attributes (xml:lang included), nested elements and text survive a round trip", () => {
    const m: RecordingMetadata = {
      ...emptyMetadata(),
      extensions: [
        {
          ns: "http://example.com/my",
          name: "mydata",
          attrs: { kind: "a&b", "xml:lang": "en" },
          children: [{ ns: "http://example.com/my", name: "x", attrs: {}, children: ["1 < 2 &amp;"] }],
        },
      ],
    };
    const xml = buildMetadataXml(m);
    expect(validateMetadataXsd(lib, xml)).toEqual([]);
    expect(parsed(xml)).toEqual(m);
  });
});

describe("snapshot requests (RFC 7866 §9.2)", () => {
  test("the RFC 7865 example reads with its reason", () => {
    const r = parseSnapshotRequest(lib, readReference("examples/rfc7865-requestsnapshot-example.xml"));
    expect(r).toEqual({ ok: true, value: { reason: "SRS internal error" } });
    expect(parseSnapshotRequest(lib, readReference("examples/rfc7865-metadata-example-1.xml"))).toMatchObject({ ok: false, error: { code: "XML_WRONG_ROOT" } });
  });
});
