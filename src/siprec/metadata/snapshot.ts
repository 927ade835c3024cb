/**
 * From what the SRC knows about a call to RFC 7865 documents.
 *
 * RFC 7866 §9.1: "a full metadata snapshot SHOULD be sent in the initial
 * INVITE"; later changes MAY go as partial updates, which "MUST only be
 * sent after a full snapshot" (§9.1 / RFC 7865 §5.1.2). A partial update
 * here carries every object that is new or changed since the previous
 * complete view: a participant that joined, a stream added, an association
 * that gained a disassociate-time (RFC 7865 §6.8.1: a participant that stops
 * sending or receiving is reported without that send/recv).
 */
import { RECORDING_NS, type RecordingMetadata, type XmlTree } from "./model.ts";

export interface CallParticipant {
  readonly id: string;
  readonly aor: string;
  readonly name?: string;
  readonly joinTime: string;
  readonly leaveTime?: string;
}

export interface CallStream {
  readonly id: string;
  readonly label: string;
  /** Participants whose audio this stream carries. */
  readonly senders: readonly string[];
  /** Participants who hear this stream. */
  readonly receivers: readonly string[];
}

export interface CallView {
  readonly groupId: string;
  readonly sessionId: string;
  readonly sipSessionIds: readonly string[];
  readonly startTime: string;
  readonly stopTime?: string;
  readonly reason?: { readonly cause: number; readonly protocol: string; readonly text: string };
  readonly participants: readonly CallParticipant[];
  readonly streams: readonly CallStream[];
  /** When the CS became part of this recording session. */
  readonly recordingAssociateTime: string;
  readonly recordingDisassociateTime?: string;
  readonly extensionData?: XmlTree;
}

export function buildSnapshot(c: CallView): RecordingMetadata {
  const opt = <K extends string, V>(k: K, v: V | undefined): { [P in K]?: V } => (v === undefined ? {} : ({ [k]: v } as { [P in K]?: V }));
  return {
    datamode: "complete",
    groups: [{ id: c.groupId, associateTime: c.recordingAssociateTime, extensions: [] }],
    sessions: [
      {
        id: c.sessionId,
        sipSessionIds: c.sipSessionIds,
        reasons: c.reason === undefined ? [] : [c.reason],
        groupRef: c.groupId,
        startTime: c.startTime,
        ...opt("stopTime", c.stopTime),
        extensions: c.extensionData === undefined ? [] : [c.extensionData],
      },
    ],
    participants: c.participants.map((p) => ({
      id: p.id,
      nameIds: [{ aor: p.aor, ...(p.name === undefined || p.name === "" ? {} : { name: { text: p.name } }) }],
      extensions: [],
    })),
    streams: c.streams.map((s) => ({ id: s.id, sessionId: c.sessionId, label: s.label, extensions: [] })),
    sessionRecordingAssocs: [
      { sessionId: c.sessionId, associateTime: c.recordingAssociateTime, ...opt("disassociateTime", c.recordingDisassociateTime), extensions: [] },
    ],
    participantSessionAssocs: c.participants.map((p) => ({
      participantId: p.id,
      sessionId: c.sessionId,
      associateTime: p.joinTime,
      ...opt("disassociateTime", p.leaveTime),
      params: [],
      extensions: [],
    })),
    participantStreamAssocs: c.participants.map((p) => ({
      participantId: p.id,
      // A participant who left neither sends nor receives any more (RFC 7865 §6.8.1).
      send: p.leaveTime === undefined ? c.streams.filter((s) => s.senders.includes(p.id)).map((s) => s.id) : [],
      recv: p.leaveTime === undefined ? c.streams.filter((s) => s.receivers.includes(p.id)).map((s) => s.id) : [],
      extensions: [],
    })),
    extensions: [],
  };
}

type Keyed<T> = (x: T) => string;

function changed<T>(prev: readonly T[], next: readonly T[], key: Keyed<T>): T[] {
  const before = new Map(prev.map((x) => [key(x), JSON.stringify(x)]));
  return next.filter((x) => before.get(key(x)) !== JSON.stringify(x));
}

/** The partial update that takes an SRS from `prev` to `next` (both complete views). */
export function diffMetadata(prev: RecordingMetadata, next: RecordingMetadata): RecordingMetadata {
  return {
    datamode: "partial",
    groups: changed(prev.groups, next.groups, (g) => g.id),
    sessions: changed(prev.sessions, next.sessions, (s) => s.id),
    participants: changed(prev.participants, next.participants, (p) => p.id),
    streams: changed(prev.streams, next.streams, (s) => s.id),
    sessionRecordingAssocs: changed(prev.sessionRecordingAssocs, next.sessionRecordingAssocs, (a) => a.sessionId),
    participantSessionAssocs: changed(prev.participantSessionAssocs, next.participantSessionAssocs, (a) => `${a.participantId} ${a.sessionId}`),
    participantStreamAssocs: changed(prev.participantStreamAssocs, next.participantStreamAssocs, (a) => a.participantId),
    extensions: changed(prev.extensions, next.extensions, (e) => `${e.ns} ${e.name}`),
  };
}

/** True when a partial update carries nothing (no need to signal). */
export function isEmptyUpdate(m: RecordingMetadata): boolean {
  return [m.groups, m.sessions, m.participants, m.streams, m.sessionRecordingAssocs, m.participantSessionAssocs, m.participantStreamAssocs, m.extensions].every(
    (l) => l.length === 0,
  );
}

export interface ExtensionMapping {
  readonly from: "header" | "variable";
  readonly name: string;
  readonly element: string;
}

/**
 * <extensiondata xmlns="<namespace>"> with one child per mapped value that
 * the call has (RFC 7865 §6.11 extension data), e.g. Session-ID (RFC 7989),
 * User-to-User, X-Genesys-*. Header names match case-insensitively.
 */
export function buildExtensionData(
  namespace: string,
  mapping: readonly ExtensionMapping[],
  headers: ReadonlyMap<string, string>,
  variables: ReadonlyMap<string, string>,
): XmlTree | undefined {
  if (namespace === RECORDING_NS) throw new Error("extension data needs its own namespace");
  const lowerHeaders = new Map([...headers].map(([k, v]) => [k.toLowerCase(), v]));
  const children: XmlTree[] = [];
  for (const m of mapping) {
    const value = m.from === "header" ? lowerHeaders.get(m.name.toLowerCase()) : variables.get(m.name);
    if (value !== undefined) children.push({ ns: namespace, name: m.element, attrs: {}, children: [value] });
  }
  return children.length === 0 ? undefined : { ns: namespace, name: "extensiondata", attrs: {}, children };
}
