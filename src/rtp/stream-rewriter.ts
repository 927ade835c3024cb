/**
 * One outgoing RTP stream's numbering (RFC 3550 §5.1): our own random SSRC,
 * initial sequence and timestamp (§5.1: "The initial value of the sequence
 * number SHOULD be random"), a sequence that never skips, and a timestamp
 * on the media clock so that gaps and pauses keep their real length.
 *
 * While the input's timestamps agree with the wall clock they are followed
 * exactly (no added jitter). When the input jumps — a new SSRC, a timestamp
 * discontinuity (FreeSWITCH native taps pass the call's own jumps through),
 * or a resume after a pause — the stream re-anchors on the wall clock. The
 * first packet after any gap carries the marker bit.
 */
export interface RewriteInput {
  readonly ssrc: number;
  readonly sequence: number;
  readonly timestamp: number;
  readonly marker: boolean;
}

/** Flags returned by next(): the packet gets the marker bit / a gap precedes it. */
export const MARKER = 1;
export const GAP = 2;

/** Input jumps bigger than this (vs the wall clock) re-anchor the timestamp. */
const MAX_SKEW_MS = 300;

export class StreamRewriter {
  #seq: number;
  #lastTs: number;
  #lastWall = -1;
  #inSsrc = -1;
  #inTs = 0;
  #inSeq = 0;
  #reanchor = false;
  #first = true;

  constructor(
    readonly ssrc: number,
    initialSeq: number,
    initialTs: number,
    readonly clockRate: number,
    private readonly ptimeSamples: number,
    /** Input timestamp units per output unit (2: a 16 kHz input onto an 8000 Hz clock, G.722 or G.711 from L16/16000). */
    private readonly divisor = 1,
  ) {
    this.#seq = (initialSeq - 1) & 0xffff;
    this.#lastTs = initialTs >>> 0;
  }

  get lastTimestamp(): number {
    return this.#lastTs;
  }

  get lastSequence(): number {
    return this.#seq;
  }

  /** The next packet after this call re-anchors on the wall clock (used on resume). */
  markDiscontinuity(): void {
    this.#reanchor = true;
  }

  /** The media timestamp "now" on this stream's clock (for DTMF events, RTCP SR). */
  timestampAt(wallMs: number): number {
    if (this.#lastWall < 0) return this.#lastTs;
    return (this.#lastTs + Math.round(((wallMs - this.#lastWall) * this.clockRate) / 1000)) >>> 0;
  }

  /**
   * Numbers the next packet; read lastSequence/lastTimestamp afterwards.
   * Returns MARKER | GAP flags (no allocation on the hot path).
   */
  next(p: RewriteInput, wallMs: number): number {
    return this.nextRaw(p.ssrc, p.sequence, p.timestamp, p.marker, wallMs);
  }

  nextRaw(inSsrc: number, inSeq: number, inTs: number, inMarker: boolean, wallMs: number): number {
    let ts: number;
    let gap = false;
    if (this.#first) {
      ts = this.#lastTs;
      gap = true;
    } else {
      const wallDelta = wallMs - this.#lastWall;
      const tsDelta = this.divisor === 1 ? (inTs - this.#inTs) | 0 : Math.round(((inTs - this.#inTs) | 0) / this.divisor);
      const seqDelta = (inSeq - this.#inSeq) & 0xffff;
      const skewMs = Math.abs((tsDelta * 1000) / this.clockRate - wallDelta);
      const jumped = this.#reanchor || inSsrc !== this.#inSsrc || tsDelta <= 0 || skewMs > MAX_SKEW_MS || seqDelta > 1000;
      if (jumped) {
        // Keep the real elapsed time, rounded to whole packets, and never go backwards.
        const samples = Math.max(this.ptimeSamples, Math.round((wallDelta * this.clockRate) / 1000 / this.ptimeSamples) * this.ptimeSamples);
        ts = (this.#lastTs + samples) >>> 0;
        gap = true;
      } else {
        ts = (this.#lastTs + tsDelta) >>> 0;
        gap = tsDelta > this.ptimeSamples * 1.5 || seqDelta > 1;
      }
    }
    this.#first = false;
    this.#reanchor = false;
    this.#seq = (this.#seq + 1) & 0xffff;
    this.#lastTs = ts;
    this.#lastWall = wallMs;
    this.#inSsrc = inSsrc;
    this.#inTs = inTs;
    this.#inSeq = inSeq;
    return (gap || inMarker ? MARKER : 0) | (gap ? GAP : 0);
  }

  /** Advances for a packet we generate ourselves (silence, DTMF) at `ts`. */
  take(): number {
    this.#seq = (this.#seq + 1) & 0xffff;
    return this.#seq;
  }
}
