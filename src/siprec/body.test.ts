import { expect, test } from "bun:test";
import { buildRecordingBody, splitRecordingBody } from "./body.ts";
import { FixedIds } from "../../test/support/fixed-ids.ts";
import { readReference, sipFromFigure } from "../../test/support/vectors.ts";
import { header } from "../sip/message/headers.ts";
import { parseMessage } from "../sip/message/parse.ts";

const SDP = "v=0\r\no=siprec 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n";
const XML = '<?xml version="1.0" encoding="UTF-8"?>\n<recording xmlns="urn:ietf:params:xml:ns:recording:1"/>';

test("SDP + metadata: multipart/mixed with a random boundary, metadata disposition recording-session", () => {
  const b = buildRecordingBody({ sdp: SDP, metadata: XML }, new FixedIds(3));
  expect(b.contentType).toMatch(/^multipart\/mixed;boundary=siprec-[a-z0-9]{24}$/);
  const text = new TextDecoder().decode(b.body);
  expect(text).toContain("Content-Type: application/rs-metadata+xml\r\nContent-Disposition: recording-session\r\n\r\n<?xml");
  expect(splitRecordingBody(b.contentType, b.body)).toEqual({ ok: true, value: { sdp: SDP, metadata: XML, legacyType: false } });
});

test("the boundary differs per id source and never occurs in a part", () => {
  const a = buildRecordingBody({ sdp: SDP, metadata: XML }, new FixedIds(1)).contentType;
  const b = buildRecordingBody({ sdp: SDP, metadata: XML }, new FixedIds(2)).contentType;
  expect(a).not.toBe(b);
});

test("single bodies: SDP only, metadata only (with message-level disposition)", () => {
  expect(buildRecordingBody({ sdp: SDP }, new FixedIds()).contentType).toBe("application/sdp");
  const m = buildRecordingBody({ metadata: XML }, new FixedIds());
  expect([m.contentType, m.contentDisposition]).toEqual(["application/rs-metadata+xml", "recording-session"]);
  expect(splitRecordingBody(m.contentType, m.body)).toEqual({ ok: true, value: { metadata: XML, legacyType: false } });
});

test("RFC 7866 Figure 13 UPDATE: legacy application/rs-metadata accepted and flagged", () => {
  const msg = parseMessage(sipFromFigure(readReference("examples/rfc7866-update-requestsnapshot-example.txt")));
  if (!msg.ok) throw new Error(msg.error.message);
  const r = splitRecordingBody(header(msg.value, "content-type"), msg.value.body);
  expect(r.ok && r.value.legacyType).toBe(true);
  expect(r.ok && r.value.metadata).toContain("<requestsnapshot");
});

test("refusals: unclosed multipart, two SDP parts, unknown type", () => {
  const good = buildRecordingBody({ sdp: SDP, metadata: XML }, new FixedIds(3));
  const text = new TextDecoder().decode(good.body);
  const unclosed = new TextEncoder().encode(text.slice(0, text.lastIndexOf("--siprec")));
  expect(splitRecordingBody(good.contentType, unclosed)).toMatchObject({ ok: false, error: { code: "BODY_BAD_MULTIPART" } });
  const boundary = good.contentType.split("=")[1];
  const twice = new TextEncoder().encode(
    `--${boundary}\r\nContent-Type: application/sdp\r\n\r\nx\r\n--${boundary}\r\nContent-Type: application/sdp\r\n\r\ny\r\n--${boundary}--\r\n`,
  );
  expect(splitRecordingBody(good.contentType, twice)).toMatchObject({ ok: false, error: { code: "BODY_DUPLICATE_PART" } });
  expect(splitRecordingBody("text/plain", new Uint8Array([1]))).toMatchObject({ ok: false, error: { code: "BODY_BAD_TYPE" } });
});
