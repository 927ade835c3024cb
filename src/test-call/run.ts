/**
 * One synthetic recording to an SRS, as an operator onboarding a recorder
 * runs it: place the recording INVITE, play a tone per stream, optionally
 * pause and resume, hang up, and judge the outcome with a checklist.
 */
import { ToneStreams } from "./tone-streams.ts";
import { type Check, judge } from "./checks.ts";
import type { Clock } from "../lib/clock.ts";
import type { IdSource } from "../lib/ids.ts";
import type { Logger } from "../lib/log.ts";
import { metadataTime, newMetadataId } from "../siprec/metadata/model.ts";
import type { CallView } from "../siprec/metadata/snapshot.ts";
import type { OfferCodec } from "../siprec/offer.ts";
import type { SrcNet } from "../siprec/session/net-port.ts";
import { openToolStack, toolSession } from "../siprec/session/tool-session.ts";
import type { SessionReport } from "../siprec/session/types.ts";
import type { ClientTls } from "../sip/transport.ts";
import type { SipStack } from "../sip/ua/stack-port.ts";

export type { Check } from "./checks.ts";

export interface TestCallOptions {
  readonly srsUri: string;
  readonly transport: "udp" | "tcp" | "tls";
  /** TLS toward the SRS: trust anchors, verification, client certificate. */
  readonly tls?: ClientTls;
  readonly streams: 1 | 2;
  readonly durationMs: number;
  readonly codecs: readonly OfferCodec[];
  /** SRTP toward the SRS: off, offer (RTP/AVP with keys: the SRS may take either) or require (RTP/SAVP). */
  readonly srtp: "off" | "offer" | "require";
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
  /** SIP stacks, RTP sockets and SRS location (platform/net.ts). */
  readonly net: SrcNet;
  /** A SIP stack shared by many calls (load mode); otherwise one is opened and closed here. */
  readonly stack?: SipStack;
  /** Called once the recording is established (load mode measures set-up time). */
  readonly onEstablished?: () => void;
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
  const parts =
    o.participants.length >= 2
      ? o.participants
      : [
          { name: "Caller", aor: "sip:caller@example.com" },
          { name: "Callee", aor: "sip:callee@example.com" },
        ];
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
    streams:
      o.streams === 2
        ? [
            { id: s1, label: "1", senders: [a], receivers: [b] },
            { id: s2, label: "2", senders: [b], receivers: [a] },
          ]
        : [{ id: s1, label: "1", senders: [a, b], receivers: [] }],
    recordingAssociateTime: t,
  };
}

export async function runTestCall(o: TestCallOptions): Promise<TestCallResult> {
  const stack = o.stack ?? (await openToolStack(o));
  const driver = new ToneStreams({
    clock: o.clock,
    ids: o.ids,
    sockets: o.net.sockets,
    ptimeMs: 20,
    rtcpMux: false,
    cname: `test-call@${o.localHost}`,
    ...(o.wav === undefined ? {} : { wav: o.wav }),
    ...(o.perStream === undefined ? {} : { perStream: o.perStream }),
  });
  const view = callView(o, o.ids, o.clock.wallNow());
  const session = toolSession({
    ...o,
    tool: "test-call",
    ua: stack.ua,
    media: driver.media,
    metadata: () => view,
    labels: o.streams === 2 ? ["1", "2"] : ["1"],
  });
  const checks: Check[] = [];
  try {
    const started = await session.start();
    checks.push({
      name: "SRS accepted the recording INVITE",
      ok: started.state === "recording",
      ...(started.reason === undefined ? {} : { detail: started.reason }),
    });
    if (started.state !== "recording") return { ok: false, report: started, checks, rtcpReceived: 0 };
    o.onEstablished?.();
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
    checks.push(
      ...judge({
        started,
        report,
        pausedOk,
        resumedOk,
        rtcpReceived: driver.media.rtcpReceived,
        rtcpLooped: driver.media.rtcpLooped,
        rtpBack: driver.media.rtpBack,
      }),
    );
    return { ok: checks.every((c) => c.ok !== false), report, checks, rtcpReceived: driver.media.rtcpReceived };
  } finally {
    if (o.stack === undefined) await stack.close();
  }
}
