/**
 * One captured call as a SIPREC recording: the metadata from its SIP (From,
 * To, P-Asserted-Identity for the caller when present, Call-ID as
 * sipSessionID), stream 1 the caller's audio and stream 2 the callee's,
 * played with the capture's timing through ReplayMediaDriver.
 */
import { ReplayMediaDriver } from "./replay-driver.ts";
import { type AppStack, openAppStack } from "../sip-stack.ts";
import type { Clock } from "../../lib/clock.ts";
import type { IdSource } from "../../lib/ids.ts";
import type { CapturedCall, RtpFlow } from "../../pcap/calls.ts";
import { metadataTime, newMetadataId } from "../../siprec/metadata/model.ts";
import type { CallView } from "../../siprec/metadata/snapshot.ts";
import { RecordingSession } from "../../siprec/session/recording-session.ts";
import type { SessionReport } from "../../siprec/session/types.ts";
import { parseNameAddr } from "../../sip/message/name-addr.ts";
import { systemResolver } from "../../sip/dns-resolver.ts";
import { locate } from "../../sip/ua/locate.ts";

export interface ReplayOptions {
  readonly srsUri: string;
  readonly transport: "udp" | "tcp" | "tls";
  readonly credentials?: { readonly username: string; readonly password: string };
  readonly speed: number;
  readonly maxDurationMs?: number;
  readonly localHost: string;
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly stack?: AppStack;
}

export interface ReplayResult {
  readonly callId: string;
  readonly ok: boolean;
  readonly packetsReplayed: number;
  readonly report: SessionReport;
}

function partyOf(value: string | undefined): { name: string; aor: string } {
  const n = parseNameAddr((value ?? "").trim());
  return n.ok ? { name: n.value.displayName ?? "", aor: n.value.uri } : { name: "", aor: "sip:unknown@invalid" };
}

export function callViewOf(call: CapturedCall, ids: IdSource, labels: readonly string[]): CallView {
  const t = metadataTime(call.startUs / 1000);
  const caller = partyOf(call.assertedIdentity ?? call.from);
  const callee = partyOf(call.to);
  const [a, b] = [newMetadataId(ids), newMetadataId(ids)];
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
  };
}

export async function replayCall(call: CapturedCall, o: ReplayOptions): Promise<ReplayResult> {
  const flows = new Map<string, RtpFlow>();
  const caller = call.flows.find((f) => f.speaker === "caller" && f.kept.length > 0);
  const callee = call.flows.find((f) => f.speaker === "callee" && f.kept.length > 0);
  if (caller !== undefined) flows.set("1", caller);
  if (callee !== undefined) flows.set("2", callee);
  const labels = [...flows.keys()];
  const stack = o.stack ?? (await openAppStack({ host: o.localHost, protocols: [o.transport], clock: o.clock, ids: o.ids }));
  const driver = new ReplayMediaDriver({ clock: o.clock, ids: o.ids, host: o.localHost, speed: o.speed, flows, ...(o.maxDurationMs === undefined ? {} : { maxDurationMs: o.maxDurationMs }) });
  const view = callViewOf(call, o.ids, labels);
  const codecs = [...new Set(call.flows.map((f) => f.codec).filter((c): c is "PCMU" | "PCMA" => c === "PCMU" || c === "PCMA"))];
  const session = new RecordingSession({
    ua: stack.ua,
    clock: o.clock,
    ids: o.ids,
    config: { codecs: codecs.length > 0 ? codecs : ["PCMU"], ptime: 20, telephoneEvent: true, rtcpMux: false, srtp: "off", srtpSuites: ["AES_CM_128_HMAC_SHA1_80"], transport: o.transport, failoverOn: [408, 420, 480, 488, "5xx", "6xx"], setupTimeoutMs: 10_000, inviteTimeoutMs: 8_000, fromUri: `sip:replay@${o.localHost}`, localAddress: o.localHost },
    servers: [{ name: "srs", uri: o.srsUri, peers: async () => { const r = await locate(o.srsUri, o.transport, systemResolver); return r.ok ? r.value : []; }, ...(o.credentials === undefined ? {} : { credentials: o.credentials }) }],
    media: driver,
    metadata: () => view,
    labels,
    group: "replay",
  });
  try {
    const started = await session.start();
    if (started.state !== "recording") return { callId: call.callId, ok: false, packetsReplayed: 0, report: started };
    await driver.finished;
    const report = session.state === "recording" || session.state === "paused" ? await session.stop() : session.report();
    return { callId: call.callId, ok: report.endedBy === "local", packetsReplayed: driver.sent, report };
  } finally {
    if (o.stack === undefined) {
      await new Promise((r) => setTimeout(r, 60));
      stack.close();
    }
  }
}
