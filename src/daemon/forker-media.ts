/**
 * The daemon's audio path for one recording: tap-leg RTP in, through the
 * forker (own SSRC/sequence/timestamps per SRS stream, PCMU↔PCMA, the PCI
 * gate, SRTP), out to every SRS that records the call. One MediaDriver per
 * SRS group is handed to that group's RecordingSession: the outbound-stream
 * component (siprec/session/outbound-streams.ts) on the recording's forker.
 */
import { Forker } from "../rtp/forker.ts";
import type { RtpSocketPort } from "../rtp/rtp-socket-port.ts";
import type { RecordingMedia } from "../recorder/ports.ts";
import type { TapLeg } from "../recorder/tap-listener.ts";
import { OutboundStreams } from "../siprec/session/outbound-streams.ts";
import type { RtcpFeedback } from "../siprec/session/rtcp-watchdog.ts";
import type { ActiveStream, LocalStream, MediaDriver, StreamFigures } from "../siprec/session/types.ts";
import type { Clock } from "../lib/clock.ts";
import type { IdSource } from "../lib/ids.ts";
import type { Logger } from "../lib/log.ts";

export interface ForkerMediaOptions {
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly log: Logger;
  /** SRS-facing RTP/RTCP pairs ([recording] rtp_port_min-max, on the media address). */
  readonly sockets: RtpSocketPort;
  readonly ptimeMs: number;
  readonly cname: string;
  readonly dtmf: "forward" | "drop";
  /** Daemon-wide counters of what was sent to recording servers. */
  readonly totals: { packets: number; bytes: number };
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
    if (this.forker.inputCounters(label) === undefined)
      this.forker.addInput({
        id: label,
        codec: leg.codec,
        clockRate: leg.clockRate,
        ...(leg.telephoneEventPt === undefined ? {} : { telephoneEventPt: leg.telephoneEventPt }),
      });
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

/** One SRS group's streams of the recording: the outbound-stream component on the recording's forker. */
class GroupDriver implements MediaDriver {
  readonly #streams: OutboundStreams;

  constructor(
    private readonly media: ForkerRecordingMedia,
    private readonly group: string,
    private readonly o: ForkerMediaOptions,
  ) {
    const forker = media.forker;
    this.#streams = new OutboundStreams({
      clock: o.clock,
      ids: o.ids,
      forker,
      sockets: o.sockets,
      cname: o.cname,
      ptimeMs: o.ptimeMs,
      rtcpMux: false,
      dtmf: o.dtmf,
      outputId: (label) => `${group}/${label}`,
      // The tap leg is the input (attachLeg): a label without one has nothing to send yet.
      inputFor: (label) => forker.inputCounters(label) !== undefined,
      onSent: (bytes) => {
        o.totals.packets++;
        o.totals.bytes += bytes;
      },
    });
  }

  prepare(labels: readonly string[]): Promise<LocalStream[]> {
    return this.#streams.prepare(labels);
  }

  start(streams: readonly ActiveStream[], group: string): void {
    this.#streams.apply(streams, group);
  }

  feedback(): RtcpFeedback {
    return this.#streams.feedback();
  }

  gate(open: boolean, closed: "drop" | "silence" = "drop"): void {
    this.media.forker.setGate(this.group, open, closed);
  }

  rtcpLoss(): { group: string; label: string; fractionLost: number }[] {
    return this.#streams.rtcpLoss().map((l) => ({ group: this.group, ...l }));
  }

  dtmf(label: string, digit: string, durationMs: number): void {
    if (!this.#streams.dtmf(label, digit, durationMs))
      this.o.log.warn("DTMF digit not sent to the SRS", {
        group: this.group,
        label,
        digit,
        why: "no telephone-event negotiated, more than 32 digits waiting or no stream timeline yet",
      });
  }

  stop(): StreamFigures[] {
    const figures = this.#streams.stop();
    this.media.forget(this);
    return figures;
  }

  release(local: readonly LocalStream[]): void {
    this.#streams.release(local);
  }
}
