/**
 * Media for `siprec replay`: each captured flow is played into the forker
 * at its original inter-packet timing (scaled by `speed`, or as fast as the
 * loop allows), on absolute deadlines. The forker sees the capture's own
 * clock (the capture time of the packet it is handed), so the SRS streams
 * keep the call's real timeline at any speed: gaps stay gaps, nothing is
 * squeezed. Original payloads go out (PCMU↔PCMA transcoded when the SRS
 * chose the other), with our own SSRC/sequence, SRTP when negotiated.
 */
import { Forker } from "../../rtp/forker.ts";
import { type RtpEndpoint, openToolRtpPair } from "../../rtp/udp-socket.ts";
import { streamChanges } from "../../siprec/session/stream-changes.ts";
import { sdesContexts } from "../../siprec/session/sdes-keys.ts";
import { outputFigures, releaseUnused } from "../../siprec/session/stream-figures.ts";
import type { ActiveStream, LocalStream, MediaDriver, StreamFigures } from "../../siprec/session/types.ts";
import type { Clock } from "../../lib/clock.ts";
import type { IdSource } from "../../lib/ids.ts";
import type { KeptPacket } from "../../pcap/rtp-flow.ts";

/** What is replayed on one label: the packets of one or more captured flows, in capture order. */
export interface ReplayStream {
  readonly codec: string;
  readonly clockRate: number;
  readonly telephoneEventPt: number | undefined;
  readonly kept: readonly KeptPacket[];
}

export interface ReplayDriverOptions {
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly host: string;
  /** 1 = the original pace; 0 = as fast as possible. */
  readonly speed: number;
  /** Flows by label: "1" the caller's audio, "2" the callee's. */
  readonly flows: ReadonlyMap<string, ReplayStream>;
  /** Called once each when the replay reaches their capture time (µs), before the packet of that time. */
  readonly cues?: readonly { readonly timeUs: number; readonly fire: () => void }[];
  /** Called as packets go out (capture time done / total, µs), at most every 250 ms of replay. */
  readonly onProgress?: (doneUs: number, totalUs: number) => void;
  /** Replay only this much of the call (capture time). */
  readonly maxDurationMs?: number;
}

interface Queued {
  readonly label: string;
  readonly timeUs: number;
  readonly bytes: Uint8Array;
}

export class ReplayMediaDriver implements MediaDriver {
  readonly #sockets = new Map<string, { readonly rtp: RtpEndpoint; readonly rtcp?: RtpEndpoint }>();
  /** The streams as the last offer/answer left them (accepted or inactive). */
  readonly #current = new Map<string, ActiveStream>();
  #playing = false;
  #captureMs = 0;
  #group = "";
  readonly #forker: Forker;
  #done: () => void = () => {};
  /** Resolves when every packet has been handed to the forker (or the replay was stopped). */
  readonly finished: Promise<void>;
  #stopped = false;
  sent = 0;

