/**
 * `siprec validate` core: decide what an input is (SDP, RFC 7865 XML, a bare
 * multipart body, a SIP message) and run the matching rules. Pure but for
 * the libxml2 instance it is handed; never throws on input.
 */
import { checkMultipart, checkSipMessage } from "./check-message.ts";
import { checkMetadata } from "./check-metadata.ts";
import { checkSdp } from "./check-sdp.ts";
import { checkCapture } from "./check-capture.ts";
import { type Finding, FindingSink } from "./rules.ts";
import type { Libxml } from "../siprec/metadata/libxml.ts";
import { isValidBoundary } from "../sip/message/multipart.ts";

export type InputKind = "sdp" | "metadata" | "multipart" | "sip" | "capture" | "unknown";

const PCAP_MAGIC = [0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1, 0x0a0d0d0a];

export function detectKind(bytes: Uint8Array): InputKind {
  if (bytes.length >= 4) {
    const magic = (((bytes[0] as number) << 24) | ((bytes[1] as number) << 16) | ((bytes[2] as number) << 8) | (bytes[3] as number)) >>> 0;
    if (PCAP_MAGIC.includes(magic)) return "capture";
  }
  const head = new TextDecoder().decode(bytes.subarray(0, 256)).replace(/^\uFEFF/, "");
  const start = head.trimStart();
  if (start.startsWith("<")) return "metadata";
  if (/^v=0\r?\n/.test(start)) return "sdp";
  if (/^--[^\r\n]+\r?\n/.test(head)) return "multipart";
  if (/^(SIP\/2\.0 \d{3}[^\r\n]*|[A-Za-z]+ [a-zA-Z][a-zA-Z0-9+.-]*:\S+ SIP\/2\.0)\r?\n/.test(head)) return "sip";
  return "unknown";
}

function firstInvalidUtf8(bytes: Uint8Array): number | undefined {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return undefined;
  } catch {
    let lo = 0;
    let hi = bytes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      try {
        new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(0, mid + 1), { stream: true });
        lo = mid + 1;
      } catch {
        hi = mid;
      }
    }
    return lo;
  }
}

/** Every finding for one input, in line order (findings without a line first). */
export function validateBytes(lib: Libxml, file: string, bytes: Uint8Array): Finding[] {
  return collect(lib, file, bytes).sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}

function collect(lib: Libxml, file: string, bytes: Uint8Array): Finding[] {
  const sink = new FindingSink(file);
  const kind = detectKind(bytes);
  if (kind === "capture") {
    checkCapture(lib, bytes, sink);
    return sink.findings;
  }
  const bad = firstInvalidUtf8(bytes);
  if (bad !== undefined) {
    sink.add("input-not-utf8", `invalid UTF-8 at byte ${bad}`);
    return sink.findings;
  }
  const text = new TextDecoder().decode(bytes).replace(/^\uFEFF/, "");
  switch (kind) {
    case "sdp":
      checkSdp(text, "src", sink);
      break;
    case "metadata":
      checkMetadata(lib, text, { initial: false }, sink);
      break;
    case "multipart": {
      const boundary = (/^--([^\r\n]+?)[ \t]*\r?\n/.exec(text)?.[1] ?? "").trim();
      if (!isValidBoundary(boundary)) sink.add("body-parse", `the first line "--${boundary.slice(0, 40)}" is not a valid multipart delimiter`, { line: 1 });
      else checkMultipart({ lib, bytes, base: 0, author: "src", initial: false, sink }, bytes, boundary);
      break;
    }
    case "sip":
      checkSipMessage(lib, bytes, sink);
      break;
    case "unknown":
      sink.add("input-unrecognized", "not SDP (v=0), XML (<), a multipart body (--boundary) or a SIP message (start line)", { line: 1 });
      break;
  }
  return sink.findings;
}
