/**
 * The body of a recording INVITE/UPDATE (RFC 7866 §9.1): "a SIP message
 * with both an SDP offer and metadata MUST use multipart/mixed", the
 * metadata part typed application/rs-metadata+xml (RFC 9806) with
 * Content-Disposition: recording-session. On input both metadata type names
 * are accepted, and a message may carry SDP only or metadata only.
 */
import { type IdSource, randomToken } from "../lib/ids.ts";
import { type Result, err, ok } from "../lib/result.ts";
import { parseMediaType } from "../sip/message/headers.ts";
import { buildMultipart, chooseBoundary, parseMultipart, partContentType, partDisposition } from "../sip/message/multipart.ts";

export const METADATA_TYPE = "application/rs-metadata+xml";
export const LEGACY_METADATA_TYPE = "application/rs-metadata";
export const SNAPSHOT_REQUEST_TYPE = "application/rs-metadata-request";

export interface RecordingBody {
  readonly contentType: string;
  /** Message-level Content-Disposition, for a metadata-only body. */
  readonly contentDisposition?: string;
  readonly body: Uint8Array;
}

export function buildRecordingBody(parts: { sdp?: string; metadata?: string }, ids: IdSource): RecordingBody {
  const enc = new TextEncoder();
  if (parts.sdp !== undefined && parts.metadata !== undefined) {
    const list = [
      { contentType: "application/sdp", body: enc.encode(parts.sdp) },
      { contentType: METADATA_TYPE, disposition: "recording-session", body: enc.encode(parts.metadata) },
    ];
    const boundary = chooseBoundary(list, () => `siprec-${randomToken(ids, 24)}`);
    return { contentType: `multipart/mixed;boundary=${boundary}`, body: buildMultipart(list, boundary) };
  }
  if (parts.sdp !== undefined) return { contentType: "application/sdp", body: enc.encode(parts.sdp) };
  if (parts.metadata !== undefined) return { contentType: METADATA_TYPE, contentDisposition: "recording-session", body: enc.encode(parts.metadata) };
  return { contentType: "application/sdp", body: new Uint8Array() };
}

export interface SplitBody {
  readonly sdp?: string;
  readonly metadata?: string;
  /** True when the metadata came typed application/rs-metadata (pre-RFC 9806). */
  readonly legacyType: boolean;
}

export type SplitBodyError = { readonly code: "BODY_BAD_TYPE" | "BODY_BAD_MULTIPART" | "BODY_DUPLICATE_PART"; readonly message: string };

const isMetadata = (type: string | undefined) => type === METADATA_TYPE || type === LEGACY_METADATA_TYPE;

/** SDP and metadata of a received message, whatever way they were packed. */
export function splitRecordingBody(contentType: string | undefined, body: Uint8Array): Result<SplitBody, SplitBodyError> {
  const dec = new TextDecoder();
  if (body.length === 0) return ok({ legacyType: false });
  const ct = parseMediaType(contentType ?? "");
  if (ct === undefined) return err({ code: "BODY_BAD_TYPE", message: `unusable Content-Type ${JSON.stringify(contentType ?? "")}` });
  if (ct.type === "application/sdp") return ok({ sdp: dec.decode(body), legacyType: false });
  if (isMetadata(ct.type)) return ok({ metadata: dec.decode(body), legacyType: ct.type === LEGACY_METADATA_TYPE });
  if (ct.type !== "multipart/mixed") return err({ code: "BODY_BAD_TYPE", message: `unexpected body type ${ct.type}` });
  const mp = parseMultipart(body, ct.params["boundary"] ?? "");
  if (!mp.ok) return err({ code: "BODY_BAD_MULTIPART", message: mp.error.message });
  if (!mp.value.closed) return err({ code: "BODY_BAD_MULTIPART", message: "the multipart body has no closing delimiter" });
  const sdps = mp.value.parts.filter((p) => partContentType(p)?.type === "application/sdp");
  const metas = mp.value.parts.filter((p) => isMetadata(partContentType(p)?.type) && (partDisposition(p) ?? "recording-session") === "recording-session");
  if (sdps.length > 1 || metas.length > 1)
    return err({ code: "BODY_DUPLICATE_PART", message: `${sdps.length} SDP and ${metas.length} metadata parts; at most one of each` });
  const sdp = sdps[0];
  const meta = metas[0];
  return ok({
    ...(sdp === undefined ? {} : { sdp: dec.decode(sdp.body) }),
    ...(meta === undefined ? {} : { metadata: dec.decode(meta.body) }),
    legacyType: meta !== undefined && partContentType(meta)?.type === LEGACY_METADATA_TYPE,
  });
}
