/**
 * The outbound streams of one recording toward one SRS: per label the
 * RTP/RTCP sockets (through the RTP socket port), the forker output that
 * rewrites the packet source's RTP onto them (own SSRC/sequence/timestamps,
 * codec, PCI gate), SRTP from the SDES keys of the exchange, DTMF as
 * telephone-events, RTCP sender reports out and the SRS's receiver reports
 * in, RTCP BYE, close and port release.
 *
 * The daemon (tap legs), test-call (tones) and replay (captured packets)
 * are packet sources in front of it: each feeds the forker's inputs and
 * says how a new stream's input is set up (`inputFor`).
 */
import { DtmfEmitter } from "../../rtp/dtmf.ts";
import { codecClockRate } from "../offer.ts";
import type { Forker } from "../../rtp/forker.ts";
import type { OutputSpec } from "../../rtp/forker-types.ts";
import { RtcpReporter } from "../../rtp/rtcp-reporter.ts";
import { type RtpSocketPort, type RtpStreamSockets, closeStream, isRtcp } from "../../rtp/rtp-socket-port.ts";
import type { SrtpContext } from "../../rtp/srtp/context.ts";
import type { Clock } from "../../lib/clock.ts";
import type { IdSource } from "../../lib/ids.ts";
import { type RtcpFeedback, RtcpHeard } from "./rtcp-watchdog.ts";
import { sdesContexts } from "./sdes-keys.ts";
import { rtcpRoute, streamChanges } from "./stream-changes.ts";
import { outputFigures, releaseUnused } from "./stream-figures.ts";
import type { ActiveStream, LocalStream, MediaDriver, StreamFigures } from "./types.ts";

/** The codecs the forker can send toward an SRS. */
export type OutputCodec = "PCMU" | "PCMA" | "G722" | "L16";

/** The forker codec for what the SRS chose (PCMU unless PCMA, G.722 or L16/16000). */
export function outputCodec(o: ActiveStream["outcome"]): OutputCodec {
  if (o.codec === "L16" && o.clockRate === 16000) return "L16";
  return o.codec === "PCMA" ? "PCMA" : o.codec === "G722" ? "G722" : "PCMU";
}

/** How long stop() lets the final RTCP BYE leave before the sockets close (one send batch and then some). */
export const RTCP_BYE_LINGER_MS = 50;

/** What every packet source hands its outbound streams: time, ids, the RTP socket port, the RTCP CNAME. */
export interface StreamEnv {
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly sockets: RtpSocketPort;
  readonly cname: string;
}

/** The StreamEnv part of a packet source's options. */
export function streamEnv(o: StreamEnv): StreamEnv {
  return { clock: o.clock, ids: o.ids, sockets: o.sockets, cname: o.cname };
}

export interface OutboundStreamsOptions extends StreamEnv {
  readonly forker: Forker;
  readonly ptimeMs: number;
  /** Our own sockets: RTCP muxed on the RTP socket (RFC 5761) instead of the odd port above. */
  readonly rtcpMux: boolean;
  /** DTMF toward the SRS: telephone-events when it negotiated them ("forward"), or none. */
  readonly dtmf: "forward" | "drop";
  /** The SRS group (the PCI gate's key), when known before the first start. */
  readonly group?: string;
  /** The forker output of a label (the daemon's groups share one forker: "group/label"). */
  readonly outputId: (label: string) => string;
  /** A label gets a new output (not a re-target): set up its forker input for `codec`; false leaves the label out. */
  readonly inputFor: (label: string, codec: OutputCodec) => boolean;
  /** A label's stream ended for good (port 0). */
  readonly onRemoved?: (label: string) => void;
  /** Every datagram sent (daemon-wide counters). */
  readonly onSent?: (bytes: number) => void;
  /** After each start (or later exchange) was applied: the packet source starts feeding the forker. */
  readonly onStart?: () => void;
  /** Before the streams stop: the packet source stops. */
  readonly onStop?: () => void;
  /** The session's RTCP watchdog reads what we hear from the SRS (the daemon); false: not watched (the tools). */
  readonly watched: boolean;
}

interface Out {
  readonly sockets: RtpStreamSockets;
  inbound?: SrtpContext | undefined;
  outbound?: SrtpContext | undefined;
  dtmf?: DtmfEmitter | undefined;
}

