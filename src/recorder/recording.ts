/**
 * One recorded call: its tap legs, its recording sessions (one per SRS
 * group) and its pause/hold state.
 *
 * Order of work: the tap legs are originated first; the SRS is invited once
 * every leg carries RTP, so the offer has the streams that will really
 * flow. A native leg that fails (originate refused, or answered then hung
 * up without RTP: FreeSWITCH's "Codecs do not match" case) switches the
 * recording to one mixed `eavesdrop` leg, and the report says so.
 */
import type { TimerId } from "../lib/clock.ts";
import { uuidV4 } from "../lib/ids.ts";
import type { ChannelInfo } from "./channel.ts";
import { CallMetadata, labelsFor } from "./call-metadata.ts";
import type { RecorderDeps, RecordingMedia, SessionPort } from "./ports.ts";
import { type TapDirection, originateOutcome, tapOriginateCommand } from "./tap-command.ts";
import type { RecordingIntent, StreamMode } from "./triggers.ts";

export type RecordingStatus = "tapping" | "starting" | "recording" | "paused" | "stopping" | "stopped" | "failed";

interface Leg {
  readonly direction: TapDirection;
  readonly label: string;
  readonly legUuid: string;
  readonly disarm: () => void;
  hangup: (() => void) | undefined;
  rtp: boolean;
  done: boolean;
}

export interface RecordingNotice {
  readonly kind: "started" | "failed" | "paused" | "resumed" | "stopped";
  readonly recording: Recording;
  readonly reason?: string;
}

export class Recording {
  #status: RecordingStatus = "tapping";
  #mode: StreamMode;
  #fallback: string | undefined;
  #legs: Leg[] = [];
  #timer: TimerId | undefined;
  #paused = false;
  #held = false;
  #metadata: CallMetadata | undefined;
  /** The leg the call is bridged to, remembered for metadata made later (the INVITE waits for the taps). */
  #peer: ChannelInfo | undefined;
  readonly #sessions = new Map<string, SessionPort>();
  readonly #pendingGroups = new Set<string>();
  readonly #media: RecordingMedia;
  readonly startedMs: number;

  constructor(
    private readonly d: RecorderDeps,
    readonly id: string,
    readonly callUuid: string,
    private readonly token: string,
    private a: ChannelInfo,
    mode: StreamMode,
    groups: readonly string[],
    private readonly notify: (n: RecordingNotice) => void,
    private readonly groupId?: string,
    private readonly parties: RecordingIntent["parties"] = {},
  ) {
    this.#mode = mode;
    this.startedMs = d.clock.wallNow();
    this.#media = d.openMedia(id);
    for (const g of groups) this.#pendingGroups.add(g);
  }

  get status(): RecordingStatus {
    return this.#status;
  }

  get mode(): StreamMode {
    return this.#mode;
  }

  get fallback(): string | undefined {
    return this.#fallback;
  }

