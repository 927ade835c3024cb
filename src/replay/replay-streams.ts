/**
 * replay's packet source: each captured flow is played into the forker at
 * its original inter-packet timing (capture-pacer.ts), in front of the
 * outbound streams. The forker sees the capture's own clock (the capture
 * time of the packet it is handed), so the SRS streams keep the call's real
 * timeline at any speed: gaps stay gaps, nothing is squeezed. Original
 * payloads go out (PCMU↔PCMA transcoded when the SRS chose the other),
 * with our own SSRC/sequence, SRTP when negotiated, RTCP sender reports.
 */
import { Forker } from "../rtp/forker.ts";
import type { RtpSocketPort } from "../rtp/rtp-socket-port.ts";
import { OutboundStreams, streamEnv } from "../siprec/session/outbound-streams.ts";
import type { Clock } from "../lib/clock.ts";
import type { IdSource } from "../lib/ids.ts";
import type { KeptPacket } from "../pcap/rtp-flow.ts";
import { CapturePacer, type CapturePacerOptions } from "./capture-pacer.ts";

/** What is replayed on one label: the packets of one or more captured flows, in capture order. */
export interface ReplayStream {
  readonly codec: string;
  readonly clockRate: number;
  readonly telephoneEventPt: number | undefined;
  readonly kept: readonly KeptPacket[];
}

export interface ReplayStreamsOptions extends Omit<CapturePacerOptions, "clock"> {
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly sockets: RtpSocketPort;
  readonly cname: string;
  /** Flows by label: "1" the caller's audio, "2" the callee's. */
  readonly flows: ReadonlyMap<string, ReplayStream>;
}

/** The captured packets as a source and their outbound streams (`media`, the session's MediaDriver). */
export class ReplayStreams {
  readonly #forker: Forker;
  readonly media: OutboundStreams;
  readonly #pacer: CapturePacer;
  #captureMs = 0;
  #playing = false;
  /** Resolves when every packet has been handed to the forker (or the replay was stopped). */
  readonly finished: Promise<void>;

  constructor(private readonly o: ReplayStreamsOptions) {
    // The forker numbers packets on the capture's clock, not the replay's.
    const captureClock: Clock = {
      now: () => this.#captureMs,
      wallNow: () => o.clock.wallNow(),
      setTimer: (ms, fire) => o.clock.setTimer(ms, fire),
      clearTimer: (id) => o.clock.clearTimer(id),
    };
    const forker = new Forker({ clock: captureClock, ids: o.ids });
    this.#forker = forker;
    this.#pacer = new CapturePacer(o);
    this.finished = this.#pacer.finished;
    this.media = new OutboundStreams({
      ...streamEnv(o),
      forker,
      ptimeMs: 20,
      rtcpMux: false,
      // Captured telephone-events go out as they were.
      dtmf: "forward",
      watched: false,
      outputId: (label) => label,
      inputFor: (label) => {
        const flow = o.flows.get(label);
        if (flow === undefined) return false;
        forker.removeInput(label);
        forker.addInput({
          id: label,
          codec: flow.codec,
          clockRate: flow.clockRate,
          ...(flow.telephoneEventPt === undefined ? {} : { telephoneEventPt: flow.telephoneEventPt }),
        });
        return true;
      },
      onRemoved: (label) => forker.removeInput(label),
      onStart: () => this.#play(),
      onStop: () => this.#pacer.stop(),
    });
  }

  get sent(): number {
    return this.#pacer.sent;
  }

  /** All accepted flows merged in capture order, once. */
  #play(): void {
    if (this.#playing) return;
    this.#playing = true;
    const packets = this.media.current.flatMap((s) => (this.o.flows.get(s.local.label)?.kept ?? []).map((p) => ({ label: s.local.label, ...p })));
    this.#pacer.play(packets, (p) => {
      this.#captureMs = p.timeUs / 1000;
      this.#forker.receive(p.label, p.bytes);
    });
  }

  /** Ends the replay early (the operator interrupted it): no more packets, `finished` resolves. */
  interrupt(): void {
    this.#pacer.stop();
  }
}
