/**
 * The daemon's audio path for one recording: tap-leg RTP in, through the
 * forker (own SSRC/sequence/timestamps per SRS stream, PCMU↔PCMA, the PCI
 * gate, SRTP), out to every SRS that records the call. One MediaDriver per
 * SRS group is handed to that group's RecordingSession; RTCP sender reports
 * go out and receiver reports come back per stream.
 */
import { DtmfEmitter } from "../rtp/dtmf.ts";
import { Forker } from "../rtp/forker.ts";
import { RtcpReporter } from "../rtp/rtcp-reporter.ts";
import type { SrtpContext } from "../rtp/srtp/context.ts";
import { type RtpEndpoint, openRtpPair, openRtpSocket } from "../rtp/udp-socket.ts";
import type { PortAllocator } from "../rtp/port-allocator.ts";
import type { RecordingMedia } from "../recorder/ports.ts";
import type { TapLeg } from "../recorder/tap-listener.ts";
import { sdesContexts } from "../siprec/session/sdes-keys.ts";
import { rtcpRoute, streamChanges } from "../siprec/session/stream-changes.ts";
import { type RtcpFeedback, RtcpHeard } from "../siprec/session/rtcp-watchdog.ts";
import { outputFigures, releaseUnused } from "../siprec/session/stream-figures.ts";
import type { ActiveStream, LocalStream, MediaDriver, StreamFigures } from "../siprec/session/types.ts";
import type { Clock } from "../lib/clock.ts";
import type { IdSource } from "../lib/ids.ts";
import type { Logger } from "../lib/log.ts";

export interface ForkerMediaOptions {
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly log: Logger;
  readonly host: string;
  readonly ptimeMs: number;
  readonly cname: string;
  readonly dtmf: "forward" | "drop";
  /** Daemon-wide counters of what was sent to recording servers. */
  readonly totals: { packets: number; bytes: number };
  /** Where SRS-facing RTP/RTCP pairs come from ([recording] rtp_port_min-max); any free port when absent. */
  readonly ports?: PortAllocator;
  readonly onClose?: () => void;
}

export class ForkerRecordingMedia implements RecordingMedia {
  readonly forker: Forker;
  readonly #drivers = new Set<GroupDriver>();
  readonly #attached = new Set<string>();

  constructor(private readonly o: ForkerMediaOptions) {
    this.forker = new Forker({ clock: o.clock, ids: o.ids, logger: o.log });
  }

  attachLeg(label: string, leg: TapLeg): void {
    this.#attached.add(label);
    if (this.forker.inputCounters(label) === undefined) this.forker.addInput({ id: label, codec: leg.codec, clockRate: leg.clockRate, ...(leg.telephoneEventPt === undefined ? {} : { telephoneEventPt: leg.telephoneEventPt }) });
  }

