/**
 * The media-bug tap: FreeSWITCH records the call in stereo (`uuid_record`,
 * record-command.ts) into a named pipe the daemon opened for reading first;
 * the daemon cuts the PCM into frames of [recording] ptime (20 ms unless
 * set; FreeSWITCH writes 20 ms at a time), encodes each side as G.711
 * (or their sum for a mixed stream) and feeds RecordingMedia as RTP under
 * the stream labels, exactly where tap-leg RTP would go. Wideband
 * (`sampleRate` 16000, a `.r16` recording: the SRS may take G.722 or L16):
 * each side goes in as L16/16000 and the forker makes each SRS's codec of
 * it (transcode.ts: L16, G.722, or G.711 decimated). FreeSWITCH
 * decodes the call whatever its codec, so Opus and G.722 calls record as
 * separate streams too, and no SIP channel is added to FreeSWITCH.
 *
 * Faults and what happens:
 * - `uuid_record` refused or no audio within the answer timeout: `failed`
 *   (the Recording falls back to tap legs).
 * - FreeSWITCH stops our recording mid-call (RECORD_STOP for our path, not
 *   asked by us) or no audio arrives for `stallMs`: `uuid_record` is issued
 *   again into the same pipe after 0.5, 1, 2, 4, 8 s (MAX_RESTORES), then
 *   `lost`. A watchdog round that fires late (this process was stopped)
 *   is skipped, so a stalled daemon does not blame FreeSWITCH.
 * - The daemon fell behind (a stall: the pipe holds a backlog): audio older
 *   than `maxBacklogMs` is dropped and reported as a gap; the RTP timestamps
 *   advance over it, so the SRS's timeline stays true and the newest audio
 *   arrives within a jitter window.
 * - Stopping: `uuid_record stop` first, the pipe is read (and discarded)
 *   until FreeSWITCH has let go, then closed: FreeSWITCH's last writes must
 *   never meet a full pipe nobody reads.
 */
import { type Backoff, backoffMs } from "../lib/backoff.ts";
import type { TimerId } from "../lib/clock.ts";
import { StereoFramer, type StereoLayout } from "../media/stereo-pcm.ts";
import { type Format, type FrameStream, formatFor, frameToPackets } from "./media-bug-frames.ts";
import { labelOfTap } from "./call-metadata.ts";
import type { PcmPipe, RecorderDeps, RecordingMedia } from "./ports.ts";
import { recordOutcome, recordStartCommand, recordStopCommand } from "./record-command.ts";
import { MAX_RESTORES, type TapSetEvents, type TapSetTarget, type TapSource } from "./tap-source.ts";
import type { StreamMode } from "./triggers.ts";

const RESTORE_BACKOFF: Backoff = { initialMs: 500, maxMs: 30_000 };
const WATCH_MS = 1000;
/** A watchdog round later than this was held up by this process, not by FreeSWITCH. */
const LATE_ROUND_MS = 500;
/** After stop, the pipe is drained this long at most before it is closed anyway. */
export const PIPE_LINGER_MS = 2000;

export interface MediaBugTapOptions {
  /** Audio older than this when read is dropped and reported as a gap (keep it under the rewriter's 300 ms skew). */
  readonly maxBacklogMs: number;
  /** No audio for this long from a flowing recording: FreeSWITCH lost it, set it up again. */
  readonly stallMs: number;
  /** The rate FreeSWITCH records at: 8000 (G.711 toward the SRS) or 16000 (wideband SRS codecs offered). */
  readonly sampleRate?: 8000 | 16000;
  /** Milliseconds of audio per packet fed to the forker ([recording] ptime; 20 when absent). */
  readonly ptimeMs?: number;
}

export class MediaBugTap implements TapSource {
  readonly method = "media-bug" as const;
  readonly legUuids: string[] = [];
  #pipe: PcmPipe | undefined;
  #streams: FrameStream[] = [];
  /** Where each frame's packets go (made once: a frame is 50 a second per recording). */
  readonly #send = (label: string, packet: Uint8Array): void => this.media.packet(label, packet);
  #layout: StereoLayout = "separate";
  readonly #f: Format;
  readonly #framer: StereoFramer;
  /** Whether our `uuid_record` is (believed to be) on the call. */
  #recording = false;
  #done = true;
  #ready = false;
  /** A restore is waiting for its first audio. */
  #restoring = false;
  #restores = 0;
  #lastDataMs = 0;
  #gapMs = 0;
  #answerTimer: TimerId | undefined;
  #watchTimer: TimerId | undefined;
  #restoreTimer: TimerId | undefined;

  constructor(
    private readonly d: RecorderDeps,
    private readonly t: TapSetTarget,
    private readonly media: RecordingMedia,
    private readonly events: TapSetEvents & { gap?(ms: number): void },
    private readonly o: MediaBugTapOptions,
  ) {
    this.#f = formatFor(o.sampleRate ?? 8000, o.ptimeMs ?? 20);
    this.#framer = new StereoFramer(this.#f.frameSamples);
  }

