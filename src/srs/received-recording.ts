/**
 * One recording received by the reference SRS: per-label receivers that
 * rebuild each stream's audio on a true timeline (SRTP → RTP → timeline,
 * counters, RTCP), metadata versions, SIP events and pause spans. What is
 * on disk is recording-writer.ts's job: from the 200 OK it writes each
 * metadata version as it arrives, the audio every 0.5 s and an in-progress
 * report, so nothing received is lost if the SRS dies.
 *
 * Memory per recording is bounded: the jitter window per stream, at most
 * 1,000 metadata versions and 10,000 events (the rest counted).
 */
import { type PayloadDecoder, payloadDecoder } from "../media/payload-decoder.ts";
import { Timeline } from "../media/timeline.ts";
import { parseRtp } from "../rtp/packet.ts";
import { RtcpReceiver } from "../rtp/rtcp-receiver.ts";
import { isRtcp, type RtpStreamSockets } from "../rtp/rtp-socket-port.ts";
import { sdesContext } from "../rtp/srtp/sdes.ts";
import { type CryptoSuite, splitKeySalt } from "../sdp/crypto-attr.ts";
import { SrtpContext } from "../rtp/srtp/context.ts";
import type { AnsweredStream, SrsCodec } from "../siprec/srs-answer.ts";
import type { RecordingFolder } from "./recording-sink.ts";
import { type SrsReport, type SrsStreamReport, wavName } from "./report.ts";
import { RecordingWriter } from "./recording-writer.ts";

export interface ReceivedStream {
  readonly label: string;
  readonly codec: SrsCodec;
  /** Linear audio out of the payloads (the WAV's sample rate is its). */
  readonly decoder: PayloadDecoder;
  readonly payloadType: number;
  readonly telephoneEventPt?: number;
  readonly sockets: RtpStreamSockets;
  readonly timeline: Timeline;
  /** The client's key; replaced when an in-dialog offer re-keys the stream. */
  srtp?: SrtpContext;
  srtpSuite?: string;
  /** The client's key-params the context was made from (a re-INVITE with the same key keeps the context: ROC, replay window). */
  keyParams?: string;
  /** The client set this stream inactive (a per-label pause) or disabled it (port 0). */
  state: "recvonly" | "inactive" | "rejected";
  /** Our RTCP for this stream (RRs out, SRs in). */
  readonly rtcp?: RtcpReceiver;
  packets: number;
  bytes: number;
  dtmfPackets: number;
  rtcpPackets: number;
  rejected: number;
  /** Packets that arrived while the client had the recording paused (a PCI leak if > 0). */
  whilePaused: number;
  firstAtMs?: number;
  lastAtMs?: number;
}

const MAX_METADATA = 1000;
const MAX_EVENTS = 10_000;

export class ReceivedRecording {
  readonly streams = new Map<string, ReceivedStream>();
  readonly metadata: string[] = [];
  readonly events: { atMs: number; what: string }[] = [];
  readonly pauses: { fromMs: number; toMs?: number }[] = [];
  readonly warnings: string[] = [];
  endedBy?: "client" | "srs";
  endedAtMs?: number;
  #writer: RecordingWriter | undefined;
  #dropped = { metadata: 0, events: 0 };

  constructor(
    readonly folder: RecordingFolder,
    readonly callId: string,
    readonly startedAtMs: number,
  ) {}

