/**
 * One synthetic recording to an SRS, as an operator onboarding a recorder
 * runs it: place the recording INVITE, play a tone per stream, optionally
 * pause and resume, hang up, and judge the outcome with a checklist.
 */
import { ToneMediaDriver } from "./tone-driver.ts";
import { type AppStack, openAppStack } from "../sip-stack.ts";
import type { Clock } from "../../lib/clock.ts";
import type { IdSource } from "../../lib/ids.ts";
import type { Logger } from "../../lib/log.ts";
import { metadataTime, newMetadataId } from "../../siprec/metadata/model.ts";
import type { CallView } from "../../siprec/metadata/snapshot.ts";
import type { OfferCodec } from "../../siprec/offer.ts";
import { RecordingSession } from "../../siprec/session/recording-session.ts";
import type { SessionReport } from "../../siprec/session/types.ts";
import { locate } from "../../sip/ua/locate.ts";
import { systemResolver } from "../../sip/dns-resolver.ts";

export interface TestCallOptions {
  readonly srsUri: string;
  readonly transport: "udp" | "tcp" | "tls";
  /** TLS toward the SRS: trust anchors, verification, client certificate. */
  readonly tls?: { readonly ca?: string; readonly verify?: boolean; readonly cert?: string; readonly key?: string; readonly serverName?: string };
  readonly streams: 1 | 2;
  readonly durationMs: number;
  readonly codecs: readonly OfferCodec[];
  readonly srtp: boolean;
  /** SDES suites offered, in order (default AES_CM_128_HMAC_SHA1_80). */
  readonly srtpSuites?: readonly string[];
  readonly wav?: Int16Array;
  /** Audio per stream (a captured call's directions), instead of tones or one WAV. */
  readonly perStream?: readonly Int16Array[];
  readonly pauseAtMs?: number;
  readonly resumeAtMs?: number;
  /** In-dialog INVITE deadline before CANCEL (default 8 s). */
  readonly inviteDeadlineMs?: number;
  readonly participants: readonly { readonly name: string; readonly aor: string }[];
  readonly localHost: string;
  readonly credentials?: { readonly username: string; readonly password: string };
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly logger?: Logger;
  /** A SIP stack shared by many calls (load mode); otherwise one is opened and closed here. */
  readonly stack?: AppStack;
  /** Called once the recording is established (load mode measures set-up time). */
  readonly onEstablished?: () => void;
}

export interface Check {
  readonly name: string;
  /** undefined: informational (not applicable or not required). */
  readonly ok: boolean | undefined;
  readonly detail?: string;
}

export interface TestCallResult {
  readonly ok: boolean;
  readonly report: SessionReport;
  readonly checks: readonly Check[];
  readonly rtcpReceived: number;
}

const sleep = (clock: Clock, ms: number) => new Promise<void>((r) => clock.setTimer(Math.max(0, ms), r));

function callView(o: TestCallOptions, ids: IdSource, startMs: number): CallView {
  const [a, b] = [newMetadataId(ids), newMetadataId(ids)];
  const t = metadataTime(startMs);
  const parts = o.participants.length >= 2 ? o.participants : [{ name: "Caller", aor: "sip:caller@example.com" }, { name: "Callee", aor: "sip:callee@example.com" }];
  const s1 = newMetadataId(ids);
  const s2 = newMetadataId(ids);
  return {
    groupId: newMetadataId(ids),
    sessionId: newMetadataId(ids),
    sipSessionIds: [],
    startTime: t,
    participants: [
      { id: a, aor: parts[0]?.aor ?? "", name: parts[0]?.name ?? "", joinTime: t },
      { id: b, aor: parts[1]?.aor ?? "", name: parts[1]?.name ?? "", joinTime: t },
    ],
    streams: o.streams === 2 ? [{ id: s1, label: "1", senders: [a], receivers: [b] }, { id: s2, label: "2", senders: [b], receivers: [a] }] : [{ id: s1, label: "1", senders: [a, b], receivers: [] }],
    recordingAssociateTime: t,
  };
}

