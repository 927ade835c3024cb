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
import type { ChannelInfo } from "./channel.ts";
import { CallMetadata, labelOfTap, labelsFor } from "./call-metadata.ts";
import type { RecorderDeps, RecordingMedia, SessionPort } from "./ports.ts";
import { makeTaps } from "./recording-taps.ts";
import type { TapSource } from "./tap-source.ts";
import type { TapMethod } from "./ports.ts";
import type { RecordingIntent, StreamMode } from "./triggers.ts";
import type { SessionReport } from "../siprec/session/types.ts";
import { GapLedger, takeOver } from "./take-over.ts";

export type RecordingStatus = "tapping" | "starting" | "recording" | "paused" | "stopping" | "stopped" | "failed";

export interface RecordingNotice {
  /** "interrupted": the SRS ended or lost one group's session mid-call (re-recording follows). */
  readonly kind: "started" | "failed" | "paused" | "resumed" | "stopped" | "interrupted" | "gap";
  /** For "interrupted": srs-bye, session-expired, dialog-lost, ack-timeout or error. */
  readonly cause?: string;
  readonly recording: Recording;
  readonly reason?: string;
  /** Set when only these SRS groups paused/resumed/stopped; the recording goes on for the others. */
  readonly groups?: readonly string[];
  /** Audio missed (ms): on a take-over or a "gap", that gap; on stop, the most any SRS group missed in all. */
  readonly gapMs?: number;
}

/** Codecs whose native taps the forker can forward or transcode to any codec it offers (transcode.ts). */
const TRANSCODABLE = new Set(["PCMU", "PCMA", "G722"]);