  get count(): number {
    return this.#pipe === undefined || this.#done ? 0 : 1;
  }

  get files(): string[] {
    return this.#pipe === undefined || this.#done ? [] : [this.#pipe.path];
  }

  start(mode: StreamMode): void {
    this.drop();
    this.#done = false;
    this.#ready = false;
    this.#restoring = false;
    this.#layout = mode;
    const dir = this.t.channelDirection();
    const labels = mode === "separate" ? [labelOfTap("read", dir), labelOfTap("write", dir)] : ["1"];
    this.#streams = labels.map((label) => {
      const packet = new Uint8Array(12 + this.#f.payloadBytes);
      return { label, ssrc: this.d.ids.uint32(), seq: this.d.ids.uint32() & 0xffff, ts: this.d.ids.uint32(), packet, payload: packet.subarray(12) };
    });
    const pipes = this.d.pipes;
    if (pipes === undefined) return this.#failSoon("the media-bug tap has no pipe directory");
    const opened = pipes.open(this.t.recordingId, (chunk, queued) => this.#onData(chunk, queued), this.#f.rate);
    if (!opened.ok) return this.#failSoon(`cannot open the tap pipe: ${opened.error.message}`);
    this.#pipe = opened.value;
    for (const s of this.#streams) {
      this.media.attachLeg(s.label, {
        recordingId: this.t.recordingId,
        direction: mode === "mixed" ? "both" : s === this.#streams[0] ? "read" : "write",
        codec: this.#f.codec,
        payloadType: this.#f.payloadType,
        clockRate: this.#f.rate,
        telephoneEventPt: undefined,
        hangup: () => {},
      });
    }
    this.#record(false);
    this.#watch();
  }

  drop(): void {
    const pipe = this.#pipe;
    const wasRecording = this.#recording;
    this.#end();
    if (pipe === undefined) return;
    const stop = wasRecording ? recordStopCommand(this.t.callUuid, pipe.path) : undefined;
    if (stop === undefined || !stop.ok) return this.#closeAfter(pipe, 0);
    // Close once FreeSWITCH has let go of the pipe (its answer), reading and discarding meanwhile.
    const linger = this.d.clock.setTimer(PIPE_LINGER_MS, () => pipe.close());
    void this.d.esl.bgapi(stop.value).then(() => {
      this.d.clock.clearTimer(linger);
      pipe.close();
    });
  }

  forget(): void {
    const pipe = this.#pipe;
    this.#end();
    // FreeSWITCH ends the recording with the call and writes its last frames: read them, then close.
    if (pipe !== undefined) this.#closeAfter(pipe, PIPE_LINGER_MS);
  }

