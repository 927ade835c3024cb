/**
 * A whole SIP message (or a bare multipart body) carrying SIPREC bodies:
 * RFC 7866 header rules for the SRC (Require, Contact feature tag, Allow),
 * the body structure (RFC 7866 §9.1, RFC 2046), and labels that tie the
 * metadata's streams to the SDP's m-lines (RFC 7866 §9.1, B9).
 */
import { checkMetadata } from "./check-metadata.ts";
import { type SdpAuthor, checkSdp } from "./check-sdp.ts";
import type { FindingSink } from "./rules.ts";
import type { Libxml } from "../siprec/metadata/libxml.ts";
import type { RecordingMetadata } from "../siprec/metadata/model.ts";
import type { Sdp } from "../sdp/types.ts";
import { header, headerList, parseMediaType } from "../sip/message/headers.ts";
import { type BodyPart, parseMultipart, partContentType, partDisposition } from "../sip/message/multipart.ts";
import { parseMessage } from "../sip/message/parse.ts";
import type { SipMessage } from "../sip/message/types.ts";

const METADATA_TYPES = new Set(["application/rs-metadata+xml", "application/rs-metadata"]);

export function lineAtOffset(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < bytes.length; i++) if (bytes[i] === 0x0a) line++;
  return line;
}

/** 1-based line of the first header field with this (lower-case) name. */
function headerLine(bytes: Uint8Array, name: string): number | undefined {
  const lines = new TextDecoder().decode(bytes).split("\n");
  const i = lines.findIndex((l) => l.toLowerCase().startsWith(`${name}:`));
  return i < 0 ? undefined : i + 1;
}

export interface BodyContext {
  readonly lib: Libxml;
  readonly bytes: Uint8Array;
  /** Byte offset of the body within `bytes`. */
  readonly base: number;
  readonly author: SdpAuthor;
  readonly initial: boolean;
  readonly sink: FindingSink;
}

export function checkSipMessage(lib: Libxml, bytes: Uint8Array, sink: FindingSink): void {
  const headEnd = new TextDecoder().decode(bytes.subarray(0, 4096)).search(/\r?\n\r?\n/);
  if (headEnd > 0 && !new TextDecoder().decode(bytes.subarray(0, headEnd)).includes("\r\n"))
    sink.add("sip-crlf", "lines end in LF only; SIP needs CRLF (RFC 3261 §7)", { line: 1 });
  const r = parseMessage(bytes, { framing: "datagram" });
  if (!r.ok) {
    sink.add("sip-parse", `${r.error.message} (${r.error.code})`, { line: lineAtOffset(bytes, r.error.offset) });
    return;
  }
  const msg = r.value;
  const isInitialInvite = msg.kind === "request" && msg.method === "INVITE" && !/;\s*tag=/i.test(header(msg, "to") ?? "");
  const author: SdpAuthor = msg.kind === "response" || /;\s*\+sip\.srs\b/.test(header(msg, "contact") ?? "") ? "srs" : "src";
  if (msg.kind === "request" && author === "src") checkSrcHeaders(msg, bytes, isInitialInvite, sink);
  checkBody({ lib, bytes, base: msg.bodyOffset, author, initial: isInitialInvite, sink }, msg);
  checkKeysInClear(msg, bytes, sink);
}

/**
 * RFC 4568 §8.3: "IT IS REQUIRED that encryption of the encapsulating
 * payload be used whenever a master key parameter (inline) appears in the
 * message." A message with an inline key whose top Via is UDP or TCP went
 * in clear (hop by hop, which is all a recorder's signalling has).
 */