  get groups(): string[] {
    return [...new Set([...this.#sessions.keys(), ...this.#pendingGroups])];
  }

  get sessions(): ReadonlyMap<string, SessionPort> {
    return this.#sessions;
  }

  get metadataGroupId(): string | undefined {
    return this.#metadata?.groupId;
  }

  begin(): void {
    this.#tap();
    this.persist();
  }

  /** More groups for a call already being recorded (a second trigger). */
  addGroups(groups: readonly string[]): void {
    const fresh = groups.filter((g) => !this.#sessions.has(g) && !this.#pendingGroups.has(g));
    for (const g of fresh) this.#pendingGroups.add(g);
    if (fresh.length > 0 && (this.#status === "recording" || this.#status === "paused")) void this.#startSessions();
  }

  channelChanged(a: ChannelInfo): void {
    this.a = a;
    this.#metadata?.updateA(a);
  }

  /** The call is bridged to a (new) other leg: participants change, the SRS gets a partial update. */
  bridged(b: ChannelInfo): void {
    this.#peer = b;
    if (this.#metadata?.bridgedTo(b, this.d.clock.wallNow()) === true) void Promise.all([...this.#sessions.values()].map((s) => s.updateMetadata())).then(() => this.persist());
  }

  /** PCI pause: the gate closes before anything else happens. */
  async pause(): Promise<void> {
    if (this.#paused || this.#status === "stopping" || this.#status === "stopped" || this.#status === "failed") return;
    this.#media.gate(false);
    this.#paused = true;
    if (this.#status === "recording") this.#status = "paused";
    if (this.d.policy.pauseMode === "detach") this.#dropLegs();
    this.notify({ kind: "paused", recording: this });
    if (this.d.policy.pauseMode !== "drop" && !this.#held) await Promise.all([...this.#sessions.values()].map((s) => s.pause()));
    this.persist();
  }

  async resume(): Promise<void> {
    if (!this.#paused || this.#status === "stopping" || this.#status === "stopped" || this.#status === "failed") return;
    this.#paused = false;
    if (this.d.policy.pauseMode === "detach" && this.#legs.length === 0) this.#originateAll();
    if (this.#status === "paused") this.#status = "recording";
    if (this.d.policy.pauseMode !== "drop" && !this.#held) await Promise.all([...this.#sessions.values()].map((s) => s.resume()));
    if (!this.#held) this.#media.gate(true);
    this.notify({ kind: "resumed", recording: this });
    this.persist();
  }

  /** Hold mirrors to the SRS as inactive (no PCI semantics: nothing to drop, no audio flows). */
  async hold(on: boolean): Promise<void> {
    if (this.#held === on) return;
    this.#held = on;
    if (this.#paused) return;
    await Promise.all([...this.#sessions.values()].map((s) => (on ? s.pause() : s.resume())));
    this.persist();
  }

  dtmf(fromUuid: string, digit: string, durationSamples: number): void {
    if (this.d.policy.dtmf !== "forward" || this.#status !== "recording" || this.#paused) return;
    const label = this.#mode === "mixed" || fromUuid === this.callUuid ? "1" : "2";
    this.#media.dtmf(label, digit, durationSamples);
  }

  async stop(reason: string, callGone = false): Promise<void> {
    if (this.#status === "stopping" || this.#status === "stopped" || this.#status === "failed") return;
    this.#status = "stopping";
    this.#clearTimer();
    this.#metadata?.end(this.d.clock.wallNow());
    // When the call is gone FreeSWITCH ends the eavesdrop legs itself.
    if (!callGone) this.#dropLegs();
    else for (const l of this.#legs) l.disarm();
    await Promise.all([...this.#sessions.values()].map((s) => s.stop()));
    this.#media.close();
    this.#status = "stopped";
    this.persist();
    this.notify({ kind: "stopped", recording: this, reason });
  }

  #tap(): void {
    this.#originateAll();
    this.#timer = this.d.clock.setTimer(this.d.tapTarget.answerTimeoutMs, () => {
      this.#timer = undefined;
      const late = this.#legs.filter((l) => !l.rtp).map((l) => l.direction);
      if (late.length > 0 && this.#status === "tapping") this.#legFailed(`no RTP on the ${late.join("/")} tap leg within ${this.d.tapTarget.answerTimeoutMs} ms`);
    });
  }

  #originateAll(): void {
    const directions: TapDirection[] = this.#mode === "separate" ? ["read", "write"] : ["both"];
    this.#legs = directions.map((direction, i) => this.#originate(direction, String(i + 1)));
  }

  #originate(direction: TapDirection, label: string): Leg {
    const leg: Leg = { direction, label, legUuid: uuidV4(this.d.ids), disarm: () => {}, hangup: undefined, rtp: false, done: false };
    (leg as { disarm: () => void }).disarm = this.d.tap.expect({
      recordingId: this.id,
      direction,
      token: this.token,
      onAnswered: (t) => {
        if (leg.done) return t.hangup();
        leg.hangup = () => t.hangup();
        this.#media.attachLeg(label, t);
      },
      onPacket: (p) => {
        if (!leg.rtp) {
          leg.rtp = true;
          this.#legReady();
        }
        this.#media.packet(label, p);
      },
      onEnded: (why) => {
        this.#media.detachLeg(label);
        if (!leg.done && !leg.rtp) this.#legFailed(`the ${direction} tap leg ended before any RTP (${why})`);
        leg.done = true;
      },
    });
    const cmd = tapOriginateCommand({ callUuid: this.callUuid, legUuid: leg.legUuid, direction, codec: this.a.readCodec ?? "PCMU", profile: this.d.tapTarget.profile, host: this.d.tapTarget.host, port: this.d.tapTarget.port, recordingId: this.id, token: this.token });
    if (!cmd.ok) {
      queueFail(() => this.#legFailed(cmd.error.message));
      return leg;
    }
    void this.d.esl.bgapi(cmd.value).then((r) => {
      if (leg.done) return;
      const outcome = r.ok ? originateOutcome(r.value.body) : { ok: false as const, cause: r.error.message };
      if (!outcome.ok) this.#legFailed(`originate of the ${direction} tap leg failed: ${outcome.cause}`);
    });
    return leg;
  }

  #legReady(): void {
    if (this.#status !== "tapping" || !this.#legs.every((l) => l.rtp)) return;
    this.#clearTimer();
    this.#status = "starting";
    void this.#startSessions();
  }

  #legFailed(reason: string): void {
    if (this.#status !== "tapping") return;
    this.#clearTimer();
    this.#dropLegs();
    if (this.#mode === "separate") {
      this.#fallback = `separate streams failed (${reason}); recording one mixed stream`;
      this.d.log.warn("tap fallback to mixed", { recordingId: this.id, callUuid: this.callUuid, reason });
      this.#mode = "mixed";
      this.#tap();
      this.persist();
      return;
    }
    void this.#fail(`tap legs failed: ${reason}`);
  }

  async #startSessions(): Promise<void> {
    if (this.#metadata === undefined) {
      this.#metadata = new CallMetadata(this.d.ids, this.a, this.#mode, this.d.policy.metadata, this.startedMs, this.groupId, this.parties);
      if (this.#peer !== undefined) this.#metadata.bridgedTo(this.#peer, this.d.clock.wallNow());
    }
    const md = this.#metadata;
    const groups = [...this.#pendingGroups];
    this.#pendingGroups.clear();
    const started = await Promise.all(
      groups.map(async (group) => {
        const s = this.d.openSession({ recordingId: this.id, group, labels: labelsFor(this.#mode), metadata: () => md.view(), media: this.#media });
        this.#sessions.set(group, s);
        const report = await s.start();
        if (report.state === "recording" && (this.#paused || this.#held) && this.d.policy.pauseMode !== "drop") await s.pause();
        return { group, report };
      }),
    );
    if (this.#status === "stopping" || this.#status === "stopped") return;
    const failed = started.filter((x) => x.report.state !== "recording");
    if (failed.length === started.length && this.#status === "starting") {
      return this.#fail(failed.map((f) => `${f.group}: ${f.report.reason ?? "no SRS accepted"}`).join("; "));
    }
    for (const f of failed) this.notify({ kind: "failed", recording: this, reason: `${f.group}: ${f.report.reason ?? "no SRS accepted"}` });
    if (this.#status === "starting") {
      this.#status = this.#paused ? "paused" : "recording";
      if (this.#paused) this.#media.gate(false);
      this.notify({ kind: "started", recording: this });
    }
    this.persist();
  }

  async #fail(reason: string): Promise<void> {
    this.#status = "failed";
    this.#clearTimer();
    this.#dropLegs();
    await Promise.all([...this.#sessions.values()].map((s) => s.stop()));
    this.#media.close();
    this.persist();
    this.notify({ kind: "failed", recording: this, reason });
  }

  #dropLegs(): void {
    for (const l of this.#legs) {
      l.done = true;
      l.disarm();
      l.hangup?.();
      this.#media.detachLeg(l.label);
    }
    this.#legs = [];
  }

  /** Saves what a restarted daemon needs (SRS dialogs, tap legs, group id); rows go when the recording ends. */
  persist(): void {
    const store = this.d.store;
    if (store === undefined) return;
    if (this.#status === "stopped" || this.#status === "failed") return store.remove(this.id);
    const dialogs = [...this.#sessions].flatMap(([group, s]) => {
      const st = s.dialogState?.();
      return st === undefined ? [] : [{ group, ...st }];
    });
    store.save({ id: this.id, callUuid: this.callUuid, groupId: this.#metadata?.groupId ?? this.groupId, groups: this.groups, mode: this.#mode, startedMs: this.startedMs, legUuids: this.#legs.map((l) => l.legUuid), dialogs });
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) this.d.clock.clearTimer(this.#timer);
    this.#timer = undefined;
  }
}

function queueFail(fn: () => void): void {
  void Promise.resolve().then(fn);
}
