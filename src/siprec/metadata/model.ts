/**
 * RFC 7865 recording metadata as plain data: the objects of §6 (group,
 * session, participant, stream) and their associations, in the order the
 * XSD (§9) puts them. Ids are the base64 text of 16-byte UUIDs (§6.10).
 * Times are RFC 3339 text (§6.9). Elements from other namespaces are kept
 * as generic XML trees so nothing an SRS or another SRC added is lost.
 */
import { type IdSource, uuidV4Bytes } from "../../lib/ids.ts";

export const RECORDING_NS = "urn:ietf:params:xml:ns:recording:1";
export const XML_NS = "http://www.w3.org/XML/1998/namespace";

/** An element of another namespace (RFC 7865 §6.11 extension data), kept verbatim. */
export interface XmlTree {
  readonly ns: string;
  readonly name: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: readonly (XmlTree | string)[];
}

export interface Times {
  readonly associateTime?: string;
  readonly disassociateTime?: string;
}

export interface Group extends Times {
  readonly id: string;
  readonly extensions: readonly XmlTree[];
}

/** RFC 7865 §6.3.1: the reason a CS ended, from the SIP Reason header (RFC 3326). */
export interface Reason {
  readonly cause: number;
  readonly protocol?: string;
  readonly text: string;
}

export interface Session {
  readonly id: string;
  readonly sipSessionIds: readonly string[];
  readonly reasons: readonly Reason[];
  readonly groupRef?: string;
  readonly startTime?: string;
  readonly stopTime?: string;
  readonly extensions: readonly XmlTree[];
}

export interface NameId {
  readonly aor: string;
  readonly name?: { readonly text: string; readonly lang?: string };
}

export interface Participant {
  readonly id: string;
  readonly nameIds: readonly NameId[];
  readonly extensions: readonly XmlTree[];
}

export interface Stream {
  readonly id: string;
  readonly sessionId?: string;
  readonly label?: string;
  readonly extensions: readonly XmlTree[];
}

export interface SessionRecordingAssoc extends Times {
  readonly sessionId: string;
  readonly extensions: readonly XmlTree[];
}

export interface ParticipantSessionAssoc extends Times {
  readonly participantId: string;
  readonly sessionId: string;
  readonly params: readonly { readonly name: string; readonly value: string }[];
  readonly extensions: readonly XmlTree[];
}

export interface ParticipantStreamAssoc extends Times {
  readonly participantId: string;
  /** Stream ids the participant contributes to (RFC 7865 §6.8.1). */
  readonly send: readonly string[];
  /** Stream ids the participant receives. */
  readonly recv: readonly string[];
  readonly extensions: readonly XmlTree[];
}

export interface RecordingMetadata {
  /** RFC 7865 §5.1.2: absent means complete. */
  readonly datamode?: "complete" | "partial";
  readonly groups: readonly Group[];
  readonly sessions: readonly Session[];
  readonly participants: readonly Participant[];
  readonly streams: readonly Stream[];
  readonly sessionRecordingAssocs: readonly SessionRecordingAssoc[];
  readonly participantSessionAssocs: readonly ParticipantSessionAssoc[];
  readonly participantStreamAssocs: readonly ParticipantStreamAssoc[];
  readonly extensions: readonly XmlTree[];
}

export function emptyMetadata(datamode: "complete" | "partial" = "complete"): RecordingMetadata {
  return {
    datamode,
    groups: [],
    sessions: [],
    participants: [],
    streams: [],
    sessionRecordingAssocs: [],
    participantSessionAssocs: [],
    participantStreamAssocs: [],
    extensions: [],
  };
}

/**
 * RFC 7865 §6.10: "the UUID SHOULD be generated using ... [RFC4122] section
 * 4.4 (random) ... encoded in base64". A random version-4 UUID: nothing in it
 * derives from an AoR or number (the MUST NOT on personal information).
 */
export function newMetadataId(ids: IdSource): string {
  let s = "";
  for (const x of uuidV4Bytes(ids)) s += String.fromCharCode(x);
  return btoa(s);
}

/** RFC 3339 UTC time with seconds, as the RFC 7865 examples write it. */
export function metadataTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, "Z");
}