export class OutboundStreams implements MediaDriver {
  readonly #outs = new Map<string, Out>();
  /** The streams as the last offer/answer left them (accepted or inactive). */
  readonly #current = new Map<string, ActiveStream>();
  readonly #reporter: RtcpReporter;
  /** Valid RTCP from the SRS (not our own reflected back): the session's watchdog reads it. */
  readonly #heard = new RtcpHeard();
  #stopped = false;
  #group = "";
  /** RTCP heard from the SRS, for the session's watchdog (absent when not watched). */
  readonly feedback?: () => RtcpFeedback;
  /** RTCP packets from the SRS with a report block about our streams. */
  rtcpReceived = 0;
  /** Our own RTCP coming back (a loop at the SRS). */
  rtcpLooped = 0;
  /** RTP arriving on our sendonly streams (the SRS sends media back: a loop). */
  rtpBack = 0;

  constructor(private readonly o: OutboundStreamsOptions) {
    this.#reporter = new RtcpReporter({ clock: o.clock, ids: o.ids, cname: o.cname });
    if (o.watched) this.feedback = () => this.#heard;
    this.#group = o.group ?? "";
  }

  /** The SRS group the streams were started for (the PCI gate's key in the forker). */
  get group(): string {
    return this.#group;
  }

  /** MediaDriver: applies the exchange, then lets the packet source run. */
  start(streams: readonly ActiveStream[], group: string): void {
    this.#group = group;
    this.apply(streams, group);
    this.o.onStart?.();
  }

