/**
 * The tap legs of one recording: originated together for a stream mode,
 * armed in the tap listener with the recording's token, watched until each
 * carries RTP. `ready` fires once every leg has audio; `failed` when one
 * cannot get there (originate refused, hung up before any RTP — FreeSWITCH's
 * codec-mismatch case — or no RTP within the answer timeout).
 *
 * A leg that carried audio and then ends while the recording still wants it
 * (someone ran uuid_kill on it, a FreeSWITCH hiccup) is originated again
 * after 0.5, 1, 2, 4, 8 s, at most MAX_RESTORES times per recording; the
 * stream to the SRS goes on (the forker bridges the new leg's SSRC and
 * numbering). A replacement that fails is retried the same way, never
 * failing a recording that is already up; `lost` reports giving up.
 */
import { type Backoff, backoffMs } from "../lib/backoff.ts";
import { labelOfTap } from "./call-metadata.ts";
import type { TimerId } from "../lib/clock.ts";
import { uuidV4 } from "../lib/ids.ts";
import type { RecorderDeps, RecordingMedia } from "./ports.ts";
import { type TapDirection, originateOutcome, tapOriginateCommand } from "./tap-command.ts";
import type { StreamMode } from "./triggers.ts";
import { MAX_RESTORES, type TapSetEvents, type TapSetTarget, type TapSource } from "./tap-source.ts";

/** 0.5 s, 1 s, 2 s ... before a tap leg is originated again. */
const RESTORE_BACKOFF: Backoff = { initialMs: 500, maxMs: 30_000 };

interface Leg {
  readonly direction: TapDirection;
  readonly label: string;
  readonly legUuid: string;
  /** A replacement for a leg that was lost mid-recording. */
  readonly restore: boolean;
  disarm: () => void;
  hangup: (() => void) | undefined;
  rtp: boolean;
  done: boolean;
}

/**
 * The tap leg's absolute_codec_string: a native tap must equal the call's
 * codec (ARCHITECTURE.md); a mixed `eavesdrop` leg is transcoded by
 * FreeSWITCH, so it asks for G.711 whatever the call speaks.
 */
export function tapCodec(direction: TapDirection, callCodec: string): string {
  if (direction !== "both") return callCodec;
  return /^PCM[AU]$/i.test(callCodec) ? callCodec.toUpperCase() : "PCMU";
}

export class TapSet implements TapSource {
  readonly method = "legs" as const;
  readonly files: string[] = [];
  #legs: Leg[] = [];
  #timer: TimerId | undefined;
  #restoreTimers = new Set<TimerId>();
  #restores = 0;
  #ready = false;

  constructor(
    private readonly d: RecorderDeps,
    private readonly t: TapSetTarget,
    private readonly media: RecordingMedia,
    private readonly events: TapSetEvents,
  ) {}

  get count(): number {
    return this.#legs.length;
  }

  get legUuids(): string[] {
    return this.#legs.map((l) => l.legUuid);
  }

