/**
 * FreeSWITCH's stereo recording format as the media-bug tap reads it
 * (`uuid_record` with RECORD_STEREO=true into a `.r8` path): headerless
 * 16-bit little-endian PCM at 8 kHz, two channels interleaved, left = what
 * the recorded channel reads (its far end), right = what it writes (the
 * other party). Observed on FreeSWITCH 1.10.12: 640-byte writes every 20 ms.
 *
 * `StereoFramer` cuts the byte stream (a pipe read may hold part of a frame
 * or many frames) into whole frames of `samples` per channel; `encodeStereo`
 * turns one frame into the G.711 payload of each side, or of their sum;
 * `splitStereoL16` into L16 (RFC 3551 §4.5.11: network byte order) for
 * the 16 kHz recording (`.r16`) of the wideband tap.
 */
import { type G711, linearToG711Table } from "./g711.ts";

/** Bytes per stereo sample frame: two channels of 16 bits. */
export const STEREO_FRAME_BYTES = 4;

export type StereoLayout = "separate" | "mixed";

/**
 * One frame of `samples` stereo samples at `offset` of `pcm` as G.711:
 * "separate" fills `left` and `right`; "mixed" fills `left` with the sum of
 * both channels (clipped to 16 bits) and leaves `right` alone.
 */
export function encodeStereo(pcm: Uint8Array, offset: number, samples: number, law: G711, layout: StereoLayout, left: Uint8Array, right: Uint8Array): void {
  const t = linearToG711Table(law);
  let o = offset;
  if (layout === "separate") {
    for (let i = 0; i < samples; i++, o += 4) {
      left[i] = t[(pcm[o] as number) | ((pcm[o + 1] as number) << 8)] as number;
      right[i] = t[(pcm[o + 2] as number) | ((pcm[o + 3] as number) << 8)] as number;
    }
    return;
  }
  for (let i = 0; i < samples; i++, o += 4) {
    const l = (((pcm[o] as number) | ((pcm[o + 1] as number) << 8)) << 16) >> 16;
    const r = (((pcm[o + 2] as number) | ((pcm[o + 3] as number) << 8)) << 16) >> 16;
    const s = l + r;
    left[i] = t[(s > 32767 ? 32767 : s < -32768 ? -32768 : s) & 0xffff] as number;
  }
}

/**
 * Whole frames out of a byte stream. `push(chunk, onFrame)` calls
 * `onFrame(bytes, offset)` for every complete frame, in order, reading from
 * the chunk itself where it can and from a carry buffer for a frame split
 * across reads; it keeps at most one partial frame. Bounded: never holds
 * more than `frameBytes - 1` bytes between calls.
 */
export class StereoFramer {
  readonly frameBytes: number;
  readonly #carry: Uint8Array;
  #carried = 0;

  constructor(readonly samples: number) {
    this.frameBytes = samples * STEREO_FRAME_BYTES;
    this.#carry = new Uint8Array(this.frameBytes);
  }

  /** Bytes of a partial frame waiting for the next read. */
  get pending(): number {
    return this.#carried;
  }

  push(chunk: Uint8Array, onFrame: (bytes: Uint8Array, offset: number) => void): number {
    let at = 0;
    let frames = 0;
    if (this.#carried > 0) {
      const need = this.frameBytes - this.#carried;
      const take = Math.min(need, chunk.length);
      this.#carry.set(chunk.subarray(0, take), this.#carried);
      this.#carried += take;
      at = take;
      if (this.#carried < this.frameBytes) return 0;
      this.#carried = 0;
      onFrame(this.#carry, 0);
      frames++;
    }
    for (; at + this.frameBytes <= chunk.length; at += this.frameBytes) {
      onFrame(chunk, at);
      frames++;
    }
    if (at < chunk.length) {
      this.#carry.set(chunk.subarray(at), 0);
      this.#carried = chunk.length - at;
    }
    return frames;
  }

  /** Drops a partial frame (the writer went away mid-frame; the next one starts aligned). */
  reset(): void {
    this.#carried = 0;
  }
}

/**
 * One frame of `samples` stereo samples at `offset` of `pcm` as L16
 * (16-bit big-endian, RFC 3551 §4.5.11 "in network byte order"): "separate"
 * fills `left` and `right` (2 bytes a sample); "mixed" fills `left` with the
 * clipped sum and leaves `right` alone.
 */
export function splitStereoL16(pcm: Uint8Array, offset: number, samples: number, layout: StereoLayout, left: Uint8Array, right: Uint8Array): void {
  let o = offset;
  if (layout === "separate") {
    for (let i = 0, w = 0; i < samples; i++, o += 4, w += 2) {
      left[w] = pcm[o + 1] as number;
      left[w + 1] = pcm[o] as number;
      right[w] = pcm[o + 3] as number;
      right[w + 1] = pcm[o + 2] as number;
    }
    return;
  }
  for (let i = 0, w = 0; i < samples; i++, o += 4, w += 2) {
    const l = (((pcm[o] as number) | ((pcm[o + 1] as number) << 8)) << 16) >> 16;
    const r = (((pcm[o + 2] as number) | ((pcm[o + 3] as number) << 8)) << 16) >> 16;
    const s = l + r;
    const c = (s > 32767 ? 32767 : s < -32768 ? -32768 : s) & 0xffff;
    left[w] = c >>> 8;
    left[w + 1] = c & 0xff;
  }
}
