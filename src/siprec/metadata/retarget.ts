/**
 * A captured SIPREC session's metadata, re-targeted for a new recording
 * (`siprec replay` of a SIPREC capture): the same group, session,
 * participants, names, times, sipSessionIDs and extension data, under fresh
 * ids, with only the streams whose labels the new recording offers. Later
 * documents of the capture (complete snapshots, or partial updates applied
 * to the state so far) give later states under the same fresh ids, so the
 * new recording's own partial updates follow the captured call.
 *
 * RFC 7865 §6.10: ids are UUIDs that identify an object within a recording
 * session; a replay is a new recording session, so re-using the captured
 * ids would make an SRS that already holds the original merge the two.
 * RFC 7866 §8.1.1: "the SRC MUST include a label attribute ... [and] the
 * metadata MUST reference the label", so a stream element whose label is
 * not in our offer goes, with its references.
 * RFC 7865 §5.1.2: a partial update carries only what changed; objects are
 * matched by their ids.
 */
import type { IdSource } from "../../lib/ids.ts";
import { type RecordingMetadata, newMetadataId } from "./model.ts";

type Lists = Omit<RecordingMetadata, "datamode">;

const KEYS: { [K in keyof Lists]: (x: Lists[K][number]) => string } = {
  groups: (g) => g.id,
  sessions: (s) => s.id,
  participants: (p) => p.id,
  streams: (s) => s.id,
  sessionRecordingAssocs: (a) => a.sessionId,
  participantSessionAssocs: (a) => `${a.participantId} ${a.sessionId}`,
  participantStreamAssocs: (a) => a.participantId,
  extensions: (e) => `${e.ns} ${e.name}`,
};

function merge<T>(base: readonly T[], update: readonly T[], key: (x: T) => string): T[] {
  const out = new Map(base.map((x) => [key(x), x]));
  for (const x of update) out.set(key(x), x);
  return [...out.values()];
}

/** The complete state after a partial update (RFC 7865 §5.1.2), or the update itself when it is complete. */
export function applyUpdate(base: RecordingMetadata | undefined, update: RecordingMetadata): RecordingMetadata {
  if (base === undefined || update.datamode !== "partial") return { ...update, datamode: "complete" };
  const m = (k: keyof Lists) => merge(base[k] as never[], update[k] as never[], KEYS[k] as (x: never) => string);
  return {
    datamode: "complete",
    groups: m("groups"),
    sessions: m("sessions"),
    participants: m("participants"),
    streams: m("streams"),
    sessionRecordingAssocs: m("sessionRecordingAssocs"),
    participantSessionAssocs: m("participantSessionAssocs"),
    participantStreamAssocs: m("participantStreamAssocs"),
    extensions: m("extensions"),
  };
}

/** Fresh ids kept across the documents of one captured session. */
export class MetadataRetargeter {
  readonly #fresh = new Map<string, string>();

  constructor(
    private readonly labels: readonly string[],
    private readonly ids: IdSource,
  ) {}

  #id(old: string): string {
    let id = this.#fresh.get(old);
    if (id === undefined) {
      id = newMetadataId(this.ids);
      this.#fresh.set(old, id);
    }
    return id;
  }

  /** A complete captured state under the new recording's ids and labels. */
  retarget(m: RecordingMetadata): RecordingMetadata {
    const idOf = (old: string): string => this.#id(old);
    const streams = m.streams.filter((s) => s.label !== undefined && this.labels.includes(s.label));
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
}

/** One complete document re-targeted (a retargeter of its own). */
export function retargetMetadata(m: RecordingMetadata, labels: readonly string[], ids: IdSource): RecordingMetadata {
  return new MetadataRetargeter(labels, ids).retarget(m);
}
