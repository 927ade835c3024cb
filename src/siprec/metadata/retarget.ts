/**
 * A captured SIPREC session's metadata, re-targeted for a new recording
 * (`siprec replay` of a SIPREC capture): the same group, session,
 * participants, names, times, sipSessionIDs and extension data, under fresh
 * ids, with only the streams whose labels the new recording offers.
 *
 * RFC 7865 §6.10: ids are UUIDs that identify an object within a recording
 * session; a replay is a new recording session, so re-using the captured
 * ids would make an SRS that already holds the original merge the two.
 * RFC 7866 §8.1.1: "the SRC MUST include a label attribute ... [and] the
 * metadata MUST reference the label", so a stream element whose label is
 * not in our offer goes, with its references.
 */
import type { IdSource } from "../../lib/ids.ts";
import { type RecordingMetadata, newMetadataId } from "./model.ts";

export function retargetMetadata(m: RecordingMetadata, labels: readonly string[], ids: IdSource): RecordingMetadata {
  const fresh = new Map<string, string>();
  const idOf = (old: string): string => {
    let id = fresh.get(old);
    if (id === undefined) {
      id = newMetadataId(ids);
      fresh.set(old, id);
    }
    return id;
  };
  const streams = m.streams.filter((s) => s.label !== undefined && labels.includes(s.label));
  const kept = new Set(streams.map((s) => s.id));
  const opt = (k: "sessionId" | "groupRef", v: string | undefined): Record<string, string> => (v === undefined ? {} : { [k]: idOf(v) });
  return {
    datamode: "complete",
    groups: m.groups.map((g) => ({ ...g, id: idOf(g.id) })),
    sessions: m.sessions.map((s) => ({ ...s, id: idOf(s.id), ...opt("groupRef", s.groupRef) })),
    participants: m.participants.map((p) => ({ ...p, id: idOf(p.id) })),
    streams: streams.map((s) => ({ ...s, id: idOf(s.id), ...opt("sessionId", s.sessionId) })),
    sessionRecordingAssocs: m.sessionRecordingAssocs.map((a) => ({ ...a, sessionId: idOf(a.sessionId) })),
    participantSessionAssocs: m.participantSessionAssocs.map((a) => ({ ...a, participantId: idOf(a.participantId), sessionId: idOf(a.sessionId) })),
    participantStreamAssocs: m.participantStreamAssocs.map((a) => ({
      ...a,
      participantId: idOf(a.participantId),
      send: a.send.filter((s) => kept.has(s)).map(idOf),
      recv: a.recv.filter((s) => kept.has(s)).map(idOf),
    })),
    extensions: m.extensions,
  };
}
