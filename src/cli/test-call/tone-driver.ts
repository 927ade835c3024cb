/**
 * Media for test calls: each stream plays its own tone (or a WAV), paced
 * on absolute deadlines, through the real forker (pause gate, own
 * SSRC/sequence/timestamps, counters), SRTP when negotiated, RTCP sender
 * reports out and receiver reports in.
 */
import { encodeG711 } from "../../media/g711.ts";
import { STREAM_TONES, ToneSource } from "../../media/tone.ts";
import { Forker } from "../../rtp/forker.ts";
import { serializeRtp } from "../../rtp/packet.ts";
import { Pacer } from "../../rtp/pacer.ts";
import { RtcpReporter } from "../../rtp/rtcp-reporter.ts";
import type { SrtpContext } from "../../rtp/srtp/context.ts";
import { sdesContexts } from "../../siprec/session/sdes-keys.ts";
import { type StreamChange, rtcpRoute, streamChanges } from "../../siprec/session/stream-changes.ts";
import { outputFigures, releaseUnused } from "../../siprec/session/stream-figures.ts";
import { type RtpEndpoint, openRtpSocket, openToolRtpPair } from "../../rtp/udp-socket.ts";
import type { ActiveStream, LocalStream, MediaDriver, StreamFigures } from "../../siprec/session/types.ts";
import type { Clock } from "../../lib/clock.ts";
import type { IdSource } from "../../lib/ids.ts";

export interface ToneDriverOptions {
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly host: string;
  readonly ptimeMs: number;
  readonly rtcpMux: boolean;
  readonly cname: string;
  /** 8 kHz linear audio to loop instead of tones (same for every stream). */
  readonly wav?: Int16Array;
  /** 8 kHz linear audio per stream, in stream order (a captured call's directions), looped. */
  readonly perStream?: readonly Int16Array[];
}

interface Leg {
  readonly local: LocalStream;
  readonly rtp: RtpEndpoint;
  readonly rtcp?: RtpEndpoint;
}

export class ToneMediaDriver implements MediaDriver {
  readonly #legs = new Map<string, Leg>();
  #forker: Forker;
  #pacer?: Pacer;
  #reporter?: RtcpReporter;
  #group = "";
  /** The streams as the last offer/answer left them (accepted or inactive). */
  readonly #current = new Map<string, ActiveStream>();
  readonly #sources = new Map<string, () => Int16Array>();
  #wavAt = 0;
  #srtp = new Map<string, SrtpContext>();
  #inbound = new Map<string, SrtpContext>();
  /** RTCP packets from the SRS with a report block about our streams. */
  rtcpReceived = 0;
  /** Our own RTCP coming back (a loop at the SRS). */
  rtcpLooped = 0;
  /** RTP arriving on our sendonly streams (the SRS sends media back: a loop). */
  rtpBack = 0;

  constructor(private readonly o: ToneDriverOptions) {
    this.#forker = new Forker({ clock: o.clock, ids: o.ids });
  }

  async prepare(labels: readonly string[]): Promise<LocalStream[]> {
    const out: LocalStream[] = [];
    for (const label of labels) {
      const onRtcp = (d: Uint8Array) => this.#onRtcp(label, d);
      const onRtp = (d: Uint8Array): void => {
        if (this.o.rtcpMux && (d[1] as number) >= 200 && (d[1] as number) <= 207) onRtcp(d);
        else this.rtpBack++;
      };
      // Like the daemon: an even RTP port with RTCP on the odd one above (one socket with rtcp-mux).
      const pair = this.o.rtcpMux ? undefined : await openToolRtpPair({ host: this.o.host, onRtp, onRtcp });
      const rtp = pair?.rtp ?? (await openRtpSocket({ host: this.o.host, port: 0, onPacket: onRtp }));
      const rtcp = pair?.rtcp;
      const local: LocalStream = { label, port: rtp.port, ...(rtcp === undefined ? {} : { rtcpPort: rtcp.port }) };
      this.#legs.set(label, { local, rtp, ...(rtcp === undefined ? {} : { rtcp }) });
      out.push(local);
    }
    return out;
  }