  /** Originates the legs of `mode` (read+write, or one both) and starts the answer timeout. */
  start(mode: StreamMode): void {
    this.drop();
    this.#ready = false;
    const directions: TapDirection[] = mode === "separate" ? ["read", "write"] : ["both"];
    this.#legs = directions.map((direction) =>
      this.#originate(direction, direction === "both" ? "1" : labelOfTap(direction, this.t.channelDirection()), false),
    );
    const ms = this.d.tapTarget.answerTimeoutMs;
    this.#timer = this.d.clock.setTimer(ms, () => {
      this.#timer = undefined;
      const late = this.#legs.filter((l) => !l.rtp).map((l) => l.direction);
      if (late.length > 0) this.#fail(`no RTP on the ${late.join("/")} tap leg within ${ms} ms`);
    });
  }

  /** Hangs every leg up (FreeSWITCH ends the eavesdrop) and forgets it. */
  drop(): void {
    this.#clearTimer();
    this.#clearRestores();
    for (const l of this.#legs) {
      l.done = true;
      l.disarm();
      l.hangup?.();
      this.media.detachLeg(l.label);
    }
    this.#legs = [];
  }

  /** The recorded call is gone: FreeSWITCH ends the legs itself; stop expecting them. */
  forget(): void {
    this.#clearTimer();
    this.#clearRestores();
    for (const l of this.#legs) {
      l.done = true;
      l.disarm();
    }
    this.#legs = [];
  }

  #originate(direction: TapDirection, label: string, restore: boolean): Leg {
    const leg: Leg = { direction, label, legUuid: uuidV4(this.d.ids), restore, disarm: () => {}, hangup: undefined, rtp: false, done: false };
    // A leg that cannot get going: the recording's first legs fail it; a replacement is tried again.
    const broken = (reason: string): void => (restore ? this.#restoreLater(leg, reason) : this.#fail(reason));
    leg.disarm = this.d.tap.expect({
      recordingId: this.t.recordingId,
      direction,
      token: this.t.token,
      onAnswered: (tap) => {
        if (leg.done) return tap.hangup();
        leg.hangup = () => tap.hangup();
        this.media.attachLeg(label, tap);
      },
      onPacket: (p) => {
        if (!leg.rtp) {
          leg.rtp = true;
          if (restore) this.events.restored?.(direction);
          if (!this.#ready && this.#legs.includes(leg) && this.#legs.every((l) => l.rtp)) {
            this.#ready = true;
            this.#clearTimer();
            this.events.ready();
          }
        }
        this.media.packet(label, p);
      },
      onEnded: (why) => {
        this.media.detachLeg(label);
        if (leg.done) return;
        if (leg.rtp) this.#restoreLater(leg, why);
        else broken(`the ${direction} tap leg ended before any RTP (${why})`);
      },
    });
    const cmd = tapOriginateCommand({
      callUuid: this.t.callUuid,
      legUuid: leg.legUuid,
      direction,
      codec: tapCodec(direction, this.t.codec()),
      profile: this.d.tapTarget.profile,
      host: this.d.tapTarget.host,
      port: this.d.tapTarget.port,
      recordingId: this.t.recordingId,
      token: this.t.token,
    });
    if (!cmd.ok) {
      void Promise.resolve().then(() => broken(cmd.error.message));
      return leg;
    }
    void this.d.esl.bgapi(cmd.value).then((r) => {
      if (leg.done) return;
      const outcome = r.ok ? originateOutcome(r.value.body) : { ok: false as const, cause: r.error.message };
      if (!outcome.ok) broken(`originate of the ${direction} tap leg failed: ${outcome.cause}`);
    });
    if (restore) {
      // A replacement has its own answer timeout (the first legs share the one in start()).
      const ms = this.d.tapTarget.answerTimeoutMs;
      const id = this.d.clock.setTimer(ms, () => {
        this.#restoreTimers.delete(id);
        if (!leg.done && !leg.rtp) this.#restoreLater(leg, `no RTP within ${ms} ms`);
      });
      this.#restoreTimers.add(id);
    }
    return leg;
  }

  /** Ends `leg` and originates its replacement after a back-off, unless the recording no longer wants it. */
  #restoreLater(leg: Leg, why: string): void {
    if (!this.#legs.includes(leg)) return;
    leg.done = true;
    leg.disarm();
    leg.hangup?.();
    if (this.#restores >= MAX_RESTORES) {
      this.events.lost?.(`the ${leg.direction} tap leg ended (${why}) and was originated again ${MAX_RESTORES} times: giving up, the stream stays silent`);
      return;
    }
    const attempt = ++this.#restores;
    // Waiting first also lets a hangup that ended the legs with the call arrive and cancel this.
    const id = this.d.clock.setTimer(backoffMs(RESTORE_BACKOFF, attempt - 1), () => {
      this.#restoreTimers.delete(id);
      const at = this.#legs.indexOf(leg);
      if (at < 0) return; // dropped or forgotten meanwhile (the call ended, a pause detached the taps)
      this.events.restoring?.(leg.direction, attempt, why);
      this.#legs[at] = this.#originate(leg.direction, leg.label, true);
    });
    this.#restoreTimers.add(id);
  }

  #clearRestores(): void {
    for (const id of this.#restoreTimers) this.d.clock.clearTimer(id);
    this.#restoreTimers.clear();
  }

  #fail(reason: string): void {
    this.drop();
    this.events.failed(reason);
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) this.d.clock.clearTimer(this.#timer);
    this.#timer = undefined;
  }
}
