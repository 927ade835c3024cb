/** Seeded random RFC 7865 models for property tests: 0-20 participants, 1-8 streams, hostile text. */
import { newMetadataId, type RecordingMetadata } from "../../src/siprec/metadata/model.ts";
import { FixedIds } from "./fixed-ids.ts";

export class Rng {
  constructor(private seed: number) {}
  next(): number {
    this.seed = (this.seed * 1103515245 + 12345) & 0x7fffffff;
    return this.seed / 0x80000000;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)] as T;
  }
}

const PIECES = ["Bob", "Алиса", "李雷", "O'Brien", 'say "hi"', "a<b>&c", "tab\there", "émoji 😀", " spaced ", "x]]>y", "&amp;", "🎧🎧"];

function hostile(r: Rng): string {
  let s = "";
  for (let i = 0; i < 1 + r.int(3); i++) s += r.pick(PIECES);
  return s;
}

const time = (r: Rng) =>
  `2026-${String(1 + r.int(12)).padStart(2, "0")}-${String(1 + r.int(28)).padStart(2, "0")}T${String(r.int(24)).padStart(2, "0")}:${String(r.int(60)).padStart(2, "0")}:00Z`;

export function randomMetadata(seed: number): RecordingMetadata {
  const r = new Rng(seed);
  const ids = new FixedIds(seed);
  const sessionId = newMetadataId(ids);
  const groupId = newMetadataId(ids);
  const nStreams = 1 + r.int(8);
  const streams = Array.from({ length: nStreams }, (_, i) => ({ id: newMetadataId(ids), sessionId, label: String(i + 1), extensions: [] }));
  const participants = Array.from({ length: r.int(21) }, () => ({
    id: newMetadataId(ids),
    nameIds: Array.from({ length: 1 + r.int(2) }, () => ({
      aor: `sip:${encodeURIComponent(hostile(r))}@example.com`,
      ...(r.int(3) === 0 ? {} : { name: { text: hostile(r), ...(r.int(2) === 0 ? { lang: r.pick(["en", "it", "de-CH"]) } : {}) } }),
    })),
    extensions: [],
  }));
  return {
    datamode: r.int(2) === 0 ? "complete" : "partial",
    groups: [{ id: groupId, associateTime: time(r), extensions: [] }],
    sessions: [
      {
        id: sessionId,
        sipSessionIds: [`${"ab30317f1a784dc48ff824d0d3715d86".slice(0, 8 + r.int(24))};remote=47755a9de7794ba387653f2099600ef2`],
        reasons: r.int(3) === 0 ? [{ cause: 200, protocol: "SIP", text: hostile(r) }] : [],
        groupRef: groupId,
        startTime: time(r),
        ...(r.int(2) === 0 ? { stopTime: time(r) } : {}),
        extensions: [
          {
            ns: "urn:x-siprec:extension:1",
            name: "extensiondata",
            attrs: {},
            children: [{ ns: "urn:x-siprec:extension:1", name: "session-id", attrs: {}, children: [hostile(r)] }],
          },
        ],
      },
    ],
    participants,
    streams,
    sessionRecordingAssocs: [{ sessionId, associateTime: time(r), extensions: [] }],
    participantSessionAssocs: participants.map((p) => ({
      participantId: p.id,
      sessionId,
      associateTime: time(r),
      ...(r.int(4) === 0 ? { disassociateTime: time(r) } : {}),
      params: [],
      extensions: [],
    })),
    participantStreamAssocs: participants.map((p) => ({
      participantId: p.id,
      send: streams.filter(() => r.int(3) === 0).map((s) => s.id),
      recv: streams.filter(() => r.int(2) === 0).map((s) => s.id),
      extensions: [],
    })),
    extensions: [],
  };
}