export async function runTestCall(o: TestCallOptions): Promise<TestCallResult> {
  const stack = o.stack ?? (await openAppStack({ host: o.localHost, protocols: [o.transport], clock: o.clock, ids: o.ids, ...(o.inviteDeadlineMs === undefined ? {} : { inviteDeadlineMs: o.inviteDeadlineMs }), ...(o.tls === undefined ? {} : { tls: o.tls }), ...(o.logger === undefined ? {} : { logger: o.logger }) }));
  const driver = new ToneMediaDriver({ clock: o.clock, ids: o.ids, host: o.localHost, ptimeMs: 20, rtcpMux: false, cname: `test-call@${o.localHost}`, ...(o.wav === undefined ? {} : { wav: o.wav }), ...(o.perStream === undefined ? {} : { perStream: o.perStream }) });
  const view = callView(o, o.ids, o.clock.wallNow());
  const session = new RecordingSession({
    ua: stack.ua,
    clock: o.clock,
    ids: o.ids,
    ...(o.logger === undefined ? {} : { logger: o.logger }),
    config: { codecs: o.codecs, ptime: 20, telephoneEvent: true, rtcpMux: false, srtp: o.srtp ? "require" : "off", srtpSuites: o.srtpSuites ?? ["AES_CM_128_HMAC_SHA1_80"], transport: o.transport, failoverOn: [408, 420, 480, 488, "5xx", "6xx"], setupTimeoutMs: 10_000, inviteTimeoutMs: 8_000, fromUri: `sip:test-call@${o.localHost}`, localAddress: o.localHost },
    servers: [{ name: "srs", uri: o.srsUri, peers: async () => { const r = await locate(o.srsUri, o.transport, systemResolver); return r.ok ? r.value : []; }, ...(o.credentials === undefined ? {} : { credentials: o.credentials }) }],
    media: driver,
    metadata: () => view,
    labels: o.streams === 2 ? ["1", "2"] : ["1"],
    group: "test-call",
  });
  const checks: Check[] = [];
  try {
    const started = await session.start();
    checks.push({ name: "SRS accepted the recording INVITE", ok: started.state === "recording", ...(started.reason === undefined ? {} : { detail: started.reason }) });
    if (started.state !== "recording") return { ok: false, report: started, checks, rtcpReceived: 0 };
    o.onEstablished?.();
    // RFC 7866 Figure 7: an SRS may answer inactive ("not ready") and ask for the media later; judged at the end.
    const initial = started.streams.map((s) => `${s.label}:${s.status}`).join(" ");
    const t0 = o.clock.now();
    let pausedOk: boolean | undefined;
    let resumedOk: boolean | undefined;
    if (o.pauseAtMs !== undefined && o.pauseAtMs < o.durationMs) {
      await sleep(o.clock, o.pauseAtMs - (o.clock.now() - t0));
      pausedOk = await session.pause();
      if (o.resumeAtMs !== undefined && o.resumeAtMs < o.durationMs) {
        await sleep(o.clock, o.resumeAtMs - (o.clock.now() - t0));
        resumedOk = await session.resume();
      }
    }
    await sleep(o.clock, o.durationMs - (o.clock.now() - t0));
    if (session.state === "recording" || session.state === "paused") await session.stop();
    const report = session.report();
    if (pausedOk !== undefined) checks.push({ name: "pause re-INVITE accepted", ok: pausedOk });
    if (resumedOk !== undefined) checks.push({ name: "resume re-INVITE accepted", ok: resumedOk });
    const notAccepted = report.streams.filter((s) => s.status !== "accepted" && s.status !== "rejected");
    const everRejected = started.streams.filter((s) => s.status === "rejected" || s.status === "unusable");
    checks.push({ name: "SRS answered every label recvonly", ok: notAccepted.length === 0 && everRejected.length === 0, detail: `at the start ${initial}; at the end ${report.streams.map((s) => `${s.label}:${s.status}`).join(" ")}` });
    const silent = report.figures.filter((f) => f.packets === 0);
    checks.push({ name: "audio sent on every stream", ok: report.figures.length > 0 && silent.length === 0, detail: report.figures.map((f) => `label ${f.label}: ${f.packets} packets`).join(", ") });
    checks.push({ name: "recording ended by our BYE (200)", ok: report.endedBy === "local" && report.ladder.some((e) => e.what === "200 to BYE"), ...(report.endedBy === "local" ? {} : { detail: report.reason ?? "" }) });
    // Only reports with a block about our SSRCs count: our own SRs reflected back are a media loop, not feedback.
    checks.push({ name: "RTCP receiver reports from the SRS", ok: driver.rtcpReceived > 0 ? true : undefined, detail: `${driver.rtcpReceived} received` });
    if (driver.rtcpLooped > 0 || driver.rtpBack > 0) {
      checks.push({ name: "no media sent back to our sendonly streams", ok: undefined, detail: `warning: the SRS sent ${driver.rtpBack} RTP and reflected ${driver.rtcpLooped} of our own RTCP packets back (a media loop at the SRS)` });
    }
    return { ok: checks.every((c) => c.ok !== false), report, checks, rtcpReceived: driver.rtcpReceived };
  } finally {
    if (o.stack === undefined) {
      await new Promise((r) => setTimeout(r, 60));
      stack.close();
    }
  }
}

export interface LoadResult {
  readonly calls: number;
  readonly passed: number;
  readonly failed: number;
  readonly seconds: number;
  readonly setupsPerSecond: number;
  readonly firstFailure?: string;
}

/** `--count N --concurrency C`: N test calls, C at a time, over one shared SIP stack. */
export async function runLoad(o: TestCallOptions, count: number, concurrency: number, progress?: (done: number) => void): Promise<LoadResult> {
  const stack = await openAppStack({ host: o.localHost, protocols: [o.transport], clock: o.clock, ids: o.ids, ...(o.tls === undefined ? {} : { tls: o.tls }), ...(o.logger === undefined ? {} : { logger: o.logger }) });
  let next = 0;
  let passed = 0;
  let failed = 0;
  let firstFailure: string | undefined;
  const t0 = o.clock.now();
  const worker = async () => {
    while (next < count) {
      next++;
      const r = await runTestCall({ ...o, stack });
      if (r.ok) passed++;
      else {
        failed++;
        firstFailure ??= r.checks.find((c) => c.ok === false)?.detail ?? r.checks.find((c) => c.ok === false)?.name ?? r.report.reason ?? "failed";
      }
      progress?.(passed + failed);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, worker));
  const seconds = (o.clock.now() - t0) / 1000;
  stack.close();
  return { calls: count, passed, failed, seconds, setupsPerSecond: count / Math.max(seconds, 0.001), ...(firstFailure === undefined ? {} : { firstFailure }) };
}