  constructor(private readonly o: ReplayDriverOptions) {
    // The forker numbers packets on the capture's clock, not the replay's.
    const captureClock: Clock = { now: () => this.#captureMs, wallNow: () => o.clock.wallNow(), setTimer: (ms, fire) => o.clock.setTimer(ms, fire), clearTimer: (id) => o.clock.clearTimer(id) };
    this.#forker = new Forker({ clock: captureClock, ids: o.ids });
    this.finished = new Promise((resolve) => (this.#done = resolve));
  }

  async prepare(labels: readonly string[]): Promise<LocalStream[]> {
    const out: LocalStream[] = [];
    for (const label of labels) {
      // Like the daemon: an even RTP port with RTCP on the odd one above.
      const { rtp, rtcp } = await openToolRtpPair({ host: this.o.host, onRtp: () => {}, onRtcp: () => {} });
      this.#sockets.set(label, { rtp, rtcp });
      out.push({ label, port: rtp.port, rtcpPort: rtcp.port });
    }
    return out;
  }

  /** Starts the accepted streams, or applies a later offer/answer to them (stream-changes.ts). */
  start(streams: readonly ActiveStream[], group: string): void {
    this.#group = group;
    const changes = streamChanges(this.#current, streams);
    for (const label of changes.removed) {
      // RFC 3264 §8.2: port 0 ends the stream for good.
      this.#forker.removeInput(label);
      this.#current.delete(label);
      const sock = this.#sockets.get(label);
      this.#sockets.delete(label);
      if (sock !== undefined) (sock.rtp.close(), sock.rtcp?.close());
    }
    for (const { stream: s, change, held } of changes.next) {
      const label = s.local.label;
      const flow = this.o.flows.get(label);
      const sock = this.#sockets.get(label);
      if (flow === undefined || sock === undefined) continue;
      this.#current.set(label, s);
      if (change !== "same") {
        const o = s.outcome;
        const ctx = sdesContexts(s).outbound;
        const protect = ctx === undefined ? undefined : (b: Uint8Array) => ctx.protectRtp(b);
        const send = (b: Uint8Array): boolean => {
          const to = (this.#current.get(label) as ActiveStream).outcome;
          return sock.rtp.send(b, to.port, to.connection.address);
        };
        const te = o.telephoneEventPt === undefined ? {} : { telephoneEventPt: o.telephoneEventPt };
        if (change === "retarget") this.#forker.retargetOutput(label, { port: { send }, payloadType: o.payloadType, ...te, ...(protect === undefined ? {} : { protect }) });
        else {
          this.#forker.removeInput(label);
          this.#forker.addInput({ id: label, codec: flow.codec, clockRate: flow.clockRate, ...(flow.telephoneEventPt === undefined ? {} : { telephoneEventPt: flow.telephoneEventPt }) });
          this.#forker.addOutput(label, { id: label, group, payloadType: o.payloadType, codec: o.codec === "PCMA" ? "PCMA" : o.codec === "G722" ? "G722" : "PCMU", clockRate: 8000, ptimeMs: 20, ...te, dtmf: "forward", ...(protect === undefined ? {} : { protect }), port: { send } });
        }
      }
      this.#forker.holdOutput(label, held);
    }
    if (!this.#playing) {
      this.#playing = true;
      this.#play();
    }
  }

  /** All flows merged in capture order, each handed over at its deadline. */
  #play(): void {
    const queue: Queued[] = [...this.#current.values()].flatMap((s) => (this.o.flows.get(s.local.label)?.kept ?? []).map((p) => ({ label: s.local.label, ...p }))).sort((a, b) => a.timeUs - b.timeUs);
    const firstUs = queue[0]?.timeUs ?? 0;
    const limitUs = this.o.maxDurationMs === undefined ? Infinity : firstUs + this.o.maxDurationMs * 1000;
    const totalUs = Math.min(limitUs, queue[queue.length - 1]?.timeUs ?? 0) - firstUs;
    let shownAt = -Infinity;
    const cues = [...(this.o.cues ?? [])].sort((a, b) => a.timeUs - b.timeUs);
    let cue = 0;
    const fast = this.o.speed === 0;
    const t0 = this.o.clock.now();
    const dueAt = (p: Queued): number => t0 + (p.timeUs - firstUs) / 1000 / this.o.speed;
    let i = 0;
    const step = (): void => {
      if (this.#stopped) return this.#done();
      const now = this.o.clock.now();
      // Everything due by now goes out in this turn, so a late timer does not stretch the call.
      let burst = 0;
      while (i < queue.length) {
        const p = queue[i] as Queued;
        if (p.timeUs > limitUs) {
          i = queue.length;
          break;
        }
        if (fast ? burst >= 200 : dueAt(p) > now) break; // at full speed, let the sockets drain between bursts
        while (cue < cues.length && (cues[cue] as { timeUs: number }).timeUs <= p.timeUs) cues[cue++]?.fire();
        this.#captureMs = p.timeUs / 1000;
        this.#forker.receive(p.label, p.bytes);
        this.sent++;
        burst++;
        i++;
      }
      if (this.o.onProgress !== undefined && (now - shownAt >= 250 || i >= queue.length)) {
        shownAt = now;
        this.o.onProgress(i >= queue.length ? totalUs : Math.min(totalUs, this.#captureMs * 1000 - firstUs), totalUs);
      }
      if (i >= queue.length) return this.#done();
      this.o.clock.setTimer(fast ? 0 : Math.max(0, dueAt(queue[i] as Queued) - this.o.clock.now()), step);
    };
    step();
  }

  gate(open: boolean): void {
    this.#forker.setGate(this.#group, open);
  }

  /** Ends the replay early (the operator interrupted it): no more packets, `finished` resolves. */
  interrupt(): void {
    this.#stopped = true;
    this.#done();
  }

  stop(): StreamFigures[] {
    this.#stopped = true;
    this.#done();
    const figures = [...this.#current.values()].map((s) => outputFigures(s.local.label, this.#forker, s.local.label, undefined));
    const socks = [...this.#sockets.values()];
    this.#sockets.clear();
    this.o.clock.setTimer(50, () => socks.forEach((x) => (x.rtp.close(), x.rtcp?.close())));
    return figures;
  }

  release(local: readonly LocalStream[]): void {
    releaseUnused(local, this.#sockets, [...this.#current.values()]);
  }
}
