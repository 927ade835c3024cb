/**
 * The media-bug tap's frames as RTP for the forker (media-bug-tap.ts): what
 * a recording's sample rate and the ptime mean for frame and packet sizes,
 * and one stereo frame (ptime long) written as one packet per stream
 * (G.711 at 8 kHz, L16 at 16 kHz) into buffers the streams reuse (the
 * forker copies what it sends).
 */
import { type StereoLayout, encodeStereo, splitStereoL16 } from "../media/stereo-pcm.ts";

/** What one sample rate means for the frames and the packets fed to the forker. */
export interface Format {
  readonly rate: 8000 | 16000;
  /** One packet's samples per channel (ptime; FreeSWITCH writes 20 ms at a time, the framer cuts whatever this is). */
  readonly frameSamples: number;
  /** One packet's milliseconds (ptime). */
  readonly frameMs: number;
  readonly frameBytes: number;
  /** Bytes of stereo PCM per millisecond (2 channels of 16 bits). */
  readonly bytesPerMs: number;
  readonly codec: "PCMU" | "L16";
  readonly payloadType: number;
  readonly payloadBytes: number;
}

export function formatFor(rate: 8000 | 16000, ptimeMs = 20): Format {
  const frameSamples = (rate / 1000) * ptimeMs;
  const wide = rate === 16000;
  return {
    rate,
    frameSamples,
    frameMs: ptimeMs,
    frameBytes: frameSamples * 4,
    bytesPerMs: (rate * 4) / 1000,
    codec: wide ? "L16" : "PCMU",
    payloadType: wide ? 96 : 0,
    payloadBytes: wide ? frameSamples * 2 : frameSamples,
  };
}

export interface FrameStream {
  readonly label: string;
  readonly ssrc: number;
  seq: number;
  ts: number;
  /** One reused packet: the forker copies what it sends. */
  readonly packet: Uint8Array;
  readonly payload: Uint8Array;
}

/** One frame at `offset` of `bytes` as the next packet of each stream, handed to `send` (buffers reused). */
export function frameToPackets(
  f: Format,
  layout: StereoLayout,
  bytes: Uint8Array,
  offset: number,
  streams: readonly FrameStream[],
  send: (label: string, packet: Uint8Array) => void,
): void {
  const [a, b] = streams;
  if (a === undefined) return;
  if (f.codec === "L16") splitStereoL16(bytes, offset, f.frameSamples, layout, a.payload, (b ?? a).payload);
  else encodeStereo(bytes, offset, f.frameSamples, "PCMU", layout, a.payload, (b ?? a).payload);
  for (const s of streams) {
    const p = s.packet;
    s.seq = (s.seq + 1) & 0xffff;
    p[0] = 0x80;
    p[1] = f.payloadType; // the forker sets its own marker on any gap
    p[2] = s.seq >>> 8;
    p[3] = s.seq & 0xff;
    p[4] = s.ts >>> 24;
    p[5] = (s.ts >>> 16) & 0xff;
    p[6] = (s.ts >>> 8) & 0xff;
    p[7] = s.ts & 0xff;
    p[8] = s.ssrc >>> 24;
    p[9] = (s.ssrc >>> 16) & 0xff;
    p[10] = (s.ssrc >>> 8) & 0xff;
    p[11] = s.ssrc & 0xff;
    s.ts = (s.ts + f.frameSamples) >>> 0;
    send(s.label, p);
  }
}