  packet(label: string, packet: Uint8Array): void {
    if (this.#attached.has(label)) this.forker.receive(label, packet);
  }

  /** The input (and the SRS streams it feeds) stays: a re-attached leg continues the same streams. */
  detachLeg(label: string): void {
    this.#attached.delete(label);
  }

  gate(open: boolean, closed: "drop" | "silence" = "drop"): void {
    for (const d of this.#drivers) d.gate(open, closed);
  }

  dtmf(label: string, digit: string, durationSamples: number): void {
    for (const d of this.#drivers) d.dtmf(label, digit, (durationSamples * 1000) / 8000);
  }

  close(): void {
    for (const d of this.#drivers) d.stop();
    this.#drivers.clear();
    this.o.onClose?.();
  }

  /** Latest RTCP loss per SRS stream of this recording. */
  rtcpLoss(): { group: string; label: string; fractionLost: number }[] {
    return [...this.#drivers].flatMap((d) => d.rtcpLoss());
  }

  driverFor(group: string): MediaDriver {
    const d = new GroupDriver(this, group, this.o);
    this.#drivers.add(d);
    return d;
  }

  forget(d: GroupDriver): void {
    this.#drivers.delete(d);
  }
}

interface Out {
  readonly local: LocalStream;
  readonly rtp: RtpEndpoint;
  readonly rtcp: RtpEndpoint | undefined;
  inbound?: SrtpContext | undefined;
  outbound?: SrtpContext | undefined;
  dtmf?: DtmfEmitter | undefined;
}

class GroupDriver implements MediaDriver {
  readonly #outs = new Map<string, Out>();
  /** The streams as the last offer/answer left them (accepted or inactive). */
  readonly #current = new Map<string, ActiveStream>();
  #reporter: RtcpReporter | undefined;
  #stopped = false;
  /** Valid RTCP from the SRS (not our own reflected back): the session's watchdog reads it. */
  readonly #heard = new RtcpHeard();

  constructor(
    private readonly media: ForkerRecordingMedia,
    private readonly group: string,
    private readonly o: ForkerMediaOptions,
  ) {}

  async prepare(labels: readonly string[]): Promise<LocalStream[]> {
    const out: LocalStream[] = [];
    for (const label of labels) {
      const onRtcp = (d: Uint8Array): void => this.#onRtcp(label, d);
      const onRtp = (d: Uint8Array): void => ((d[1] as number) >= 200 && (d[1] as number) <= 207 ? onRtcp(d) : undefined);
      const pair =
        this.o.ports === undefined
          ? { rtp: await openRtpSocket({ host: this.o.host, port: 0, onPacket: onRtp }), rtcp: await openRtpSocket({ host: this.o.host, port: 0, onPacket: onRtcp }) }
          : await openRtpPair(this.o.ports, { host: this.o.host, onRtp, onRtcp });
      if (pair === undefined) {
        for (const x of this.#outs.values()) (x.rtp.close(), x.rtcp?.close());
        this.#outs.clear();
        throw new Error(`no free RTP/RTCP port pair in [recording] rtp_port_min-rtp_port_max (${this.o.ports?.inUse} pairs in use)`);
      }
      const { rtp, rtcp } = pair;
      const local: LocalStream = { label, port: rtp.port, rtcpPort: rtcp.port };
      this.#outs.set(label, { local, rtp, rtcp });
      out.push(local);
    }
    return out;
  }

  /**
   * Starts the accepted streams, or applies a later offer/answer to them
   * (stream-changes.ts): added, held (inactive), re-targeted, re-keyed, or
   * stopped for good (a label left out: port 0).
   */
  start(streams: readonly ActiveStream[], group: string): void {
    const forker = this.media.forker;
    this.#reporter ??= new RtcpReporter({ clock: this.o.clock, ids: this.o.ids, cname: this.o.cname });
    const changes = streamChanges(this.#current, streams);
    for (const label of changes.removed) this.#removeStream(label);
    for (const { stream: s, change, held } of changes.next) {
      const label = s.local.label;
      const out = this.#outs.get(label);
      if (out === undefined || forker.inputCounters(label) === undefined) continue;
      const id = `${group}/${label}`;
      this.#current.set(label, s);
      if (change === "same") {
        forker.holdOutput(id, held);
        continue;
      }
      const keys = sdesContexts(s);
      out.outbound = keys.outbound;
      out.inbound = keys.inbound;
      const protect = keys.outbound === undefined ? undefined : (b: Uint8Array) => (out.outbound as SrtpContext).protectRtp(b);
      const o = s.outcome;
      const te = o.telephoneEventPt === undefined ? {} : { telephoneEventPt: o.telephoneEventPt };
      const send = (b: Uint8Array): boolean => {
        const to = (this.#current.get(label) as ActiveStream).outcome;
        this.o.totals.packets++;
        this.o.totals.bytes += b.length;
        return out.rtp.send(b, to.port, to.connection.address);
      };
      if (change === "retarget") {
        forker.retargetOutput(id, { port: { send }, payloadType: o.payloadType, ...te, ...(protect === undefined ? {} : { protect }) });
      } else {
        if (forker.spec(id) !== undefined) forker.removeOutput(id);
        const codec = o.codec === "PCMA" ? "PCMA" : o.codec === "G722" ? "G722" : "PCMU";
        forker.addOutput(label, { id, group, payloadType: o.payloadType, codec, clockRate: 8000, ptimeMs: this.o.ptimeMs, ...te, dtmf: this.o.dtmf, ...(protect === undefined ? {} : { protect }), port: { send } });
      }
      forker.holdOutput(id, held);
      out.dtmf = undefined;
      if (o.telephoneEventPt !== undefined && this.o.dtmf === "forward") {
        const pt = o.telephoneEventPt;
        out.dtmf = new DtmfEmitter({ clock: this.o.clock, clockRate: 8000, intervalMs: this.o.ptimeMs }, (marker, ts, payload) => void forker.sendGenerated(id, pt, marker, ts, payload));
      }
      this.#reporter.add({
        id,
        // One CNAME per recorded party (label), one NTP reference for the recording (RFC 7866 §8.3.1).
        cname: `${label}.${this.o.cname}`,
        info: () => forker.outputInfo(id),
        send: (b) => {
          const cur = (this.#current.get(label) as ActiveStream).outcome;
          const to = rtcpRoute(cur, out);
          const p = out.outbound === undefined ? b : out.outbound.protectRtcp(b);
          const bytes = p instanceof Uint8Array ? p : p.ok ? p.value : undefined;
          if (bytes !== undefined) to.via.send(bytes, to.port, to.host);
        },
      });
    }
    this.#reporter.start();
  }

  /** RFC 3264 §8.2: a stream set to port 0 is gone: no RTP, no RTCP, its ports freed. */
  #removeStream(label: string): void {
    const id = `${this.group}/${label}`;
    this.#reporter?.remove(id);
    this.media.forker.removeOutput(id);
    this.#current.delete(label);
    const out = this.#outs.get(label);
    this.#outs.delete(label);
    if (out !== undefined) (out.rtp.close(), out.rtcp?.close());
  }

  #onRtcp(label: string, d: Uint8Array): void {
    const ctx = this.#outs.get(label)?.inbound;
    const plain = ctx === undefined ? d : ctx.unprotectRtcp(d);
    const bytes = plain instanceof Uint8Array ? plain : plain.ok ? plain.value : undefined;
    const r = bytes === undefined ? undefined : this.#reporter?.receive(bytes);
    if (r?.ok === true && !r.loop) this.#heard.heard(this.o.clock.now());
  }

  feedback(): RtcpFeedback {
    return this.#heard;
  }

  gate(open: boolean, closed: "drop" | "silence" = "drop"): void {
    this.media.forker.setGate(this.group, open, closed);
  }

  rtcpLoss(): { group: string; label: string; fractionLost: number }[] {
    return [...this.#current.values()].flatMap((s) => {
      const ssrc = this.media.forker.outputInfo(`${this.group}/${s.local.label}`)?.ssrc;
      const f = ssrc === undefined ? undefined : this.#reporter?.figures(ssrc);
      return f === undefined ? [] : [{ group: this.group, label: s.local.label, fractionLost: f.fractionLost }];
    });
  }

  dtmf(label: string, digit: string, durationMs: number): void {
    const out = this.#outs.get(label);
    const id = `${this.group}/${label}`;
    const played = out?.dtmf?.enqueue(digit, Math.max(40, Math.min(8000, durationMs)), () => this.media.forker.timestampNow(id));
    if (played === false) this.o.log.warn("DTMF digit not sent to the SRS", { group: this.group, label, digit, why: "more than 32 digits waiting or no stream timeline yet" });
  }

  stop(): StreamFigures[] {
    if (this.#stopped) return [];
    this.#stopped = true;
    this.#reporter?.bye();
    const forker = this.media.forker;
    const active = [...this.#current.values()];
    const figures = active.map((s) => outputFigures(s.local.label, forker, `${this.group}/${s.local.label}`, this.#reporter));
    for (const s of active) forker.removeOutput(`${this.group}/${s.local.label}`);
    const outs = [...this.#outs.values()];
    this.#outs.clear();
    this.media.forget(this);
    // Let the final RTCP BYE leave before the sockets close.
    this.o.clock.setTimer(50, () => outs.forEach((x) => (x.rtp.close(), x.rtcp?.close())));
    return figures;
  }

  release(local: readonly LocalStream[]): void {
    releaseUnused(local, this.#outs, [...this.#current.values()]);
  }
}
