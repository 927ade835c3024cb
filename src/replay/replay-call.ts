/**
 * One captured call as a SIPREC recording, played with the capture's timing
 * through ReplayStreams:
 * - a plain call: metadata from its SIP (replay-metadata.ts), stream 1 the
 *   caller's audio and stream 2 the callee's; the flows of one speaker (a
 *   re-INVITE that moved the media) are one stream;
 * - a SIPREC session in the capture: its streams under their own labels and
 *   its own metadata re-targeted, later captured documents sent as partial
 *   updates at the same point of the call's timeline.
 * Streams in codecs an SRS offer cannot carry (not G.711/G.722) are left out
 * with a warning; a call with no replayable audio fails before any SIP.
 */
import { ReplayStreams, type ReplayStream } from "./replay-streams.ts";
import { callViewOf, capturedTimeline } from "./replay-metadata.ts";
import { decryptFlow } from "../pcap/captured-srtp.ts";
import type { Clock } from "../lib/clock.ts";
import type { IdSource } from "../lib/ids.ts";
import type { Logger } from "../lib/log.ts";
import type { CapturedCall, RtpFlow } from "../pcap/calls.ts";
import type { RecordingMetadata } from "../siprec/metadata/model.ts";
import type { Libxml } from "../siprec/metadata/libxml.ts";
import type { OfferCodec } from "../siprec/offer.ts";
import type { ClientTls } from "../sip/transport.ts";
import type { SipStack } from "../sip/ua/stack-port.ts";
import type { SrcNet } from "../siprec/session/net-port.ts";
import { openToolStack, toolSession } from "../siprec/session/tool-session.ts";
import type { SessionReport } from "../siprec/session/types.ts";

export interface ReplayOptions {
  readonly srsUri: string;
  readonly transport: "udp" | "tcp" | "tls";
  readonly tls?: ClientTls;
  readonly srtp: "off" | "offer" | "require";
  /** SDES suites offered, in order. */
  readonly srtpSuites?: readonly string[];
  /** libxml2, to read a SIPREC capture's own metadata. */
  readonly lib?: Libxml;
  readonly onProgress?: (doneUs: number, totalUs: number) => void;
  /** Resolves when the operator interrupts: the replay ends at once with a BYE, as if the call had ended. */
  readonly interrupted?: Promise<unknown>;
  readonly credentials?: { readonly username: string; readonly password: string };
  readonly speed: number;
  readonly maxDurationMs?: number;
  readonly localHost: string;
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly logger?: Logger;
  /** SIP stacks, RTP sockets and SRS location (platform/net.ts). */
  readonly net: SrcNet;
  /** One SIP stack for many calls; otherwise one is opened and closed here. */
  readonly stack?: SipStack;
}

export interface ReplayResult {
  readonly callId: string;
  readonly ok: boolean;
  readonly packetsReplayed: number;
  /** Why nothing was sent (no replayable audio), when the SRS was never asked. */
  readonly refused?: string;
  readonly warnings: readonly string[];
  readonly report?: SessionReport;
}

/**
 * Between the last packet and the BYE, so the SRS reads its RTP sockets
 * before it sees the BYE on another connection: bursts (--max-speed, fast
 * speeds) leave hundreds of packets in buffers; at the captured pace a
 * couple at most, and a longer wait would show as silence at the end.
 */
const drainMs = (speed: number): number => (speed === 0 || speed > 2 ? 250 : 40);

const OFFERABLE = new Set<string>(["PCMU", "PCMA", "G722"]);

/** The flows of one stream, merged in capture order (the first flow's codec and event type). */
function merged(flows: readonly RtpFlow[]): ReplayStream {
  const first = flows[0] as RtpFlow;
  const kept = flows.length === 1 ? first.kept : flows.flatMap((f) => f.kept).sort((a, b) => a.timeUs - b.timeUs);
  return { codec: first.codec, clockRate: first.clockRate, telephoneEventPt: first.telephoneEventPt, kept };
}