  #onRtcp(label: string, d: Uint8Array): void {
    const ctx = this.#inbound.get(label);
    const plain = ctx === undefined ? d : ctx.unprotectRtcp(d);
    const bytes = plain instanceof Uint8Array ? plain : plain.ok ? plain.value : undefined;
    const r = bytes === undefined ? undefined : this.#reporter?.receive(bytes);
    if (r?.aboutUs !== undefined && r.aboutUs > 0) this.rtcpReceived++;
    if (r?.loop === true) this.rtcpLooped++;
  }

  /** Starts the accepted streams, or applies a later offer/answer to them (stream-changes.ts). */
  start(streams: readonly ActiveStream[], group: string): void {
    this.#group = group;
    this.#reporter ??= new RtcpReporter({ clock: this.o.clock, ids: this.o.ids, cname: this.o.cname });
    const changes = streamChanges(this.#current, streams);
    for (const label of changes.removed) this.#removeStream(label);
    for (const { stream: s, change, held } of changes.next) {
      const label = s.local.label;
      const leg = this.#legs.get(label);
      if (leg === undefined) continue;
      this.#current.set(label, s);
      if (change !== "same") this.#setStream(s, change, leg);
      this.#forker.holdOutput(label, held);
    }
    if (this.#pacer === undefined) {
      this.#pacer = new Pacer({ clock: this.o.clock, ptimeMs: this.o.ptimeMs }, (n) => this.#tick(n));
      this.#pacer.start();
    }
    this.#reporter.start();
  }

  #setStream(s: ActiveStream, change: Exclude<StreamChange, "same">, leg: Leg): void {
    const label = s.local.label;
    const o = s.outcome;
    const keys = sdesContexts(s);
    if (keys.outbound === undefined) this.#srtp.delete(label);
    else this.#srtp.set(label, keys.outbound);
    if (keys.inbound === undefined) this.#inbound.delete(label);
    else this.#inbound.set(label, keys.inbound);
    const protect = keys.outbound === undefined ? undefined : (b: Uint8Array) => (this.#srtp.get(label) as SrtpContext).protectRtp(b);
    const send = (b: Uint8Array): boolean => {
      const to = (this.#current.get(label) as ActiveStream).outcome;
      return leg.rtp.send(b, to.port, to.connection.address);
    };
    if (change === "retarget") {
      this.#forker.retargetOutput(label, { port: { send }, payloadType: o.payloadType, ...(protect === undefined ? {} : { protect }) });
      return;
    }
    const codec = o.codec === "PCMA" ? "PCMA" : "PCMU";
    this.#forker.removeInput(label);
    this.#forker.addInput({ id: label, codec, clockRate: 8000 });
    this.#forker.addOutput(label, { id: label, group: this.#group, payloadType: o.payloadType, codec, clockRate: 8000, ptimeMs: this.o.ptimeMs, dtmf: "drop", ...(protect === undefined ? {} : { protect }), port: { send } });
    if (!this.#sources.has(label)) this.#sources.set(label, this.#source(this.#sources.size));
    this.#reporter?.add({
      id: label,
      cname: `${label}.${this.o.cname}`,
      info: () => this.#forker.outputInfo(label),
      send: (b) => {
        const cur = (this.#current.get(label) as ActiveStream).outcome;
        const to = rtcpRoute(cur, leg);
        const ctx = this.#srtp.get(label);
        const p = ctx === undefined ? b : (ctx.protectRtcp(b) as { ok: true; value: Uint8Array }).value;
        to.via.send(p, to.port, to.host);
      },
    });
  }

  /** Stream `i`'s audio: its own tone, its captured direction, or the WAV. */
  #source(i: number): () => Int16Array {
    const tone = new ToneSource(STREAM_TONES[i % STREAM_TONES.length] as number);
    const frame = (this.o.ptimeMs * 8000) / 1000;
    const audio = this.o.perStream?.[i] ?? this.o.wav;
    return () => {
      if (audio === undefined) return tone.next(this.o.ptimeMs);
      const out = new Int16Array(frame);
      for (let k = 0; k < frame; k++) out[k] = audio[(this.#wavAt + k) % Math.max(1, audio.length)] as number;
      return out;
    };
  }

  #tick(n: number): void {
    for (const s of this.#current.values()) {
      const label = s.local.label;
      const codec = s.outcome.codec === "PCMA" ? "PCMA" : "PCMU";
      const pcm = (this.#sources.get(label) as () => Int16Array)();
      this.#forker.receive(label, serializeRtp({ marker: n === 0, payloadType: 0, sequence: n & 0xffff, timestamp: (n * pcm.length) >>> 0, ssrc: 1, csrcs: [], payload: encodeG711(codec, pcm), paddingLength: 0 }));
    }
    this.#wavAt += (this.o.ptimeMs * 8000) / 1000;
  }

  /** RFC 3264 §8.2: a stream set to port 0 is gone: no RTP, no RTCP, its ports freed. */
  #removeStream(label: string): void {
    this.#reporter?.remove(label);
    this.#forker.removeInput(label);
    this.#current.delete(label);
    const leg = this.#legs.get(label);
    this.#legs.delete(label);
    if (leg !== undefined) (leg.rtp.close(), leg.rtcp?.close());
  }

  gate(open: boolean): void {
    this.#forker.setGate(this.#group, open);
  }

  stop(): StreamFigures[] {
    this.#pacer?.stop();
    this.#reporter?.bye();
    const figures = [...this.#current.values()].map((s) => outputFigures(s.local.label, this.#forker, s.local.label, this.#reporter));
    // Let the final RTCP BYE leave before the sockets close.
    const legs = [...this.#legs.values()];
    this.#legs.clear();
    setTimeout(() => legs.forEach((l) => (l.rtp.close(), l.rtcp?.close())), 50);
    return figures;
  }

  release(local: readonly LocalStream[]): void {
    releaseUnused(local, this.#legs, [...this.#current.values()]);
  }
}