export class Recording {
  #status: RecordingStatus = "tapping";
  #mode: StreamMode;
  #fallback: string | undefined;
  #taps: TapSource;
  #paused = false;
  #held = false;
  #metadata: CallMetadata | undefined;
  /** The leg the call is bridged to, remembered for metadata made later (the INVITE waits for the taps). */
  #peer: ChannelInfo | undefined;
  readonly #sessions = new Map<string, SessionPort>();
  readonly #pendingGroups = new Set<string>();
  /** Per group, the servers that ended or lost this recording (not tried again for it). */
  readonly #skipped = new Map<string, string[]>();
  /** Per group, the audio its servers missed between an SRS lost and the next one recording (ms). */
  readonly #gaps = new GapLedger();
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
    this.#taps = this.#makeTaps(d.policy.tapMethod === "media-bug" && d.pipes !== undefined ? "media-bug" : "legs");
    for (const g of groups) this.#pendingGroups.add(g);
  }

  /** The tap of `method` for this recording (recording-taps.ts), reporting to it. */
  #makeTaps(method: TapMethod): TapSource {
    return makeTaps(method, {
      d: this.d,
      id: this.id,
      callUuid: this.callUuid,
      token: this.token,
      media: this.#media,
      channel: () => this.a,
      ready: () => this.#legsReady(),
      failed: (reason) => this.#legFailed(reason),
      persist: () => this.persist(),
      gap: (ms) => {
        // Before the SRS records (and while paused) nothing of this audio would have been sent: not a gap.
        if (this.#status !== "recording") return;
        for (const g of this.groups) this.#gaps.add(g, ms);
        this.notify({ kind: "gap", recording: this, gapMs: ms, reason: `the daemon fell behind reading FreeSWITCH's audio: ${ms} ms dropped` });
      },
      toLegs: (reason) => {
        // Mid-recording the streams are set: legs carry them if the call's codec can be transcoded or the stream is mixed.
        const live = this.#status === "recording" || this.#status === "paused" || this.#status === "starting";
        if (live && (this.#mode === "mixed" || TRANSCODABLE.has((this.a.readCodec ?? "PCMU").toUpperCase())))
          this.#switchToLegs(`the media-bug tap was lost mid-recording (${reason}); recording with tap legs`);
      },
    });
  }

  /** From the media-bug tap to tap legs (SIPREC-Fallback says why). */
  #switchToLegs(why: string): void {
    this.#addFallback(why);
    this.d.log.warn("tap fallback to legs", { recordingId: this.id, callUuid: this.callUuid, reason: why });
    this.#taps.drop();
    this.#taps = this.#makeTaps("legs");
    this.#separateNeedsCodec();
    this.#taps.start(this.#mode);
    this.persist();
  }

  get tapMethod(): TapMethod {
    return this.#taps.method;
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

  /** Native (separate-stream) tap legs are on the call now. */
  get nativeTapsUp(): boolean {
    return (
      this.#taps.method === "legs" &&
      this.#mode === "separate" &&
      this.#taps.count > 0 &&
      (this.#status === "starting" || this.#status === "recording" || this.#status === "paused")
    );
  }

  /** Audio missed so far (ms): the most any SRS group missed (each group's gaps summed). */
  get gapMs(): number {
    return this.#gaps.worst;
  }

  /** This recording continues one a crashed process made: the audio since `wallMs` is missing. */
  missingSince(wallMs: number): void {
    this.#gaps.missingSince(wallMs);
  }

  get metadataGroupId(): string | undefined {
    return this.#metadata?.groupId;
  }

  begin(): void {
    this.#separateNeedsCodec();
    this.#taps.start(this.#mode);
    this.persist();
  }

  /** Native taps carry the call's own codec: separate streams of tap legs need one the forker transcodes (the media-bug tap takes any). */
  #separateNeedsCodec(): void {
    const codec = (this.a.readCodec ?? "PCMU").toUpperCase();
    if (this.#taps.method === "legs" && this.#mode === "separate" && !TRANSCODABLE.has(codec)) {
      // Native taps carry the call's own codec, which the forker cannot turn into what it offers
      // (an Opus call would reach the SRS as nothing); eavesdrop transcodes.
      this.#addFallback(`the call's codec ${codec} cannot be recorded as separate streams with tap legs; recording one mixed stream`);
      this.d.log.warn("tap fallback to mixed", { recordingId: this.id, callUuid: this.callUuid, reason: `call codec ${codec}` });
      this.#mode = "mixed";
    }
  }

  /** SIPREC-Fallback says every step down this recording took, in order. */
  #addFallback(why: string): void {
    this.#fallback = this.#fallback === undefined ? why : `${this.#fallback}; ${why}`;
  }

  /** FreeSWITCH reported a recording of this call stopped (RECORD_STOP with its path). */
  recordStopped(path: string): void {
    this.#taps.recordStopped?.(path);
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
    if (this.#metadata?.bridgedTo(b, this.d.clock.wallNow()) === true)
      void Promise.all([...this.#sessions.values()].map((s) => s.updateMetadata())).then(() => this.persist());
  }

  /** PCI pause: the gate closes before anything else happens. */
  async pause(): Promise<void> {
    if (this.#paused || this.#status === "stopping" || this.#status === "stopped" || this.#status === "failed") return;
    this.#closeGate();
    this.#paused = true;
    if (this.#status === "recording") this.#status = "paused";
    if (this.d.policy.pauseMode === "detach") this.#taps.drop();
    this.notify({ kind: "paused", recording: this });
    if (this.#signalsPause() && !this.#held) await Promise.all([...this.#sessions.values()].map((s) => s.pause()));
    this.persist();
  }

  async resume(): Promise<void> {
    if (this.#status === "stopping" || this.#status === "stopped" || this.#status === "failed") return;
    if (!this.#paused) {
      // Groups paused one by one (SIPREC-SRS on the pause) resume with a resume for the whole call.
      const paused = [...this.#sessions].filter(([, s]) => s.state === "paused").map(([g]) => g);
      if (paused.length > 0 && !this.#held) await this.forGroups("resume", paused);
      return;
    }
    this.#paused = false;
    if (this.d.policy.pauseMode === "detach" && this.#taps.count === 0) this.#taps.start(this.#mode);
    if (this.#status === "paused") this.#status = "recording";
    if (this.#signalsPause() && !this.#held) await Promise.all([...this.#sessions.values()].map((s) => s.resume()));
    if (!this.#held) this.#media.gate(true);
    this.notify({ kind: "resumed", recording: this });
    this.persist();
  }

  /**
   * Pause, resume or stop for some SRS groups only (SIPREC-SRS on the event),
   * as mod_siprec did per server; naming every group is the same as naming none.
   * A session's own pause closes its group's gate before its re-INVITE.
   */
  async forGroups(action: "pause" | "resume" | "stop", groups: readonly string[], reason = "stop requested"): Promise<void> {
    const mine = groups.filter((g) => this.#sessions.has(g) || this.#pendingGroups.has(g));
    if (mine.length === 0 || this.#status === "stopping" || this.#status === "stopped" || this.#status === "failed") return;
    if (this.groups.every((g) => mine.includes(g)) && (action !== "resume" || this.#paused)) {
      return action === "pause" ? this.pause() : action === "resume" ? this.resume() : this.stop(reason);
    }
    for (const g of mine) {
      const s = this.#sessions.get(g);
      if (action === "stop") {
        this.#pendingGroups.delete(g);
        this.#sessions.delete(g);
      }
      if (s === undefined) continue;
      if (action === "stop") await s.stop();
      else if (action === "pause") await s.pause();
      else await s.resume();
    }
    this.notify({
      kind: action === "pause" ? "paused" : action === "resume" ? "resumed" : "stopped",
      recording: this,
      groups: mine,
      ...(action === "stop" ? { reason } : {}),
    });
    this.persist();
  }

  /** Hold mirrors to the SRS as inactive (no PCI semantics: nothing to drop, no audio flows). */
  async hold(on: boolean): Promise<void> {
    if (this.#held === on) return;
    this.#held = on;
    const changed = this.#metadata?.hold(on) === true;
    if (!this.#paused) await Promise.all([...this.#sessions.values()].map((s) => (on ? s.pause() : s.resume())));
    // RFC 7865 §6.8.1: hold and unhold are metadata changes too (recv removed, then restored).
    if (changed) await Promise.all([...this.#sessions.values()].map((s) => s.updateMetadata()));
    this.persist();
  }

  dtmf(fromUuid: string, digit: string, durationSamples: number): void {
    if (this.d.policy.dtmf !== "forward" || this.#status !== "recording" || this.#paused) return;
    // FreeSWITCH fires DTMF on the leg that receives the digits: on the recorded channel they came
    // from its far end (the party its read tap hears), on the bridged leg from this channel's side.
    const label = this.#mode === "mixed" ? "1" : labelOfTap(fromUuid === this.callUuid ? "read" : "write", this.a.direction);
    this.#media.dtmf(label, digit, durationSamples);
  }

  async stop(reason: string, callGone = false): Promise<void> {
    if (this.#status === "stopping" || this.#status === "stopped" || this.#status === "failed") return;
    this.#status = "stopping";
    this.#metadata?.end(this.d.clock.wallNow());
    // When the call is gone FreeSWITCH ends the eavesdrop legs itself.
    if (!callGone) this.#taps.drop();
    else this.#taps.forget();
    await Promise.all([...this.#sessions.values()].map((s) => s.stop()));
    this.#media.close();
    this.#status = "stopped";
    this.persist();
    this.notify({ kind: "stopped", recording: this, reason, gapMs: this.gapMs });
  }

  #legsReady(): void {
    if (this.#status !== "tapping") return;
    this.#status = "starting";
    void this.#startSessions();
  }

  #legFailed(reason: string): void {
    if (this.#status !== "tapping") return;
    // FreeSWITCH would not record into our pipe: tap legs still can.
    if (this.#taps.method === "media-bug") return this.#switchToLegs(`the media-bug tap failed (${reason}); recording with tap legs`);
    if (this.#mode === "separate") {
      this.#addFallback(`separate streams failed (${reason}); recording one mixed stream`);
      this.d.log.warn("tap fallback to mixed", { recordingId: this.id, callUuid: this.callUuid, reason });
      this.#mode = "mixed";
      this.#taps.start("mixed");
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
        s.onEnded = (rep) => void this.#sessionEnded(group, s, rep);
        const report = await s.start();
        if (report.state === "recording" && ((this.#paused && this.#signalsPause()) || this.#held)) await s.pause();
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
      if (this.#paused) this.#closeGate();
      const gapMs = this.#gaps.started(this.#sessions.keys(), this.d.clock.wallNow());
      if (gapMs === undefined) this.notify({ kind: "started", recording: this });
      else {
        this.d.log.warn("recording taken over: audio missing at the SRS", { recordingId: this.id, callUuid: this.callUuid, gapMs, why: "daemon restart" });
        this.notify({
          kind: "started",
          recording: this,
          gapMs,
          reason: `recorded again after a daemon restart: about ${gapMs} ms of the call were not recorded`,
        });
      }
    }
    this.persist();
  }

  /** The SRS ended or lost one group's session mid-call (take-over.ts). */
  #sessionEnded(group: string, s: SessionPort, rep: SessionReport): Promise<void> {
    const md = this.#metadata as CallMetadata;
    return takeOver(
      {
        id: this.id,
        callUuid: this.callUuid,
        clock: this.d.clock,
        log: this.d.log,
        sessions: this.#sessions,
        skipped: this.#skipped,
        live: () => this.#status === "recording" || this.#status === "paused",
        open: (skip) =>
          this.d.openSession({ recordingId: this.id, group, labels: labelsFor(this.#mode), metadata: () => md.view(), media: this.#media, skipServers: skip }),
        watch: (next) => (next.onEnded = (r) => void this.#sessionEnded(group, next, r)),
        mustPause: () => (this.#paused && this.#signalsPause()) || this.#held,
        notify: (n) => this.notify({ ...n, recording: this }),
        fail: (reason) => this.#fail(reason),
        persist: () => this.persist(),
        gap: (g, ms) => this.#gaps.add(g, ms),
      },
      group,
      s,
      rep,
    );
  }

  async #fail(reason: string): Promise<void> {
    this.#status = "failed";
    this.#taps.drop();
    await Promise.all([...this.#sessions.values()].map((s) => s.stop()));
    this.#media.close();
    this.persist();
    this.notify({ kind: "failed", recording: this, reason });
  }

  /** PCI: not one more packet of call audio; with pause_mode "silence", silence in its place. */
  #closeGate(): void {
    this.#media.gate(false, this.d.policy.pauseMode === "silence" ? "silence" : "drop");
  }

  /** "inactive" and "detach" tell the SRS (re-INVITE); "drop" leaves a gap and "silence" fills it, unsignalled. */
  #signalsPause(): boolean {
    return this.d.policy.pauseMode === "inactive" || this.d.policy.pauseMode === "detach";
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
    store.save({
      id: this.id,
      callUuid: this.callUuid,
      groupId: this.#metadata?.groupId ?? this.groupId,
      groups: this.groups,
      mode: this.#mode,
      startedMs: this.startedMs,
      legUuids: this.#taps.legUuids,
      tapFiles: this.#taps.files,
      dialogs,
    });
  }
}
