import { expect, test } from "bun:test";
import { MetadataRetargeter, applyUpdate } from "./retarget.ts";
import { buildSnapshot, diffMetadata } from "./snapshot.ts";
import type { CallView } from "./snapshot.ts";
import { FixedIds } from "../../../test/support/fixed-ids.ts";

const t = "2026-01-01T00:00:00Z";
const view = (carol: boolean): CallView => ({
  groupId: "Zw==",
  sessionId: "cw==",
  sipSessionIds: ["cs@x"],
  startTime: t,
  recordingAssociateTime: t,
  participants: [
    { id: "YQ==", aor: "sip:a@x", joinTime: t },
    { id: "Yg==", aor: "sip:b@x", joinTime: t, ...(carol ? { leaveTime: t } : {}) },
    ...(carol ? [{ id: "Yw==", aor: "sip:c@x", joinTime: t }] : []),
  ],
  streams: [
    { id: "czE=", label: "1", senders: ["YQ=="], receivers: [carol ? "Yw==" : "Yg=="] },
    { id: "czI=", label: "2", senders: [carol ? "Yw==" : "Yg=="], receivers: ["YQ=="] },
    { id: "czM=", label: "video", senders: ["YQ=="], receivers: [] },
  ],
});

test("a partial update applied to the state before it gives the next complete state", () => {
  const before = buildSnapshot(view(false));
  const after = buildSnapshot(view(true));
  const merged = applyUpdate(before, diffMetadata(before, after));
  const byId = <T>(l: readonly T[], k: (x: T) => string) => [...l].sort((x, y) => (k(x) < k(y) ? -1 : 1));
  expect(byId(merged.participants, (p) => p.id)).toEqual(byId(after.participants, (p) => p.id));
  expect(byId(merged.participantSessionAssocs, (a) => a.participantId)).toEqual(byId(after.participantSessionAssocs, (a) => a.participantId));
  expect(merged.datamode).toBe("complete");
  expect(applyUpdate(undefined, after)).toEqual(after);
});

test("re-targeted: fresh ids, the same ones for the same object in every later state; streams not offered go with their references", () => {
  const r = new MetadataRetargeter(["1", "2"], new FixedIds(9));
  const first = r.retarget(buildSnapshot(view(false)));
  const second = r.retarget(buildSnapshot(view(true)));
  expect(first.streams.map((s) => s.label)).toEqual(["1", "2"]);
  const oldIds = ["Zw==", "cw==", "YQ==", "Yg==", "czE=", "czI=", "czM="];
  const text = JSON.stringify(first);
  for (const id of oldIds) expect(text).not.toContain(`"${id}"`);
  expect(second.sessions[0]!.id).toBe(first.sessions[0]!.id);
  expect(second.streams.map((s) => s.id)).toEqual(first.streams.map((s) => s.id));
  expect(second.participants.slice(0, 2).map((p) => p.id)).toEqual(first.participants.map((p) => p.id));
  const alice = first.participantStreamAssocs.find((a) => a.participantId === first.participants[0]!.id)!;
  expect(alice.send).toEqual([first.streams[0]!.id]); // the "video" stream it also sent is gone
  expect(first.sessions[0]!.sipSessionIds).toEqual(["cs@x"]);
  // The re-targeted state diffs cleanly: only what changed in the captured call.
  const partial = diffMetadata(first, second);
  expect(partial.participants.map((p) => p.nameIds[0]!.aor)).toEqual(["sip:c@x"]);
});
