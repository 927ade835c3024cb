/**
 * The tap legs of one recording: originated together for a stream mode,
 * armed in the tap listener with the recording's token, watched until each
 * carries RTP. `ready` fires once every leg has audio; `failed` when one
 * cannot get there (originate refused, hung up before any RTP — FreeSWITCH's
 * codec-mismatch case — or no RTP within the answer timeout).
 */
import type { TimerId } from "../lib/clock.ts";
import { uuidV4 } from "../lib/ids.ts";
import type { RecorderDeps, RecordingMedia } from "./ports.ts";
import { type TapDirection, originateOutcome, tapOriginateCommand } from "./tap-command.ts";
import type { StreamMode } from "./triggers.ts";

interface Leg {
  readonly direction: TapDirection;
  readonly label: string;
  readonly legUuid: string;
  disarm: () => void;
  hangup: (() => void) | undefined;
  rtp: boolean;
  done: boolean;
}

export interface TapSetTarget {
  readonly recordingId: string;
  readonly callUuid: string;
  readonly token: string;
  /** The recorded channel's codec now (absolute_codec_string of native legs). */
  codec(): string;
}

export class TapSet {
  #legs: Leg[] = [];
  #timer: TimerId | undefined;

  constructor(
    private readonly d: RecorderDeps,
    private readonly t: TapSetTarget,
    private readonly media: RecordingMedia,
    private readonly events: { ready(): void; failed(reason: string): void },
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
    const directions: TapDirection[] = mode === "separate" ? ["read", "write"] : ["both"];
    this.#legs = directions.map((direction, i) => this.#originate(direction, String(i + 1)));
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
    for (const l of this.#legs) {
      l.done = true;
      l.disarm();
    }
    this.#legs = [];
  }

  #originate(direction: TapDirection, label: string): Leg {
    const leg: Leg = { direction, label, legUuid: uuidV4(this.d.ids), disarm: () => {}, hangup: undefined, rtp: false, done: false };
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
          if (this.#legs.includes(leg) && this.#legs.every((l) => l.rtp)) {
            this.#clearTimer();
            this.events.ready();
          }
        }
        this.media.packet(label, p);
      },
      onEnded: (why) => {
        this.media.detachLeg(label);
        if (!leg.done && !leg.rtp) this.#fail(`the ${direction} tap leg ended before any RTP (${why})`);
        leg.done = true;
      },
    });
    const cmd = tapOriginateCommand({ callUuid: this.t.callUuid, legUuid: leg.legUuid, direction, codec: this.t.codec(), profile: this.d.tapTarget.profile, host: this.d.tapTarget.host, port: this.d.tapTarget.port, recordingId: this.t.recordingId, token: this.t.token });
    if (!cmd.ok) {
      void Promise.resolve().then(() => this.#fail(cmd.error.message));
      return leg;
    }
    void this.d.esl.bgapi(cmd.value).then((r) => {
      if (leg.done) return;
      const outcome = r.ok ? originateOutcome(r.value.body) : { ok: false as const, cause: r.error.message };
      if (!outcome.ok) this.#fail(`originate of the ${direction} tap leg failed: ${outcome.cause}`);
    });
    return leg;
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