  /** The PCI gate of this group: closed, every packet stops at once ("drop"), or silence goes out instead. */
  gate(open: boolean, closed: "drop" | "silence" = "drop"): void {
    this.o.forker.setGate(this.#group, open, closed);
  }

  /** Sockets per label for the offer; all or none (what one label took goes back when another finds no port). */
  async prepare(labels: readonly string[]): Promise<LocalStream[]> {
    const out: LocalStream[] = [];
    const opened: string[] = [];
    for (const label of labels) {
      const onRtcp = (d: Uint8Array): void => this.#onRtcp(label, d);
      const onRtp = (d: Uint8Array): void => (isRtcp(d) ? onRtcp(d) : void this.rtpBack++);
      const sockets = await this.o.sockets.open({ rtcpMux: this.o.rtcpMux, onRtp, onRtcp });
      if (sockets === undefined) {
        for (const l of opened) this.#close(l);
        throw new Error(`no free RTP/RTCP port pair (${this.o.sockets.inUse} in use)`);
      }
      this.#close(label);
      this.#outs.set(label, { sockets });
      opened.push(label);
      out.push({ label, port: sockets.rtp.port, ...(sockets.rtcp === undefined ? {} : { rtcpPort: sockets.rtcp.port }) });
    }
    return out;
  }

  /**
   * Starts the accepted streams, or applies a later offer/answer to them
   * (stream-changes.ts): added, held (inactive), re-targeted, re-keyed,
   * re-coded, or stopped for good (a label left out: port 0).
   */
  apply(streams: readonly ActiveStream[], group: string): void {
    if (this.#stopped) return;
    const forker = this.o.forker;
    const changes = streamChanges(this.#current, streams);
    for (const label of changes.removed) this.#remove(label);
    for (const { stream: s, change, held } of changes.next) {
      const label = s.local.label;
      const out = this.#outs.get(label);
      if (out === undefined) continue;
      const id = this.o.outputId(label);
      if (change === "same") {
        this.#current.set(label, s);
        forker.holdOutput(id, held);
        continue;
      }
      const codec = outputCodec(s.outcome);
      if (change !== "retarget" && !this.o.inputFor(label, codec)) continue;
      this.#current.set(label, s);
      const keys = sdesContexts(s);
      out.outbound = keys.outbound;
      out.inbound = keys.inbound;
      const o = s.outcome;
      const protect = keys.outbound === undefined ? {} : { protect: (b: Uint8Array) => (out.outbound as SrtpContext).protectRtp(b) };
      const te = o.telephoneEventPt === undefined ? {} : { telephoneEventPt: o.telephoneEventPt };
      const send = (b: Uint8Array): boolean => {
        const to = (this.#current.get(label) as ActiveStream).outcome;
        this.o.onSent?.(b.length);
        return out.sockets.rtp.send(b, to.port, to.connection.address);
      };
      if (change === "retarget") forker.retargetOutput(id, { port: { send }, payloadType: o.payloadType, ...te, ...protect });
      else {
        if (forker.spec(id) !== undefined) forker.removeOutput(id);
        const spec: OutputSpec = {
          id,
          group,
          payloadType: o.payloadType,
          codec,
          clockRate: codecClockRate(codec),
          ptimeMs: this.o.ptimeMs,
          ...te,
          dtmf: this.o.dtmf,
          ...protect,
          port: { send },
        };
        forker.addOutput(label, spec);
      }
      forker.holdOutput(id, held);
      out.dtmf = undefined;
      if (o.telephoneEventPt !== undefined && this.o.dtmf === "forward") {
        const pt = o.telephoneEventPt;
        out.dtmf = new DtmfEmitter(
          { clock: this.o.clock, clockRate: codecClockRate(codec), intervalMs: this.o.ptimeMs },
          (marker, ts, payload) => void forker.sendGenerated(id, pt, marker, ts, payload),
        );
      }
      this.#reporter.add({
        id,
        // One CNAME per recorded party (label), one NTP reference for the recording (RFC 7866 §8.3.1).
        cname: `${label}.${this.o.cname}`,
        info: () => forker.outputInfo(id),
        send: (b) => {
          const to = rtcpRoute((this.#current.get(label) as ActiveStream).outcome, out.sockets);
          const p = out.outbound === undefined ? b : out.outbound.protectRtcp(b);
          const bytes = p instanceof Uint8Array ? p : p.ok ? p.value : undefined;
          if (bytes !== undefined) to.via.send(bytes, to.port, to.host);
        },
      });
    }
    this.#reporter.start();
  }

  /** RFC 3264 §8.2: a stream set to port 0 is gone: no RTP, no RTCP, its ports freed. */
  #remove(label: string): void {
    const id = this.o.outputId(label);
    this.#reporter.remove(id);
    this.o.forker.removeOutput(id);
    this.#current.delete(label);
    this.#close(label);
    this.o.onRemoved?.(label);
  }

  #close(label: string): void {
    const out = this.#outs.get(label);
    this.#outs.delete(label);
    if (out !== undefined) closeStream(out.sockets);
  }

  #onRtcp(label: string, d: Uint8Array): void {
    const ctx = this.#outs.get(label)?.inbound;
    const plain = ctx === undefined ? d : ctx.unprotectRtcp(d);
    const bytes = plain instanceof Uint8Array ? plain : plain.ok ? plain.value : undefined;
    if (bytes === undefined) return;
    const r = this.#reporter.receive(bytes);
    if (r.loop) this.rtcpLooped++;
    else if (r.ok) this.#heard.heard(this.o.clock.now());
    if (r.aboutUs > 0) this.rtcpReceived++;
  }

  /** The streams as the last exchange left them. */
  get current(): readonly ActiveStream[] {
    return [...this.#current.values()];
  }

  /** Latest RTCP loss per stream, as the SRS reported it. */
  rtcpLoss(): { label: string; fractionLost: number }[] {
    return this.current.flatMap((s) => {
      const ssrc = this.o.forker.outputInfo(this.o.outputId(s.local.label))?.ssrc;
      const f = ssrc === undefined ? undefined : this.#reporter.figures(ssrc);
      return f === undefined ? [] : [{ label: s.local.label, fractionLost: f.fractionLost }];
    });
  }

  /** A digit as RFC 4733 telephone-events on `label`'s stream; false when it cannot be sent (queue full, no timeline yet), undefined when the SRS took no telephone-events. */
  dtmf(label: string, digit: string, durationMs: number): boolean | undefined {
    const id = this.o.outputId(label);
    return this.#outs.get(label)?.dtmf?.enqueue(digit, Math.max(40, Math.min(8000, durationMs)), () => this.o.forker.timestampNow(id));
  }

  /** RTCP BYE, the figures, the outputs gone; the sockets close once the BYE has left. */
  stop(): StreamFigures[] {
    if (this.#stopped) return [];
    this.#stopped = true;
    this.o.onStop?.();
    this.#reporter.bye();
    const active = this.current;
    const figures = active.map((s) => outputFigures(s.local.label, this.o.forker, this.o.outputId(s.local.label), this.#reporter));
    for (const s of active) this.o.forker.removeOutput(this.o.outputId(s.local.label));
    const outs = [...this.#outs.values()];
    this.#outs.clear();
    this.o.clock.setTimer(RTCP_BYE_LINGER_MS, () => outs.forEach((x) => closeStream(x.sockets)));
    return figures;
  }

  /** Closes the sockets of offered streams the SRS did not take (an SRS that failed, a label it refused). */
  release(local: readonly LocalStream[]): void {
    const view = new Map([...this.#outs].map(([l, x]) => [l, x.sockets]));
    releaseUnused(local, view, this.current);
    for (const l of [...this.#outs.keys()]) if (!view.has(l)) this.#outs.delete(l);
  }
}