/** Streams by label: SIPREC captures keep their labels; calls get 1 = caller, 2 = callee. */
export function streamsOf(call: CapturedCall, warnings: string[]): Map<string, ReplayStream> {
  const groups = new Map<string, RtpFlow[]>();
  for (const captured of call.flows) {
    if (captured.kept.length === 0) continue;
    const name = `the ${captured.label === undefined ? captured.speaker : `label ${captured.label}`} flow to ${captured.to}`;
    let f = captured;
    if (captured.encrypted) {
      const d = decryptFlow(captured);
      if (!d.ok) {
        warnings.push(`${name} is ${d.reason}: left out`);
        continue;
      }
      if (d.failed > 0) warnings.push(`${name}: ${d.failed} of ${captured.kept.length} SRTP packets failed authentication with the captured key: left out`);
      if (d.kept.length === 0) continue;
      f = { ...captured, kept: d.kept };
    }
    if (!OFFERABLE.has(f.codec)) {
      warnings.push(`${name} is ${f.codec}, which a recording offer cannot carry: left out`);
      continue;
    }
    const label = call.siprec && f.label !== undefined ? f.label : f.speaker === "caller" ? "1" : "2";
    groups.set(label, [...(groups.get(label) ?? []), f]);
  }
  return new Map([...groups].sort(([a], [b]) => (a < b ? -1 : 1)).map(([label, fl]) => [label, merged(fl)]));
}

export async function replayCall(call: CapturedCall, o: ReplayOptions): Promise<ReplayResult> {
  const warnings: string[] = [];
  const flows = streamsOf(call, warnings);
  const labels = [...flows.keys()];
  if (labels.length === 0) {
    const seen =
      call.flows.length === 0
        ? "no RTP flow announced"
        : !call.flows.some((f) => f.packets > 0)
          ? `RTP announced to ${call.flows.map((f) => f.to).join(", ")} but never seen in the capture`
          : warnings.join("; ");
    return { callId: call.callId, ok: false, packetsReplayed: 0, refused: `nothing to replay: ${seen}`, warnings };
  }
  // The captured codecs first; the other G.711 law too, so an SRS that takes only that one still records (the forker transcodes).
  const captured = [...new Set([...flows.values()].map((f) => f.codec))] as OfferCodec[];
  const g711 = captured.some((c) => c === "PCMU" || c === "PCMA");
  const codecs = g711 ? [...new Set<OfferCodec>([...captured, "PCMU", "PCMA"])] : captured;
  const timeline = capturedTimeline(call, o.lib, labels, o.ids, warnings);
  let current = timeline?.initial;
  let updates: Promise<unknown> = Promise.resolve();
  const stack = o.stack ?? (await openToolStack(o));
  const driver = new ReplayStreams({
    clock: o.clock,
    ids: o.ids,
    sockets: o.net.sockets,
    cname: `replay@${o.localHost}`,
    speed: o.speed,
    flows,
    ...(o.maxDurationMs === undefined ? {} : { maxDurationMs: o.maxDurationMs }),
    ...(o.onProgress === undefined ? {} : { onProgress: o.onProgress }),
    // The captured call's later metadata goes out as our partial updates at the same point of its timeline.
    cues: (timeline?.later ?? []).map((l) => ({
      timeUs: l.timeUs,
      fire: () => {
        current = l.state;
        updates = updates.then(() => session.updateMetadata());
      },
    })),
  });
  const view = callViewOf(call, o.ids, labels);
  const session = toolSession({
    ...o,
    tool: "replay",
    ua: stack.ua,
    codecs,
    media: driver.media,
    metadata: () => view,
    ...(current === undefined ? {} : { snapshot: () => current as RecordingMetadata }),
    labels,
  });
  try {
    void o.interrupted?.then(() => driver.interrupt());
    const started = await session.start();
    if (started.state !== "recording") return { callId: call.callId, ok: false, packetsReplayed: 0, warnings, report: started };
    await driver.finished;
    await updates;
    // The last packets are still in socket buffers on both sides; a BYE on another connection would overtake them.
    await new Promise<void>((r) => o.clock.setTimer(drainMs(o.speed), r));
    const report = session.state === "recording" || session.state === "paused" ? await session.stop() : session.report();
    return { callId: call.callId, ok: report.endedBy === "local", packetsReplayed: driver.sent, warnings, report };
  } finally {
    if (o.stack === undefined) await stack.close();
  }
}
