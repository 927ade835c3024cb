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
import { OutboundStreams, streamEnv } from "../siprec/session/outbound-streams.ts";
import type { MediaDriver } from "../siprec/session/types.ts";
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
  readonly #drivers = new Set<OutboundStreams>();
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
    for (const d of this.#drivers) {
      if (d.dtmf(label, digit, (durationSamples * 1000) / 8000) === false)
        this.o.log.warn("DTMF digit not sent to the SRS", { group: d.group, label, digit, why: "more than 32 digits waiting or no stream timeline yet" });
    }
  }

  close(): void {
    for (const d of this.#drivers) d.stop();
    this.#drivers.clear();
    this.o.onClose?.();
  }

  /** Latest RTCP loss per SRS stream of this recording. */
  rtcpLoss(): { group: string; label: string; fractionLost: number }[] {
    return [...this.#drivers].flatMap((d) => d.rtcpLoss().map((l) => ({ group: d.group, ...l })));
  }

  /** One SRS group's streams of this recording: the outbound-stream component on the recording's forker. */
  driverFor(group: string): MediaDriver {
    const o = this.o;
    const forker = this.forker;
    const d: OutboundStreams = new OutboundStreams({
      ...streamEnv(o),
      forker,
      ptimeMs: o.ptimeMs,
      rtcpMux: false,
      dtmf: o.dtmf,
      watched: true,
      group,
      outputId: (label) => `${group}/${label}`,
      // The tap leg is the input (attachLeg): a label without one has nothing to send yet.
      inputFor: (label) => forker.inputCounters(label) !== undefined,
      onSent: (bytes) => {
        o.totals.packets++;
        o.totals.bytes += bytes;
      },
      onStop: () => this.#drivers.delete(d),
    });
    this.#drivers.add(d);
    return d;
  }
}
