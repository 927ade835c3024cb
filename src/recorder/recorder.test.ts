/** The recorder engine driven by the real events of esl-call-plain, with in-memory surroundings. */
import { describe, expect, test } from "bun:test";
import { Recorder } from "./recorder.ts";
import { Triggers } from "./triggers.ts";
import type { RecorderPolicy } from "./ports.ts";
import { RecorderWorld, flush } from "../../test/support/recorder-fakes.ts";
import { fixtureEvents, withHeaders } from "../../test/support/esl-events.ts";

const A = "327f0dfa-fd7e-4caf-8d4f-7763a90079bb";
const ev = fixtureEvents("esl-call-plain");
const GROUPS = new Set(["default", "backup"]);

function setup(policy: Partial<RecorderPolicy> = {}) {
  const w = new RecorderWorld();
  const rec = new Recorder(w.deps(policy), new Triggers([{ kind: "event", srs_groups: ["default"] }], GROUPS), GROUPS);
  const feed = async (from: number, to: number): Promise<void> => {
    for (const e of ev.slice(from, to)) {
      rec.onEvent(e);
      await flush();
    }
  };
  return { w, rec, feed };
}

describe("recorder on esl-call-plain", () => {
  test("start → two native taps with a token → INVITE once both carry RTP; pause/resume, DTMF, hold, transfer metadata, stop; events back to FreeSWITCH", async () => {
    const { w, rec, feed } = setup();
    await feed(0, 3); // create, answer, siprec::start
    const originates = w.commands.filter((c) => c.startsWith("bgapi originate"));
    expect(originates).toHaveLength(2);
    expect(originates[0]).toMatch(
      new RegExp(
        `^bgapi originate \\{origination_uuid=[0-9a-f-]{36},absolute_codec_string=PCMU,ignore_early_media=true,eavesdrop_enable_dtmf=false,sip_h_X-Siprec-Session=[0-9a-f-]{36},sip_h_X-Siprec-Direction=read,sip_h_X-Siprec-Token=[a-z0-9]{32},process_cdr=false,origination_caller_id_name=siprec-tap,origination_caller_id_number=siprec-tap\\}sofia/internal/tap@127.0.0.1:5090 '&native_eavesdrop\\(${A} read\\)'$`,
      ),
    );
    expect(originates[1]).toContain(`'&native_eavesdrop(${A} write)'`);
    expect(w.expectations.map((e) => [e.direction, e.token.length])).toEqual([
      ["read", 32],
      ["write", 32],
    ]);
    expect(w.sessions).toHaveLength(0); // no INVITE before the taps carry audio
    w.answerLeg("read");
    await flush();
    expect(w.sessions).toHaveLength(0);
    w.answerLeg("write");
    await flush();
    expect(w.sessions.map((s) => [s.args.group, s.args.labels])).toEqual([["default", ["1", "2"]]]);
    expect(rec.recordings[0]!.status).toBe("recording");
    expect(w.events.at(-1)).toMatchObject({
      "Event-Subclass": "siprec::started",
      "SIPREC-Target-UUID": A,
      "SIPREC-Streams": "separate",
      "SIPREC-SRS": "default",
    });
    expect(w.events.at(-1)!["Unique-ID"]).toBeUndefined(); // or FreeSWITCH would not broadcast it
    expect(w.commands).toContain(`api uuid_setvar_multi ${A} siprec_status=recording;siprec_recording_id=${rec.recordings[0]!.id}`);

    w.journal.length = 0;
    await feed(3, 8); // B created/answered, bridge, sendevent pause, resume
    expect(w.journal).toEqual([
      "UPDATE metadata default",
      "gate closed",
      "event siprec::paused",
      "api uuid_setvar_multi",
      "re-INVITE inactive default",
      "re-INVITE sendonly default",
      "gate open",
      "event siprec::resumed",
      "api uuid_setvar_multi",
    ]);
    const view = w.sessions[0]!.args.metadata();
    expect(view.participants.map((p) => p.aor)).toEqual(["sip:1001@127.0.0.1:5070", "sip:callee@127.0.0.1:5092"]);

    w.journal.length = 0;
    await feed(8, 12); // DTMF, BACKGROUND_JOB, hold, unhold
    // Hold and unhold: the media re-INVITE, then the metadata change (RFC 7865 §6.8.1).
    expect(w.journal).toEqual([
      "dtmf 1 5 1600",
      "re-INVITE inactive default",
      "UPDATE metadata default",
      "re-INVITE sendonly default",
      "UPDATE metadata default",
    ]);

    w.journal.length = 0;
    await feed(12, 18); // uuid_broadcast pause/resume, stop, unbridge, hangups
    expect(w.journal.slice(0, 2)).toEqual(["gate closed", "event siprec::paused"]);
    expect(w.journal).toContain("BYE default");
    expect(w.journal).toContain("hangup read");
    expect(w.journal).toContain("hangup write");
    expect(w.events.at(-1)).toMatchObject({ "Event-Subclass": "siprec::stopped", "SIPREC-Reason": "stop requested (event)" });
    expect(rec.recordings).toEqual([]);
    expect(rec.counters).toMatchObject({ started: 1, stopped: 1, failed: 0 });
  });

  test("codec mismatch: the native leg answers then hangs up without RTP → one mixed eavesdrop leg, one stream, and the report says so", async () => {
    const { w, rec, feed } = setup();
    await feed(0, 3);
    w.answerLeg("read", 0);
    w.endLeg("read", "remote-bye");
    await flush();
    const last = w.commands.filter((c) => c.startsWith("bgapi originate")).at(-1)!;
    expect(last).toContain(`sip_h_X-Siprec-Direction=both`);
    expect(last).toMatch(new RegExp(`&eavesdrop\\(${A}\\)$`));
    w.answerLeg("both");
    await flush();
    expect(w.sessions.map((s) => s.args.labels)).toEqual([["1"]]);
    expect(rec.recordings[0]!.mode).toBe("mixed");
    expect(w.events.at(-1)!["SIPREC-Fallback"]).toContain("the read tap leg ended before any RTP (remote-bye)");
    expect(rec.counters.fallbacks).toBe(1);
  });

  test("an Opus call: the forker cannot decode its native taps, so one mixed eavesdrop leg asking for PCMU from the start, with the reason in SIPREC-Fallback", async () => {
    for (const codec of ["opus", "AMR-WB"]) {
      const w = new RecorderWorld();
      const rec = new Recorder(w.deps(), new Triggers([{ kind: "event", srs_groups: ["default"] }], GROUPS), GROUPS);
      for (const e of ev.slice(0, 3)) {
        rec.onEvent(e.headers.has("Channel-Read-Codec-Name") ? withHeaders(e, { "Channel-Read-Codec-Name": codec }) : e);
        await flush();
      }
      const originates = w.commands.filter((c) => c.startsWith("bgapi originate"));
      expect(originates.length).toBe(1);
      expect(originates[0]).toContain("absolute_codec_string=PCMU,");
      expect(originates[0]).toMatch(new RegExp(`&eavesdrop\\(${A}\\)$`));
      w.answerLeg("both");
      await flush();
      expect(w.sessions.map((s) => s.args.labels)).toEqual([["1"]]);
      expect(w.events.at(-1)!["SIPREC-Fallback"]).toContain(`the call's codec ${codec.toUpperCase()} cannot be recorded as separate streams with tap legs`);
    }
  });

  test("a G.722 call: two native taps in G.722 (the forker decodes them), separate streams, no fallback", async () => {
    const w = new RecorderWorld();
    const rec = new Recorder(w.deps(), new Triggers([{ kind: "event", srs_groups: ["default"] }], GROUPS), GROUPS);
    for (const e of ev.slice(0, 3)) {
      rec.onEvent(e.headers.has("Channel-Read-Codec-Name") ? withHeaders(e, { "Channel-Read-Codec-Name": "G722" }) : e);
      await flush();
    }
    const originates = w.commands.filter((c) => c.startsWith("bgapi originate"));
    expect(originates.length).toBe(2);
    for (const o of originates) expect(o).toContain("absolute_codec_string=G722,");
    expect(rec.recordings[0]!.mode).toBe("separate");
    expect(rec.recordings[0]!.fallback).toBeUndefined();
  });

  test("no RTP within the answer timeout also falls back; mixed failing too with on_failure=hangup kills the call with the configured cause", async () => {
    const { w, rec, feed } = setup({ onFailure: "hangup", hangupCause: "RECOVERY_ON_TIMER_EXPIRE" });
    await feed(0, 3);
    w.clock.advance(3000);
    await flush();
    expect(w.commands.filter((c) => c.startsWith("bgapi originate")).at(-1)).toContain("Direction=both");
    w.originate = () => "-ERR NORMAL_TEMPORARY_FAILURE\n";
    w.clock.advance(3000);
    await flush();
    expect(w.events.at(-1)).toMatchObject({ "Event-Subclass": "siprec::failed" });
    expect(w.events.at(-1)!["SIPREC-Reason"]).toContain("no RTP on the both tap leg within 3000 ms");
    expect(w.commands).toContain(`api uuid_kill ${A} RECOVERY_ON_TIMER_EXPIRE`);
    expect(rec.recordings).toEqual([]);
  });

  test("recording required with an announcement: FreeSWITCH plays it to both parties, then hangs up after the configured time", async () => {
    const { w, feed } = setup({
      onFailure: "hangup",
      hangupCause: "NORMAL_TEMPORARY_FAILURE",
      announcement: { file: "/usr/share/freeswitch/sounds/rec-down.wav", seconds: 6 },
    });
    w.sessionOutcome = () => "failed";
    await feed(0, 3);
    w.answerLeg("read");
    w.answerLeg("write");
    await flush();
    expect(w.commands.filter((c) => /uuid_broadcast|sched_hangup|uuid_kill/.test(c))).toEqual([
      `api uuid_broadcast ${A} playback::/usr/share/freeswitch/sounds/rec-down.wav both`,
      `api sched_hangup +6 ${A} NORMAL_TEMPORARY_FAILURE`,
    ]);
  });

  test("no SRS accepts: siprec::failed, the call is left alone by default", async () => {
    const { w, feed } = setup();
    w.sessionOutcome = () => "failed";
    await feed(0, 3);
    w.answerLeg("read");
    w.answerLeg("write");
    await flush();
    expect(w.events.at(-1)).toMatchObject({ "Event-Subclass": "siprec::failed", "SIPREC-Reason": "default: all SRS failed (503)" });
    expect(w.commands.some((c) => c.includes("uuid_kill"))).toBe(false);
    expect(w.journal).toContain("hangup read");
  });

  test("a pause that arrives before the SRS answered: the gate is closed from the first packet and the session goes inactive at once", async () => {
    const { w, feed, rec } = setup();
    await feed(0, 3);
    rec.onEvent(ev[6]!); // sendevent pause
    await flush();
    w.answerLeg("read");
    w.answerLeg("write");
    await flush();
    const i = w.journal.indexOf("INVITE default labels=1,2");
    expect(w.journal.indexOf("gate closed")).toBeLessThan(i);
    expect(w.journal.slice(i + 1)).toContain("re-INVITE inactive default");
    expect(rec.recordings[0]!.status).toBe("paused");
  });

  test("pause_mode detach hangs the taps up while paused and re-originates them on resume; dtmf=drop sends nothing", async () => {
    const { w, feed } = setup({ pauseMode: "detach", dtmf: "drop" });
    await feed(0, 3);
    w.answerLeg("read");
    w.answerLeg("write");
    await feed(3, 7);
    expect(w.journal).toContain("hangup read");
    const before = w.commands.filter((c) => c.startsWith("bgapi originate")).length;
    await feed(7, 9); // resume, DTMF
    expect(w.commands.filter((c) => c.startsWith("bgapi originate")).length).toBe(before + 2);
    expect(w.journal.some((j) => j.startsWith("dtmf"))).toBe(false);
  });

  test("a tap leg killed mid-recording is originated again after a back-off (the SRS session untouched); replacements that fail are retried, then given up; a hangup cancels a pending restore", async () => {
    const { w, rec, feed } = setup();
    await feed(0, 3);
    w.answerLeg("read");
    w.answerLeg("write");
    await flush();
    expect(rec.recordings[0]!.status).toBe("recording");
    const originates = () => w.commands.filter((c) => c.startsWith("bgapi originate") && c.includes(" read)'"));
    expect(originates()).toHaveLength(1);
    w.journal.length = 0;
    w.endLeg("read", "uuid_kill");
    await flush();
    expect(w.journal).toEqual(["detach 1", "disarm read", "hangup read"]);
    w.clock.advance(499);
    await flush();
    expect(originates()).toHaveLength(1);
    w.clock.advance(1);
    await flush();
    expect(originates()).toHaveLength(2);
    expect(originates()[1]).not.toBe(originates()[0]); // a new origination_uuid
    w.answerLeg("read", 3);
    await flush();
    expect(w.journal.filter((j) => j.startsWith("INVITE") || j.startsWith("BYE"))).toEqual([]);
    expect([rec.recordings[0]!.status, w.sessions.length]).toEqual(["recording", 1]);
    // Lost again; now every replacement fails to originate: 4 more attempts at 1, 2, 4, 8 s, then it gives up.
    w.originate = (cmd) => (cmd.includes(" read)'") ? "-ERR NO_ANSWER\n" : `+OK x\n`);
    w.endLeg("read", "uuid_kill");
    for (const ms of [1000, 2000, 4000, 8000]) {
      w.clock.advance(ms);
      await flush();
    }
    expect(originates()).toHaveLength(6);
    w.clock.advance(60_000);
    await flush();
    expect(originates()).toHaveLength(6);
    expect(rec.recordings[0]!.status).toBe("recording"); // the write stream goes on

    // FreeSWITCH ends the legs with the call, before its hangup event arrives: the pending restore is cancelled.
    const other = setup();
    await other.feed(0, 3);
    other.w.answerLeg("read");
    other.w.answerLeg("write");
    await flush();
    other.w.endLeg("write", "call hung up");
    other.w.endLeg("read", "call hung up");
    await other.feed(3, ev.length);
    other.w.clock.advance(60_000);
    await flush();
    expect(other.w.commands.filter((c) => c.startsWith("bgapi originate"))).toHaveLength(2);
    expect(other.rec.recordings.length === 0 || other.rec.recordings[0]!.status === "stopped").toBe(true);
  });

  test("recording indication (RFC 7866 §6.1.2): the configured announcement plays to both parties when recording starts, and on resume when asked", async () => {
    const file = "/usr/share/freeswitch/sounds/recording-notice.wav";
    const { w, feed } = setup({ indication: { file, onResume: true } });
    await feed(0, 3);
    expect(w.commands.some((c) => c.includes("uuid_broadcast"))).toBe(false); // not before the SRS records
    w.answerLeg("read");
    w.answerLeg("write");
    await flush();
    expect(w.commands.filter((c) => c.includes("uuid_broadcast"))).toEqual([`api uuid_broadcast ${A} playback::${file} both`]);
    await feed(3, 8); // bridge, pause, resume
    expect(w.commands.filter((c) => c.includes("uuid_broadcast"))).toHaveLength(2);
    const quiet = setup({ indication: { file, onResume: false } });
    await quiet.feed(0, 3);
    quiet.w.answerLeg("read");
    quiet.w.answerLeg("write");
    await quiet.feed(3, 8);
    expect(quiet.w.commands.filter((c) => c.includes("uuid_broadcast"))).toHaveLength(1);
  });

  test("pause_mode silence: the gate sends silence in place of the call's audio, no re-INVITE either way (the SRS timeline has no gap)", async () => {
    const { w, feed } = setup({ pauseMode: "silence" });
    await feed(0, 3);
    w.answerLeg("read");
    w.answerLeg("write");
    await feed(3, 6); // B created/answered, bridge
    w.journal.length = 0;
    await feed(6, 8); // sendevent pause, resume
    expect(w.journal.filter((j) => !j.startsWith("api"))).toEqual(["gate closed (silence)", "event siprec::paused", "gate open", "event siprec::resumed"]);
  });

  test("bad trigger input: an unknown SRS group fires siprec::failed for the call and originates nothing", async () => {
    const { w, rec } = setup();
    for (const e of ev.slice(0, 2)) rec.onEvent(e);
    rec.onEvent(withHeaders(ev[2]!, { "SIPREC-SRS": "nice-prod" }));
    await flush();
    expect(w.commands.filter((c) => c.startsWith("bgapi"))).toEqual([]);
    expect(w.events).toEqual([
      {
        "Event-Subclass": "siprec::failed",
        "SIPREC-Target-UUID": A,
        "SIPREC-Reason": "siprec::start names SRS group(s) not in the config: nice-prod",
        "SIPREC-Error-Code": "TRIGGER_UNKNOWN_GROUP",
      },
    ]);
    rec.onEvent(ev[6]!); // pause for a call not being recorded: counted, harmless
    expect(rec.counters.unknownCalls).toBe(1);
  });

  test("SIPREC-SRS on pause/stop acts on that server only (as mod_siprec per server); a bare stop ends every one", async () => {
    const { w, rec, feed } = setup();
    await feed(0, 2);
    rec.onEvent(withHeaders(ev[2]!, { "SIPREC-SRS": "default,backup" }));
    await flush();
    w.answerLeg("read");
    w.answerLeg("write");
    await flush();
    expect(w.sessions.map((s) => s.args.group)).toEqual(["default", "backup"]);
    w.journal.length = 0;
    rec.onEvent(withHeaders(ev[6]!, { "SIPREC-SRS": "backup" })); // pause for backup only
    await flush();
    expect(w.journal).toContain("re-INVITE inactive backup");
    expect(w.journal).not.toContain("re-INVITE inactive default");
    expect(w.journal).not.toContain("gate closed"); // the session closes its own group's gate; default records on
    expect(w.events.at(-1)).toMatchObject({ "Event-Subclass": "siprec::paused", "SIPREC-SRS": "backup" });
    rec.onEvent(ev[7]!); // a bare resume resumes what was paused
    await flush();
    expect(w.journal).toContain("re-INVITE sendonly backup");
    rec.onEvent(withHeaders(ev[14]!, { "SIPREC-SRS": "backup" })); // stop backup only
    await flush();
    expect(w.journal).toContain("BYE backup");
    expect(w.journal).not.toContain("BYE default");
    expect(rec.recordings).toHaveLength(1);
    expect(rec.start(A, ["backup"])).toMatchObject({ ok: true, id: rec.recordings[0]!.id }); // the API adds it back to the same recording
    await flush();
    rec.onEvent(withHeaders(ev[14]!, { "SIPREC-SRS": undefined })); // a bare stop ends everything
    await flush();
    expect(w.journal).toContain("BYE default");
    expect(rec.recordings).toEqual([]);
  });

  test("control API start: unknown call, unknown group, then a real start; drain stops everything and refuses new ones", async () => {
    const { w, rec } = setup();
    expect(rec.start(A, ["default"])).toMatchObject({ ok: false, error: { code: "CALL_UNKNOWN" } });
    rec.onEvent(ev[0]!);
    expect(rec.start(A, ["default"])).toMatchObject({ ok: false, error: { code: "CALL_NOT_ANSWERED" } });
    rec.onEvent(ev[1]!);
    expect(rec.start(A, ["nope"])).toMatchObject({ ok: false, error: { code: "GROUP_UNKNOWN" } });
    expect(rec.start(A, ["default"], "mixed")).toMatchObject({ ok: true });
    w.answerLeg("both");
    await flush();
    await rec.drain();
    expect(w.journal).toContain("BYE default");
    expect(rec.start(A, ["default"])).toMatchObject({ ok: false, error: { code: "DRAINING" } });
  });
});