function checkKeysInClear(msg: SipMessage, bytes: Uint8Array, sink: FindingSink): void {
  const body = text(msg.body);
  const key = /^a=crypto:\S+\s+\S+\s+inline:/im.exec(body);
  if (key === null) return;
  const transport = /^SIP\/2\.0\/([A-Z]+)/i.exec(header(msg, "via") ?? "")?.[1]?.toUpperCase();
  if (transport === undefined || transport === "TLS" || transport === "WSS") return;
  sink.add(
    "sdes-over-plain",
    `an SDES master key (a=crypto inline) travels over ${transport}, in clear: anyone on the path can decrypt the recording (use TLS, or srtp_over_plain = "refuse")`,
    { line: lineAtOffset(bytes, msg.bodyOffset + key.index) },
  );
}

function checkSrcHeaders(msg: SipMessage & { kind: "request" }, bytes: Uint8Array, initial: boolean, sink: FindingSink): void {
  if (initial && !headerList(msg, "require").some((t) => t.toLowerCase() === "siprec")) {
    // RFC 7866 §6.1.1: "the SRC MUST include the 'siprec' option tag in the Require header".
    sink.add("src-require-siprec", "the INVITE starting a recording session has no Require: siprec", { line: headerLine(bytes, "require") ?? 1 });
  }
  if (msg.method === "INVITE" || msg.method === "UPDATE") {
    const contact = header(msg, "contact");
    const at = { line: headerLine(bytes, "contact") ?? headerLine(bytes, "m") ?? 1 };
    // RFC 7866 §6.1.1: "The SRC MUST include the '+sip.src' feature tag in the Contact URI".
    if (contact === undefined) sink.add("src-contact-feature", `the ${msg.method} has no Contact (it must carry ;+sip.src)`, at);
    else if (!/>\s*(;[^;]*)*;\s*\+sip\.src\b/i.test(contact) && !/^[^<]*;\s*\+sip\.src\b/i.test(contact)) {
      const inside = /<[^>]*;\s*\+sip\.src[^>]*>/i.test(contact);
      sink.add(
        "src-contact-feature",
        inside ? "+sip.src is inside the <URI>; it is a Contact header parameter and goes after the '>'" : "the Contact has no ;+sip.src feature tag",
        at,
      );
    }
  }
  if (initial && !headerList(msg, "allow").some((m) => m.toUpperCase() === "UPDATE")) {
    sink.add("src-allow-update", "Allow does not list UPDATE, so the SRS cannot request a metadata snapshot", { line: headerLine(bytes, "allow") ?? 1 });
  }
}

function checkBody(ctx: BodyContext, msg: SipMessage): void {
  if (msg.body.length === 0) {
    if (ctx.initial) ctx.sink.add("body-no-metadata", "the initial INVITE has no body: no SDP offer and no metadata", { line: 1 });
    return;
  }
  const ct = parseMediaType(header(msg, "content-type") ?? "");
  const disposition = header(msg, "content-disposition")?.split(";")[0]?.trim().toLowerCase();
  if (ct?.type === "multipart/mixed") {
    checkMultipart(ctx, msg.body, ct.params["boundary"] ?? "");
  } else if (ct?.type === "application/sdp") {
    checkSdp(text(msg.body), ctx.author, ctx.sink.at(lineAtOffset(ctx.bytes, ctx.base)));
    if (ctx.initial)
      ctx.sink.add("body-no-metadata", "the initial INVITE carries SDP but no metadata snapshot", { line: headerLine(ctx.bytes, "content-type") });
  } else if (ct !== undefined && METADATA_TYPES.has(ct.type)) {
    metadataPart(
      ctx,
      {
        headers: [
          { name: "Content-Type", value: header(msg, "content-type") ?? "" },
          ...(disposition === undefined ? [] : [{ name: "Content-Disposition", value: disposition }]),
        ],
        body: msg.body,
        offset: 0,
      },
      undefined,
    );
  } else {
    ctx.sink.add("body-multipart", `the body is ${ct?.type ?? "untyped"}; a SIPREC body is SDP, metadata, or multipart/mixed with both`, {
      line: headerLine(ctx.bytes, "content-type"),
    });
  }
}

