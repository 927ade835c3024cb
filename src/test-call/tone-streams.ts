/**
 * test-call's packet source: each stream plays its own tone (or a WAV, or
 * a captured call's direction) as G.711, paced on absolute deadlines, into
 * the forker in front of the outbound streams (pause gate, own
 * SSRC/sequence/timestamps, SRTP when negotiated, RTCP both ways).
 */
import { encodeG711 } from "../media/g711.ts";
import { STREAM_TONES, ToneSource } from "../media/tone.ts";
import { Forker } from "../rtp/forker.ts";
import { FramePacer } from "../rtp/frame-pacer.ts";
import { serializeRtp } from "../rtp/packet.ts";
import type { RtpSocketPort } from "../rtp/rtp-socket-port.ts";
import { OutboundStreams, streamEnv } from "../siprec/session/outbound-streams.ts";
import type { Clock } from "../lib/clock.ts";
import type { IdSource } from "../lib/ids.ts";

export interface ToneStreamsOptions {
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly sockets: RtpSocketPort;
  readonly ptimeMs: number;
  readonly rtcpMux: boolean;
  readonly cname: string;
  /** 8 kHz linear audio to loop instead of tones (same for every stream). */
  readonly wav?: Int16Array;
  /** 8 kHz linear audio per stream, in stream order (a captured call's directions), looped. */
  readonly perStream?: readonly Int16Array[];
}

/** The tone source and its outbound streams (`media`, the session's MediaDriver). */
export class ToneStreams {
  readonly #forker: Forker;
  readonly media: OutboundStreams;
  #pacer?: FramePacer;
  /** Per label: its audio and the G.711 law its input is in. */
  readonly #sources = new Map<string, { next: () => Int16Array; law: "PCMU" | "PCMA" }>();
  #wavAt = 0;

  constructor(private readonly o: ToneStreamsOptions) {
    const forker = new Forker({ clock: o.clock, ids: o.ids });
    this.#forker = forker;
    this.media = new OutboundStreams({
      ...streamEnv(o),
      forker,
      ptimeMs: o.ptimeMs,
      rtcpMux: o.rtcpMux,
      dtmf: "drop",
      watched: false,
      outputId: (label) => label,
      // G.711 in the SRS's law (the forker makes G.722 or L16/16000 of it when the SRS chose one).
      inputFor: (label, codec) => {
        const law = codec === "PCMA" ? "PCMA" : "PCMU";
        forker.removeInput(label);
        forker.addInput({ id: label, codec: law, clockRate: 8000 });
        const source = this.#sources.get(label)?.next ?? this.#source(this.#sources.size);
        this.#sources.set(label, { next: source, law });
        return true;
      },
      onRemoved: (label) => forker.removeInput(label),
      onStart: () => {
        if (this.#pacer !== undefined) return;
        this.#pacer = new FramePacer({ clock: o.clock, ptimeMs: o.ptimeMs }, (n) => this.#tick(n));
        this.#pacer.start();
      },
      onStop: () => this.#pacer?.stop(),
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
    for (const s of this.media.current) {
      const label = s.local.label;
      const src = this.#sources.get(label);
      if (src === undefined) continue;
      const pcm = src.next();
      this.#forker.receive(
        label,
        serializeRtp({
          marker: n === 0,
          payloadType: 0,
          sequence: n & 0xffff,
          timestamp: (n * pcm.length) >>> 0,
          ssrc: 1,
          csrcs: [],
          payload: encodeG711(src.law, pcm),
          paddingLength: 0,
        }),
      );
    }
    this.#wavAt += (this.o.ptimeMs * 8000) / 1000;
  }
}