  recordStopped(path: string): void {
    if (this.#done || this.#pipe?.path !== path || !this.#recording) return;
    this.#recording = false;
    this.#restoreLater("FreeSWITCH stopped the recording (RECORD_STOP)");
  }

  #record(restore: boolean): void {
    const pipe = this.#pipe;
    if (pipe === undefined) return;
    const cmd = recordStartCommand(this.t.callUuid, pipe.path, this.#f.rate);
    const broken = (reason: string): void => (restore ? this.#restoreLater(reason) : this.#fail(reason));
    if (!cmd.ok) return this.#failSoon(cmd.error.message);
    this.#recording = true;
    void this.d.esl.bgapi(cmd.value).then((r) => {
      if (this.#done || this.#pipe !== pipe) return;
      const outcome = r.ok ? recordOutcome(r.value.body) : { ok: false as const, cause: r.error.message };
      if (!outcome.ok) {
        this.#recording = false;
        // FreeSWITCH's only word for a file it cannot open (most often: it runs as another user than the daemon).
        const hint = /Cannot record session/i.test(outcome.cause) ? " (can FreeSWITCH open the pipe? it must run as the daemon's user or root)" : "";
        broken(`uuid_record into the tap pipe failed: ${outcome.cause}${hint}`);
      }
    });
    this.#clear("answer");
    const ms = this.d.tapTarget.answerTimeoutMs;
    this.#answerTimer = this.d.clock.setTimer(ms, () => {
      this.#answerTimer = undefined;
      if (!this.#done && (restore ? this.#restoring : !this.#ready)) broken(`no audio from FreeSWITCH's recording within ${ms} ms`);
    });
  }

  #onData(chunk: Uint8Array, queued: number): void {
    if (this.#done) return; // stopping: read and discard until the pipe closes
    this.#lastDataMs = this.d.clock.now();
    const f = this.#f;
    const available = Math.floor((this.#framer.pending + chunk.length) / f.frameBytes);
    // Frame i of `available` has (available-1-i) frames and `queued` bytes behind it: its age in the pipe.
    const keep = Math.max(0, Math.floor((this.o.maxBacklogMs * f.bytesPerMs - queued) / f.frameBytes) + 1);
    let skip = Math.max(0, available - keep);
    if (skip > 0) this.#gapMs += skip * f.frameMs;
    else if (this.#gapMs > 0) this.#flushGap();
    this.#framer.push(chunk, (bytes, offset) => {
      if (skip > 0) {
        skip--;
        for (const s of this.#streams) s.ts = (s.ts + f.frameSamples) >>> 0;
        return;
      }
      this.#frame(bytes, offset);
    });
    // Audio flows from the first bytes on: the INVITE does not wait for a whole (40 or 60 ms) packet.
    if (chunk.length > 0) this.#flowing();
  }

  #frame(bytes: Uint8Array, offset: number): void {
    if (this.#streams.length === 0) return;
    frameToPackets(this.#f, this.#layout, bytes, offset, this.#streams, this.#send);
  }

  /** FreeSWITCH's recording reaches the pipe: the recording is ready, or restored. */
  #flowing(): void {
    if (this.#streams.length === 0) return;
    if (!this.#ready) {
      this.#ready = true;
      this.#clear("answer");
      this.events.ready();
    } else if (this.#restoring) {
      this.#restoring = false;
      this.#clear("answer");
      this.events.restored?.(this.#layout === "mixed" ? "both" : "read");
    }
  }

  /** Checks every second that audio still flows (skipping rounds this process was too stalled to run on time). */
  #watch(): void {
    const due = this.d.clock.now() + WATCH_MS;
    this.#watchTimer = this.d.clock.setTimer(WATCH_MS, () => {
      this.#watchTimer = undefined;
      if (this.#done) return;
      const now = this.d.clock.now();
      const quiet = now - this.#lastDataMs;
      if (now - due < LATE_ROUND_MS && this.#ready && !this.#restoring && this.#recording && quiet > this.o.stallMs) {
        this.#restoreLater(`no audio from FreeSWITCH's recording for ${quiet} ms`);
      }
      this.#watch();
    });
  }

  #restoreLater(why: string): void {
    if (this.#done || this.#restoreTimer !== undefined) return;
    this.#clear("answer");
    if (this.#restores >= MAX_RESTORES) {
      this.events.lost?.(`the media-bug tap ended (${why}) and was set up again ${MAX_RESTORES} times: giving up, the streams stay silent`);
      return;
    }
    const attempt = ++this.#restores;
    const wasRecording = this.#recording;
    this.#recording = false;
    const pipe = this.#pipe;
    // A stalled recording may still be on the call: take it off before the new one.
    const stop = wasRecording && pipe !== undefined ? recordStopCommand(this.t.callUuid, pipe.path) : undefined;
    if (stop?.ok === true) void this.d.esl.bgapi(stop.value);
    // Waiting first also lets a hangup that ended the recording with the call arrive and cancel this.
    this.#restoreTimer = this.d.clock.setTimer(backoffMs(RESTORE_BACKOFF, attempt - 1), () => {
      this.#restoreTimer = undefined;
      if (this.#done) return;
      this.events.restoring?.(this.#layout === "mixed" ? "both" : "read", attempt, why);
      this.#restoring = true;
      this.#framer.reset();
      this.#lastDataMs = this.d.clock.now();
      this.#record(true);
    });
  }

  #flushGap(): void {
    const ms = Math.round(this.#gapMs);
    this.#gapMs = 0;
    if (ms > 0) this.events.gap?.(ms);
  }

  #end(): void {
    if (this.#gapMs > 0) this.#flushGap();
    this.#done = true;
    this.#recording = false;
    this.#clear("answer");
    this.#clear("watch");
    this.#clear("restore");
    for (const s of this.#streams) this.media.detachLeg(s.label);
    this.#pipe = undefined;
    this.#framer.reset();
  }

  #closeAfter(pipe: PcmPipe, ms: number): void {
    if (ms <= 0) return pipe.close();
    this.d.clock.setTimer(ms, () => pipe.close());
  }

  #fail(reason: string): void {
    if (this.#done) return;
    this.drop();
    this.events.failed(reason);
  }

  /** A failure found while starting is told after start() returns, as an originate's would be. */
  #failSoon(reason: string): void {
    void Promise.resolve().then(() => this.#fail(reason));
  }

  #clear(which: "answer" | "watch" | "restore"): void {
    const id = which === "answer" ? this.#answerTimer : which === "watch" ? this.#watchTimer : this.#restoreTimer;
    if (id !== undefined) this.d.clock.clearTimer(id);
    if (which === "answer") this.#answerTimer = undefined;
    else if (which === "watch") this.#watchTimer = undefined;
    else this.#restoreTimer = undefined;
  }
}
