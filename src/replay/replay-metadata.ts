/**
 * The metadata of a replayed call.
 * - A plain call: built from its SIP: the caller from P-Asserted-Identity
 *   (else From), the callee from To, the Call-ID as sipSessionID, the
 *   Session-ID header (RFC 7989) as extension data; stream 1 is the
 *   caller's audio and 2 the callee's.
 * - A SIPREC session in the capture: its own documents over time, each
 *   partial update applied to the state before it, re-targeted to the new
 *   recording (retarget.ts).
 */
import type { IdSource } from "../lib/ids.ts";
import type { CapturedCall } from "../pcap/calls.ts";
import type { Libxml } from "../siprec/metadata/libxml.ts";
import { type RecordingMetadata, metadataTime, newMetadataId } from "../siprec/metadata/model.ts";
import { parseMetadataXml } from "../siprec/metadata/parse.ts";
import { MetadataRetargeter, applyUpdate } from "../siprec/metadata/retarget.ts";
import { type CallView, buildExtensionData } from "../siprec/metadata/snapshot.ts";
import { parseNameAddr } from "../sip/message/name-addr.ts";

/** Where the Session-ID of a replayed call goes (the daemon's default extension namespace). */
export const REPLAY_EXTENSION_NS = "urn:x-siprec:extension:1";

function partyOf(value: string | undefined): { name: string; aor: string } {
  const n = parseNameAddr((value ?? "").trim());
  return n.ok ? { name: n.value.displayName ?? "", aor: n.value.uri } : { name: "", aor: "sip:unknown@invalid" };
}

export function callViewOf(call: CapturedCall, ids: IdSource, labels: readonly string[]): CallView {
  const t = metadataTime(call.startUs / 1000);
  const caller = partyOf(call.assertedIdentity ?? call.from);
  const callee = partyOf(call.to);
  const [a, b] = [newMetadataId(ids), newMetadataId(ids)];
  const headers = new Map(call.sessionId === undefined ? [] : [["Session-ID", call.sessionId]]);
  const ext = buildExtensionData(REPLAY_EXTENSION_NS, [{ from: "header", name: "Session-ID", element: "sessionId" }], headers, new Map());
  return {
    groupId: newMetadataId(ids),
    sessionId: newMetadataId(ids),
    sipSessionIds: [call.callId],
    startTime: t,
    participants: [
      { id: a, aor: caller.aor, name: caller.name, joinTime: t },
      { id: b, aor: callee.aor, name: callee.name, joinTime: t },
    ],
    streams: labels.map((label) => ({ id: newMetadataId(ids), label, senders: [label === "1" ? a : b], receivers: [label === "1" ? b : a] })),
    recordingAssociateTime: t,
    ...(ext === undefined ? {} : { extensionData: ext }),
  };
}

/** A SIPREC capture's metadata over time, re-targeted: the state at the start and each later state with its capture time. */
export interface MetadataTimeline {
  readonly initial: RecordingMetadata;
  readonly later: readonly { readonly timeUs: number; readonly state: RecordingMetadata }[];
}

export function capturedTimeline(
  call: CapturedCall,
  lib: Libxml | undefined,
  labels: readonly string[],
  ids: IdSource,
  warnings: string[],
): MetadataTimeline | undefined {
  if (!call.siprec || lib === undefined) return undefined;
  const retargeter = new MetadataRetargeter(labels, ids);
  let state: RecordingMetadata | undefined;
  let initial: RecordingMetadata | undefined;
  const later: { timeUs: number; state: RecordingMetadata }[] = [];
  for (const doc of call.metadata) {
    const m = parseMetadataXml(lib, doc.xml);
    if (!m.ok) {
      warnings.push(`captured metadata does not read (${m.error.message}): skipped`);
      continue;
    }
    if (state === undefined && m.value.datamode === "partial") {
      warnings.push("a captured partial update came before any complete metadata: skipped");
      continue;
    }
    state = applyUpdate(state, m.value);
    const next = retargeter.retarget(state);
    if (initial === undefined) initial = next;
    else later.push({ timeUs: doc.timeUs, state: next });
  }
  if (initial === undefined) {
    warnings.push("the SIPREC capture has no complete metadata: built from its SIP instead");
    return undefined;
  }
  return { initial, later };
}
