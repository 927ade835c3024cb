/**
 * The recorder: ESL events in, recordings out. It keeps the call table,
 * asks the triggers what to record, runs one Recording per call, mirrors
 * call changes (bridge, hold, DTMF, hangup) into it, and tells FreeSWITCH
 * what happened: a CUSTOM `siprec::<started|failed|paused|resumed|stopped>`
 * event (sent without Unique-ID, so subscribers see it) and the channel
 * variables `siprec_status` / `siprec_recording_id`. Nothing here waits in
 * FreeSWITCH's call thread: every command is an ESL request.
 */
import { randomToken, uuidV4 } from "../lib/ids.ts";
import type { EslEvent } from "../esl/event.ts";
import { CallTable } from "./call-table.ts";
import { metadataHeaderFilter } from "./call-metadata.ts";
import { TapOnlyRepair } from "./tap-only-repair.ts";
import { otherLegFromEvent } from "./channel.ts";
import type { RecorderDeps, StoredRecording } from "./ports.ts";
import { Recording, type RecordingNotice } from "./recording.ts";
import type { RecordingIntent, StreamMode, TriggerProblem, Triggers } from "./triggers.ts";

export interface RecorderCounters {
  started: number;
  failed: number;
  stopped: number;
  fallbacks: number;
  /** FreeSWITCH's tap-only flag recomputed after another media bug (tap-only-repair.ts). */
  tapRepairs: number;
  triggerProblems: number;
  unknownCalls: number;
  /** Audio the media-bug tap dropped because the daemon fell behind (ms, all recordings). */
  tapGapMs: number;
  /** SRS sessions ended or lost mid-call, by cause (srs-bye, session-expired, dialog-lost, ack-timeout, error). */
  interrupted: Record<string, number>;
}

export type StartError = { readonly code: "CALL_UNKNOWN" | "CALL_NOT_ANSWERED" | "GROUP_UNKNOWN" | "DRAINING"; readonly message: string };

export class Recorder {
  /** Each channel keeps only the headers the metadata reads (the mapping as the policy says now). */
  readonly table = new CallTable(
    undefined,
    metadataHeaderFilter(() => this.d.policy.metadata),
  );
  readonly #byCall = new Map<string, Recording>();
  readonly #byId = new Map<string, Recording>();
  readonly counters: RecorderCounters = {
    started: 0,
    failed: 0,
    stopped: 0,
    fallbacks: 0,
    tapRepairs: 0,
    triggerProblems: 0,
    unknownCalls: 0,
    tapGapMs: 0,
    interrupted: {},
  };
  #draining = false;
  /** ESL commands telling FreeSWITCH what happened, still waiting for their replies. */
  readonly #inflight = new Set<Promise<unknown>>();

  readonly #tapRepair: TapOnlyRepair;