  /** `rtcp`: our SSRC and CNAME for the receiver reports (sent from the RTCP socket, or the RTP one with rtcp-mux). */
  addStream(a: AnsweredStream, sockets: RtpStreamSockets, rtcp?: { ourSsrc: number; cname: string }): ReceivedStream {
    let srtp: SrtpContext | undefined;
    let ours: SrtpContext | undefined;
    if (a.srtp !== undefined) {
      const k = sdesContext(a.srtp.suite, a.srtp.theirKeyParams);
      if (k.ok) srtp = k.value;
      ours = new SrtpContext({ suite: a.srtp.suite, ...splitKeySalt(a.srtp.suite, a.srtp.ourKeySalt) });
    }
    const reports =
      rtcp === undefined || a.rtcpTo === undefined
        ? undefined
        : new RtcpReceiver({
            ourSsrc: rtcp.ourSsrc,
            cname: rtcp.cname,
            socket: a.rtcpTo.mux ? sockets.rtp : (sockets.rtcp ?? sockets.rtp),
            to: a.rtcpTo,
            ...(ours === undefined ? {} : { protect: ours }),
            ...(srtp === undefined ? {} : { unprotect: srtp }),
          });
    const codec = a.codec ?? "PCMU";
    const decoder = payloadDecoder(codec);
    const s: ReceivedStream = {
      label: a.label,
      codec,
      decoder,
      payloadType: a.payloadType as number,
      ...(a.telephoneEventPt === undefined ? {} : { telephoneEventPt: a.telephoneEventPt }),
      sockets,
      timeline: new Timeline(decoder.sampleRate, undefined, decoder.samplesPerTick),
      ...(srtp === undefined ? {} : { srtp }),
      ...(a.srtp === undefined ? {} : { srtpSuite: a.srtp.suite, keyParams: a.srtp.theirKeyParams }),
      ...(reports === undefined ? {} : { rtcp: reports }),
      packets: 0,
      bytes: 0,
      dtmfPackets: 0,
      rtcpPackets: 0,
      rejected: 0,
      whilePaused: 0,
      state: "recvonly",
    };
    this.streams.set(a.label, s);
    return s;
  }

  /** An in-dialog offer re-keyed the stream (RFC 4568 §7.1.4): decrypt with the client's new key. */
  rekey(s: ReceivedStream, suite: CryptoSuite, keyParams: string): void {
    const k = sdesContext(suite, keyParams);
    if (!k.ok) return;
    s.srtp = k.value;
    s.srtpSuite = suite;
    s.keyParams = keyParams;
  }

  /** A datagram on a stream's port: RTP (or RTCP when muxed), SRTP-unprotected when keyed. */
  receive(s: ReceivedStream, d: Uint8Array, nowMs: number): void {
    const pt = (d[1] as number) & 0x7f;
    if (isRtcp(d)) return this.receiveRtcp(s, d, nowMs);
    let bytes = d;
    if (s.srtp !== undefined) {
      const r = s.srtp.unprotectRtp(d);
      if (!r.ok) {
        s.rejected++;
        return;
      }
      bytes = r.value;
    }
    const p = parseRtp(bytes);
    if (!p.ok) {
      s.rejected++;
      return;
    }
    s.packets++;
    const open = this.pauses.at(-1);
    if ((open !== undefined && open.toMs === undefined) || s.state !== "recvonly") s.whilePaused++;
    s.bytes += p.value.payload.length;
    s.firstAtMs ??= nowMs;
    s.lastAtMs = nowMs;
    s.rtcp?.rtp(p.value, nowMs, s.telephoneEventPt !== undefined && pt === s.telephoneEventPt);
    if (s.telephoneEventPt !== undefined && pt === s.telephoneEventPt) {
      s.dtmfPackets++;
      return;
    }
    if (p.value.payloadType !== s.payloadType) {
      s.rejected++;
      return;
    }
    s.timeline.addSamples(p.value.timestamp, s.decoder.decode(p.value.payload));
  }

  /** An RTCP datagram from the client (its own socket, or muxed on the RTP one). */
  receiveRtcp(s: ReceivedStream, d: Uint8Array, nowMs: number): void {
    s.rtcpPackets++;
    s.rtcp?.receive(d, nowMs);
  }

  /** A receiver report on every stream that has heard its sender. */
  sendReports(nowMs: number): void {
    for (const s of this.streams.values()) s.rtcp?.sendReport(nowMs);
  }