function text(b: Uint8Array): string {
  return new TextDecoder().decode(b);
}

export function checkMultipart(ctx: BodyContext, body: Uint8Array, boundary: string): void {
  const mp = parseMultipart(body, boundary);
  if (!mp.ok) {
    ctx.sink.add("body-parse", `${mp.error.message} (${mp.error.code})`, { line: lineAtOffset(ctx.bytes, ctx.base + (mp.error.offset ?? 0)) });
    return;
  }
  if (!mp.value.closed)
    ctx.sink.add("body-parse", `the multipart body does not end with its closing delimiter "--${boundary}--"`, {
      line: lineAtOffset(ctx.bytes, ctx.bytes.length),
    });
  const sdps = mp.value.parts.filter((p) => partContentType(p)?.type === "application/sdp");
  const metas = mp.value.parts.filter((p) => METADATA_TYPES.has(partContentType(p)?.type ?? ""));
  if (sdps.length > 1) ctx.sink.add("body-multipart", `the body has ${sdps.length} SDP parts; one is expected`, {});
  if (metas.length > 1) ctx.sink.add("body-multipart", `the body has ${metas.length} metadata parts; one is expected`, {});
  if (metas.length === 0 && ctx.initial) ctx.sink.add("body-no-metadata", "the multipart body has no metadata part", {});
  const sdpPart = sdps[0];
  const sdp = sdpPart === undefined ? undefined : checkSdp(text(sdpPart.body), ctx.author, ctx.sink.at(lineAtOffset(ctx.bytes, ctx.base + sdpPart.offset)));
  const metaPart = metas[0];
  if (metaPart !== undefined) metadataPart(ctx, metaPart, sdpPart === undefined ? undefined : (sdp ?? null));
}

/** `sdp`: the same message's SDP (null when it did not parse, undefined when there is none). */
function metadataPart(ctx: BodyContext, part: BodyPart, sdp: Sdp | null | undefined): void {
  const line = lineAtOffset(ctx.bytes, ctx.base + part.offset);
  const type = partContentType(part)?.type;
  if (type === "application/rs-metadata")
    ctx.sink.add("metadata-media-type", "application/rs-metadata is the pre-RFC 9806 name; use application/rs-metadata+xml", { line: Math.max(1, line - 2) });
  // RFC 7866 §9: metadata is carried with the disposition type "recording-session".
  if (partDisposition(part) !== "recording-session")
    ctx.sink.add("metadata-disposition", "the metadata has no Content-Disposition: recording-session", { line: Math.max(1, line - 1) });
  const m = checkMetadata(ctx.lib, text(part.body), { initial: ctx.initial }, ctx.sink.at(line));
  if (m !== undefined && sdp !== null) checkLabels(m, sdp, ctx.sink, line);
}

function checkLabels(m: RecordingMetadata, sdp: Sdp | undefined, sink: FindingSink, line: number): void {
  const metaLabels = m.streams.flatMap((s) => (s.label === undefined ? [] : [s.label.trim()]));
  if (sdp === undefined) {
    // RFC 7866 §9.1: labels in metadata refer to an SDP in the same request.
    if (metaLabels.length > 0)
      sink.add("metadata-label-match", `the metadata names labels ${metaLabels.join(", ")} but the message has no SDP that defines them`, { line });
    return;
  }
  const sdpLabels = new Set(sdp.media.filter((x) => x.port !== 0 && x.label !== undefined).map((x) => x.label as string));
  for (const l of metaLabels) if (!sdpLabels.has(l)) sink.add("metadata-label-match", `metadata stream label ${l} has no a=label:${l} in the SDP`, { line });
  if (m.datamode !== "partial") {
    const inMeta = new Set(metaLabels);
    for (const l of sdpLabels)
      if (!inMeta.has(l)) sink.add("metadata-label-match", `SDP label ${l} has no <stream> with <label>${l}</label> in the complete snapshot`, { line });
  }
}