  constructor(
    private readonly d: RecorderDeps,
    private triggers: Triggers,
    private knownGroups: ReadonlySet<string>,
  ) {
    this.#tapRepair = new TapOnlyRepair({
      esl: d.esl,
      clock: d.clock,
      log: d.log,
      probeDir: d.tapRepair?.probeDir ?? "/tmp",
      onRepaired: () => this.counters.tapRepairs++,
      ...(d.tapRepair?.removeProbe === undefined ? {} : { removeProbe: d.tapRepair.removeProbe }),
    });
  }

  /** New triggers and groups after a config reload; running recordings carry on. */
  reconfigure(triggers: Triggers, knownGroups: ReadonlySet<string>): void {
    this.triggers = triggers;
    this.knownGroups = knownGroups;
  }

  get recordings(): Recording[] {
    return [...this.#byId.values()];
  }

  byId(id: string): Recording | undefined {
    return this.#byId.get(id);
  }

  onEvent(e: EslEvent): void {
    const changes = this.table.apply(e);
    const uuid = e.headers.get("Unique-ID");
    const rec = uuid === undefined ? undefined : this.#byCall.get(uuid);
    const info = uuid === undefined ? undefined : this.table.get(uuid)?.info;
    if (rec !== undefined && info !== undefined) rec.channelChanged(info);
    if (e.name === "RECORD_STOP" && rec !== undefined) rec.recordStopped(e.headers.get("Record-File-Path") ?? "");
    if (e.name === "MEDIA_BUG_START" && rec !== undefined && uuid !== undefined && rec.nativeTapsUp)
      this.#tapRepair.bugStarted(uuid, e.headers.get("Media-Bug-Function") ?? "", e.headers.get("Media-Bug-Target"));
    const { intents, problems } = this.triggers.evaluate(e);
    for (const p of problems) this.#problem(p);
    for (const i of intents) this.#apply(i);
    for (const c of changes) {
      const r = this.#byCall.get(c.uuid) ?? this.#recordingOfPeer(c.uuid);
      if (r === undefined) continue;
      switch (c.kind) {
        case "bridge": {
          const other = this.table.get(c.otherUuid)?.info ?? otherLegFromEvent(e);
          if (c.uuid === r.callUuid && other !== undefined) r.bridged(other);
          break;
        }
        case "hold":
        case "unhold":
          if (c.uuid === r.callUuid) void r.hold(c.kind === "hold");
          break;
        case "dtmf":
          r.dtmf(c.uuid, c.digit, c.durationSamples);
          break;
        case "hangup":
          if (c.uuid === r.callUuid) void r.stop(`call hung up (${c.cause})`, true);
          break;
        default:
          break;
      }
    }
  }

  /** Control API / CLI start. */
  start(callUuid: string, groups: readonly string[], streams?: StreamMode): { ok: true; id: string } | { ok: false; error: StartError } {
    if (this.#draining) return { ok: false, error: { code: "DRAINING", message: "the daemon is shutting down" } };
    const unknown = groups.filter((g) => !this.knownGroups.has(g));
    if (unknown.length > 0) return { ok: false, error: { code: "GROUP_UNKNOWN", message: `SRS group(s) not in the config: ${unknown.join(", ")}` } };
    const running = this.#byCall.get(callUuid);
    if (running !== undefined) {
      // Already recorded: the API adds servers to the same recording.
      running.addGroups(groups);
      return { ok: true, id: running.id };
    }
    const c = this.table.get(callUuid);
    if (c === undefined) return { ok: false, error: { code: "CALL_UNKNOWN", message: `no channel ${callUuid} is known` } };
    if (!c.info.answered) return { ok: false, error: { code: "CALL_NOT_ANSWERED", message: `channel ${callUuid} is not answered yet` } };
    const r = this.#startRecording({ action: "start", callUuid, srsGroups: groups, streams, source: "api" });
    return r === undefined ? { ok: false, error: { code: "CALL_UNKNOWN", message: `channel ${callUuid} cannot be recorded` } } : { ok: true, id: r.id };
  }

  /** Channel data learnt outside the event stream (`uuid_dump <uuid> json` after a restart). */
  adopt(e: EslEvent): void {
    this.table.apply(e);
  }

  /**
   * After a crash: a call the previous process recorded is still up, so it
   * is recorded again — a fresh RS in the same metadata group (RFC 7865
   * §6.1), so the SRS can join the pieces.
   */
  recover(stored: StoredRecording, lastAliveMs?: number): boolean {
    if (this.#byCall.has(stored.callUuid)) return false;
    const groups = stored.groups.filter((g) => this.knownGroups.has(g));
    const r = this.#startRecording({ action: "start", callUuid: stored.callUuid, srsGroups: groups, streams: stored.mode, source: "recovery" }, stored.groupId);
    // The audio between the dead process's last heartbeat (not before the recording began) and this start is the crash's gap.
    r?.missingSince(Math.max(lastAliveMs ?? 0, stored.startedMs));
    return r !== undefined;
  }

  /** SIGTERM: no new recordings; every running one is stopped (BYE to every SRS). */
  async drain(): Promise<void> {
    this.#draining = true;
    await Promise.all(this.recordings.map((r) => r.stop("daemon shutting down")));
    // Let FreeSWITCH hear the last siprec::stopped events and variables before the socket closes.
    await Promise.allSettled([...this.#inflight]);
  }

  #track<T>(p: Promise<T>): void {
    this.#inflight.add(p);
    void p.finally(() => this.#inflight.delete(p));
  }

  #apply(i: RecordingIntent): void {
    const rec = this.#byCall.get(i.callUuid);
    switch (i.action) {
      case "start":
        if (rec !== undefined) rec.addGroups(i.srsGroups ?? []);
        else this.#startRecording(i);
        return;
      case "pause":
      case "resume":
      case "stop":
        if (rec === undefined) return this.#unknown(i);
        // No SIPREC-SRS: every server of the call (the PCI-safe reading of a bare pause or stop).
        if (i.srsGroups !== undefined) void rec.forGroups(i.action, i.srsGroups, `stop requested (${i.source})`);
        else if (i.action === "pause") void rec.pause();
        else if (i.action === "resume") void rec.resume();
        else void rec.stop(`stop requested (${i.source})`);
        return;
    }
  }

  #startRecording(i: RecordingIntent, groupId?: string): Recording | undefined {
    if (this.#draining) return undefined;
    const c = this.table.get(i.callUuid);
    if (c === undefined || c.info.tapOf !== undefined) {
      this.#problem({
        code: "TRIGGER_NO_TARGET",
        message: `start for ${i.callUuid}, a channel siprec does not know (or one of its own tap legs)`,
        callUuid: i.callUuid,
      });
      return undefined;
    }
    const id = uuidV4(this.d.ids);
    const rec = new Recording(
      this.d,
      id,
      i.callUuid,
      randomToken(this.d.ids, 32),
      c.info,
      i.streams ?? this.d.policy.defaultStreams,
      i.srsGroups ?? [],
      (n) => this.#notice(n),
      groupId,
      i.parties,
    );
    this.#byCall.set(i.callUuid, rec);
    this.#byId.set(id, rec);
    this.d.log.info("recording requested", { recordingId: id, callUuid: i.callUuid, groups: i.srsGroups, source: i.source, streams: rec.mode });
    rec.begin();
    const peer = this.table.peer(i.callUuid);
    if (peer !== undefined) rec.bridged(peer.info);
    return rec;
  }

  #recordingOfPeer(uuid: string): Recording | undefined {
    const peer = this.table.get(uuid)?.bridgedTo;
    return peer === undefined ? undefined : this.#byCall.get(peer);
  }

  #unknown(i: RecordingIntent): void {
    this.counters.unknownCalls++;
    this.d.log.info("siprec event for a call that is not being recorded", { action: i.action, callUuid: i.callUuid });
  }

  #problem(p: TriggerProblem): void {
    this.counters.triggerProblems++;
    this.d.log.warn("trigger refused", { code: p.code, message: p.message, callUuid: p.callUuid });
    if (p.callUuid !== undefined) this.#track(this.#fire("failed", p.callUuid, undefined, { "SIPREC-Reason": p.message, "SIPREC-Error-Code": p.code }));
  }

  #notice(n: RecordingNotice): void {
    const r = n.recording;
    if (n.kind === "gap") return this.#gap(r, n.gapMs ?? 0, n.reason ?? "");
    if (n.kind === "started") this.counters.started++;
    if (n.kind === "started" && r.fallback !== undefined) this.counters.fallbacks++;
    if (n.kind === "failed") this.counters.failed++;
    if (n.kind === "stopped") this.counters.stopped++;
    if (n.kind === "interrupted") this.counters.interrupted[n.cause ?? "error"] = (this.counters.interrupted[n.cause ?? "error"] ?? 0) + 1;
    const done = (n.kind === "stopped" && n.groups === undefined) || (n.kind === "failed" && r.status === "failed");
    if (done) {
      if (this.#byCall.get(r.callUuid) === r) this.#byCall.delete(r.callUuid);
      this.#byId.delete(r.id);
    }
    const fields: Record<string, string> = { "SIPREC-Streams": r.mode, "SIPREC-SRS": (n.groups ?? r.groups).join(",") };
    if (n.reason !== undefined) fields["SIPREC-Reason"] = n.reason;
    if (r.fallback !== undefined) fields["SIPREC-Fallback"] = r.fallback;
    if (n.kind === "interrupted") fields["SIPREC-Interrupted"] = n.cause ?? "error";
    if (n.gapMs !== undefined) fields["SIPREC-Gap-Ms"] = String(n.gapMs);
    this.d.log.info(`recording ${n.kind}`, { recordingId: r.id, callUuid: r.callUuid, ...fields });
    // An interruption is told to FreeSWITCH as siprec::failed for that group (SIPREC-Interrupted says why); a take-over follows as siprec::started.
    this.#track(this.#fire(n.kind === "interrupted" ? "failed" : n.kind, r.callUuid, r.id, fields));
    const status = n.kind === "started" ? "recording" : n.kind === "resumed" ? "recording" : n.kind === "interrupted" ? "interrupted" : n.kind;
    // The channel variables describe the whole recording: a change on some servers only leaves them as they are.
    if (n.groups === undefined)
      this.#track(
        this.#api(
          `uuid_setvar_multi ${r.callUuid} siprec_status=${status};siprec_recording_id=${r.id}${n.gapMs === undefined ? "" : `;siprec_gap_ms=${n.gapMs}`}`,
        ),
      );
    // An interruption on some servers is still the call's news: the dialplan and CDRs see the cause and the gap so far.
    else if (n.kind === "interrupted" || n.gapMs !== undefined)
      this.#track(
        this.#api(`uuid_setvar_multi ${r.callUuid} ${n.kind === "interrupted" ? `siprec_interrupted=${n.cause ?? "error"}` : `siprec_gap_ms=${r.gapMs}`}`),
      );
    // RFC 7866 §6.1.2: "The SRC MUST provide recording indications to all participants in the CS";
    // a UA that is not record-aware learns it by "other means", here an announcement to both parties.
    const ind = this.d.policy.indication;
    if (ind !== undefined && n.groups === undefined && (n.kind === "started" || (n.kind === "resumed" && ind.onResume))) {
      this.#track(this.#api(`uuid_broadcast ${r.callUuid} playback::${ind.file} both`));
    }
    if (n.kind === "failed" && r.status === "failed" && this.d.policy.onFailure === "hangup") {
      // Recording required: the call may not go on unrecorded.
      this.d.log.warn("recording required and failed: hanging the call up", { callUuid: r.callUuid, cause: this.d.policy.hangupCause });
      const a = this.d.policy.announcement;
      if (a === undefined) this.#track(this.#api(`uuid_kill ${r.callUuid} ${this.d.policy.hangupCause}`));
      else {
        this.#track(this.#api(`uuid_broadcast ${r.callUuid} playback::${a.file} both`));
        this.#track(this.#api(`sched_hangup +${a.seconds} ${r.callUuid} ${this.d.policy.hangupCause}`));
      }
    }
  }

  /** Audio the tap dropped mid-recording (the daemon fell behind): logged, counted, told to FreeSWITCH; the recording goes on. */
  #gap(r: RecordingNotice["recording"], ms: number, reason: string): void {
    this.counters.tapGapMs += ms;
    this.d.log.warn("recording gap", { recordingId: r.id, callUuid: r.callUuid, gapMs: ms, totalGapMs: r.gapMs, reason });
    this.#track(this.#fire("gap", r.callUuid, r.id, { "SIPREC-Gap-Ms": String(ms), "SIPREC-Reason": reason, "SIPREC-SRS": r.groups.join(",") }));
    this.#track(this.#api(`uuid_setvar ${r.callUuid} siprec_gap_ms ${r.gapMs}`));
  }

  /** An `api` command telling FreeSWITCH something (a burst waits its turn in the ESL client, esl/client/client.ts). */
  #api(command: string): Promise<unknown> {
    return this.d.esl.api(command).then((r) => {
      if (!r.ok) this.d.log.warn("FreeSWITCH not told", { command: command.split(" ").slice(0, 2).join(" "), code: r.error.code });
      return r;
    });
  }

  async #fire(kind: string, callUuid: string, recordingId: string | undefined, fields: Record<string, string>): Promise<void> {
    const headers: [string, string][] = [
      ["Event-Subclass", `siprec::${kind}`],
      ["SIPREC-Target-UUID", callUuid],
    ];
    if (recordingId !== undefined) headers.push(["SIPREC-Recording-ID", recordingId]);
    for (const [k, v] of Object.entries(fields)) headers.push([k, v.replace(/[\r\n]+/g, " ")]);
    const r = await this.d.esl.command({ kind: "sendevent", name: "CUSTOM", headers });
    if (!r.ok) this.d.log.warn("could not fire siprec event", { kind, callUuid, code: r.error.code });
  }
}