  event(what: string, nowMs: number): void {
    if (this.events.length >= MAX_EVENTS) this.#dropped.events++;
    else this.events.push({ atMs: nowMs, what });
  }

  /** A metadata version (initial or in-dialog): on disk at once once the recording is accepted. */
  addMetadata(xml: string): void {
    if (this.metadata.length >= MAX_METADATA) return void this.#dropped.metadata++;
    this.metadata.push(xml);
    this.#writer?.metadata(this.metadata);
  }

  /** The recording is accepted (200 OK sent): its folder, WAV files and an in-progress report exist from now on. */
  start(nowMs: number): void {
    if (this.#writer !== undefined) return;
    this.#writer = new RecordingWriter(this.folder, (text) => this.#warn(text));
    this.#writer.start(this, nowMs);
  }

  /** Puts all but the jitter window of each stream on disk and rewrites the in-progress report. */
  flush(nowMs: number): void {
    this.#writer?.flush(this, nowMs);
  }

  #warn(text: string): void {
    if (this.warnings.length < 1000) this.warnings.push(`could not write: ${text}`);
  }

  report(nowMs: number, complete: boolean): SrsReport {
    const streams: SrsStreamReport[] = [...this.streams.values()].map((s) => {
      const error = this.#writer?.wavError(s.label);
      return {
        label: s.label,
        codec: s.codec,
        sampleRate: s.decoder.sampleRate,
        wav: wavName(s.label),
        packets: s.packets,
        payloadBytes: s.bytes,
        dtmfPackets: s.dtmfPackets,
        rtcpPackets: s.rtcpPackets,
        rejected: s.rejected,
        whilePaused: s.whilePaused,
        late: s.timeline.late,
        durationMs: Math.round((s.timeline.length * 1000) / s.decoder.sampleRate),
        srtp: s.srtp !== undefined,
        ...(s.srtpSuite === undefined ? {} : { srtpSuite: s.srtpSuite }),
        ...(s.rtcp === undefined ? {} : { rtcp: s.rtcp.figures() }),
        ...(error === undefined ? {} : { writeError: error }),
      };
    });
    const dropped = this.#dropped.metadata + this.#dropped.events > 0 ? { droppedOverLimits: { ...this.#dropped } } : {};
    const progress = complete
      ? {}
      : {
          writtenAt: new Date(nowMs).toISOString(),
          note: "in progress: rewritten every second while recording; still false after the SRS stopped means the recording was interrupted (the WAVs hold the audio up to about a second before the stop; their sizes are true)",
        };
    return {
      callId: this.callId,
      folder: this.folder.path,
      complete,
      ...progress,
      startedAt: new Date(this.startedAtMs).toISOString(),
      ...(this.endedAtMs === undefined
        ? {}
        : { endedAt: new Date(this.endedAtMs).toISOString(), ...(this.endedBy === undefined ? {} : { endedBy: this.endedBy }) }),
      streams,
      pauses: this.pauses,
      metadataVersions: this.metadata.length,
      events: this.events,
      warnings: this.warnings,
      ...dropped,
    };
  }

  /** Writes the rest of the audio (16-bit PCM, 8 kHz), the metadata versions and the final report.json; returns the report. */
  finish(nowMs: number, by: "client" | "srs"): SrsReport {
    this.endedBy ??= by;
    this.endedAtMs ??= nowMs;
    for (const p of this.pauses) p.toMs ??= nowMs;
    this.start(nowMs);
    for (const s of this.streams.values()) {
      // A pause at the end leaves no packets: extend to the wall time the stream was recorded.
      if (s.firstAtMs !== undefined) s.timeline.padTo(Math.round(((this.endedAtMs as number) - s.firstAtMs) * 8));
      s.sockets.rtp.close();
      s.sockets.rtcp?.close();
    }
    return (this.#writer as RecordingWriter).finish(this, nowMs);
  }
}
