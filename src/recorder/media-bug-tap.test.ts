/** The media-bug tap inside the recorder: real events of esl-call-plain, in-memory ESL, pipes and clock. */
import { describe, expect, test } from "bun:test";
import { mulaw } from "alawmulaw";
import { Recorder } from "./recorder.ts";
import { Triggers } from "./triggers.ts";
import type { RecorderPolicy } from "./ports.ts";
import { RECORD_VARS } from "./record-command.ts";
import { PIPE_LINGER_MS } from "./media-bug-tap.ts";
import { RecorderWorld, flush } from "../../test/support/recorder-fakes.ts";
import { fixtureEvents, mediaBugEvents, withHeaders } from "../../test/support/esl-events.ts";

const A = "327f0dfa-fd7e-4caf-8d4f-7763a90079bb";
const ev = fixtureEvents("esl-call-plain");
const GROUPS = new Set(["default"]);
const OK = "+OK Success\n";

/** `frames` stereo frames of 160 samples: left = l, right = r (constant levels, easy to find in G.711). */
function pcm(frames: number, l = 1000, r = -2000): Uint8Array {
  const b = new Uint8Array(frames * 640);
  const v = new DataView(b.buffer);
  for (let i = 0; i < frames * 160; i++) {
    v.setInt16(i * 4, l, true);
    v.setInt16(i * 4 + 2, r, true);
  }
  return b;
}

const ts = (b: Uint8Array): number => new DataView(b.buffer, b.byteOffset).getUint32(4);
const seq = (b: Uint8Array): number => new DataView(b.buffer, b.byteOffset).getUint16(2);

async function setup(policy: Partial<RecorderPolicy> = {}, answer: (cmd: string) => string = () => OK) {
  const w = new RecorderWorld();
  w.originate = (cmd) => (cmd.startsWith("uuid_record") ? answer(cmd) : `+OK ${/origination_uuid=([0-9a-f-]+)/.exec(cmd)?.[1]}\n`);
  const deps = w.deps({ tapMethod: "media-bug", mediaBug: { maxBacklogMs: 200, stallMs: 5000 }, ...policy });
  const rec = new Recorder(deps, new Triggers([{ kind: "event", srs_groups: ["default"] }], GROUPS), GROUPS);
  for (const e of ev.slice(0, 3)) {
    rec.onEvent(e); // create, answer, siprec::start
    await flush();
  }
  const starts = (): string[] => w.commands.filter((c) => c.startsWith(`bgapi uuid_record ${A} start`));
  const stops = (): string[] => w.commands.filter((c) => c.startsWith(`bgapi uuid_record ${A} stop`));
  return { w, rec, starts, stops, path: (): string => w.pipes.opened.at(-1)!.path };
}

describe("media-bug tap", () => {
  test("one stereo uuid_record into a pipe opened first; left and right become labels 1 and 2; the INVITE waits for audio", async () => {
    const { w, rec, starts, path } = await setup();
    expect(w.journal.indexOf("pipe open")).toBeGreaterThanOrEqual(0);
    expect(starts()).toEqual([`bgapi uuid_record ${A} start ${path()} 0 {${RECORD_VARS.join(",")},record_sample_rate=8000}`]);
    expect(w.commands.some((c) => c.includes("originate"))).toBe(false); // no tap legs
    expect(w.sessions).toHaveLength(0);
    w.pipes.write(pcm(1));
    await flush();
    expect(w.sessions.map((s) => s.args.labels)).toEqual([["1", "2"]]);
    expect(rec.recordings[0]!.status).toBe("recording");
    expect(rec.recordings[0]!.tapMethod).toBe("media-bug");
    // A is inbound: what it reads is the caller (label 1), what it writes the other party (label 2).
    const [one, two] = w.packets;
    expect(one!.label).toBe("1");
    expect(two!.label).toBe("2");
    expect(one!.bytes.length).toBe(172);
    expect(one!.bytes[1]! & 0x7f).toBe(0);
    expect(one!.bytes.subarray(12).every((x) => x === (mulaw.encodeSample(1000) & 0xff))).toBe(true);
    expect(two!.bytes.subarray(12).every((x) => x === (mulaw.encodeSample(-2000) & 0xff))).toBe(true);
  });

  test("reads cut anywhere give whole 20 ms packets with continuous numbering", async () => {
    const { w } = await setup();
    const all = pcm(5);
    for (const cut of [
      [0, 100],
      [100, 700],
      [700, 1900],
      [1900, 3200],
    ] as const)
      w.pipes.write(all.subarray(cut[0], cut[1]));
    await flush();
    const ones = w.packets.filter((p) => p.label === "1").map((p) => p.bytes);
    expect(ones).toHaveLength(5);
    for (let i = 1; i < ones.length; i++) {
      expect(ts(ones[i]!) - ts(ones[i - 1]!)).toBe(160);
      expect((seq(ones[i]!) - seq(ones[i - 1]!)) & 0xffff).toBe(1);
    }
  });

  test("[recording] ptime packs FreeSWITCH's 20 ms writes: 40 ms packets from two writes, 10 ms packets two per write", async () => {
    for (const [ptimeMs, writes, packets, payload] of [
      [40, 5, 2, 320],
      [60, 6, 2, 480],
      [10, 2, 4, 80],
    ] as const) {
      const { w } = await setup({ mediaBug: { maxBacklogMs: 200, stallMs: 5000, ptimeMs } });
      for (let i = 0; i < writes; i++) w.pipes.write(pcm(1));
      await flush();
      const ones = w.packets.filter((p) => p.label === "1").map((p) => p.bytes);
      const twos = w.packets.filter((p) => p.label === "2").map((p) => p.bytes);
      // 5 writes of 20 ms with 40 ms packets: two whole packets, 20 ms waiting in the framer.
      expect([ptimeMs, ones.length, twos.length]).toEqual([ptimeMs, packets, packets]);
      expect(ones[0]!.length).toBe(12 + payload);
      expect(ones[0]!.subarray(12).every((x) => x === (mulaw.encodeSample(1000) & 0xff))).toBe(true);
      expect(twos[0]!.subarray(12).every((x) => x === (mulaw.encodeSample(-2000) & 0xff))).toBe(true);
      for (let i = 1; i < ones.length; i++) {
        expect((ts(ones[i]!) - ts(ones[i - 1]!)) >>> 0).toBe(payload);
        expect((seq(ones[i]!) - seq(ones[i - 1]!)) & 0xffff).toBe(1);
      }
    }
  });

  test("ptime 40: the INVITE goes out on FreeSWITCH's first 20 ms, not a packet later; a dropped backlog counts 40 ms a packet", async () => {
    const { w, rec } = await setup({ mediaBug: { maxBacklogMs: 200, stallMs: 5000, ptimeMs: 40 } });
    w.pipes.write(pcm(1));
    await flush();
    expect(w.sessions).toHaveLength(1); // audio flows: no need to wait for a whole 40 ms packet
    expect(w.packets).toHaveLength(0);
    w.pipes.write(pcm(1));
    await flush();
    expect(w.packets.filter((p) => p.label === "1")).toHaveLength(1);
    w.packets.length = 0;
    // 15 packets' worth in one read with 20 frames (400 ms) queued behind: all too old. Then the 20 frames: the newest 6 packets (≤ 200 ms) kept.
    w.pipes.write(pcm(30), 20 * 640);
    w.pipes.write(pcm(20));
    w.pipes.write(pcm(2));
    await flush();
    expect(w.packets.filter((p) => p.label === "1")).toHaveLength(7);
    expect(rec.recordings[0]!.gapMs).toBe((15 + 4) * 40);
  });

  test("a backlog (the daemon fell behind): audio older than max_backlog_ms is dropped, the timestamps step over it, a gap is reported", async () => {
    const { w, rec } = await setup();
    w.pipes.write(pcm(1));
    await flush();
    const before = ts(w.packets[0]!.bytes);
    w.packets.length = 0;
    // 30 frames in one read and 20 more queued (1 s in all): only what is ≤ 200 ms old is sent.
    w.pipes.write(pcm(30), 20 * 640);
    w.pipes.write(pcm(20));
    await flush();
    const ones = w.packets.filter((p) => p.label === "1").map((p) => p.bytes);
    // The first read: every frame has ≥ 20 frames (400 ms) behind it. The second: the newest 11 (≤ 200 ms) are kept.
    expect(ones).toHaveLength(11);
    w.pipes.write(pcm(1)); // live again: the gap is told once
    await flush();
    const gap = w.events.find((e) => e["Event-Subclass"] === "siprec::gap");
    expect(gap?.["SIPREC-Gap-Ms"]).toBe(String(39 * 20));
    expect(rec.recordings[0]!.gapMs).toBe(780);
    expect(rec.counters.tapGapMs).toBe(780);
    expect(w.commands).toContain(`api uuid_setvar ${A} siprec_gap_ms 780`);
    // The first kept packet is 40 frames after the one before the backlog (39 dropped): the SRS's timeline stays true.
    expect((ts(ones[0]!) - before) >>> 0).toBe(160 * 40);
  });

  test("a backlog before the SRS records (the INVITE still out) is no gap: nothing of it would have been sent", async () => {
    const { w, rec } = await setup();
    w.sessionOutcome = () => "recording";
    // The first read already holds a second of audio: the recording is not up yet when it is cut.
    w.pipes.write(pcm(50));
    w.pipes.write(pcm(1));
    await flush();
    expect(rec.recordings[0]!.status).toBe("recording");
    expect(w.events.filter((e) => e["Event-Subclass"] === "siprec::gap")).toEqual([]);
    expect(rec.recordings[0]!.gapMs).toBe(0);
  });

  test("uuid_record refused: the recording falls back to tap legs and says so", async () => {
    const { w, rec } = await setup({}, () => "-ERR Cannot record session!\n");
    await flush();
    expect(w.commands.filter((c) => c.includes("originate"))).toHaveLength(2);
    expect(rec.recordings[0]!.fallback).toContain("media-bug tap failed (uuid_record into the tap pipe failed: Cannot record session!");
    expect(rec.recordings[0]!.fallback).toContain("must run as the daemon's user");
    expect(w.pipes.opened[0]!.closed).toBe(true);
    expect(rec.recordings[0]!.tapMethod).toBe("legs");
  });

  test("no audio within the answer timeout: tap legs instead", async () => {
    const { w, rec, stops } = await setup();
    w.clock.advance(3000);
    await flush();
    expect(stops()).toHaveLength(1); // our recording is taken off the call
    expect(w.commands.filter((c) => c.includes("originate"))).toHaveLength(2);
    expect(rec.recordings[0]!.fallback).toContain("no audio from FreeSWITCH's recording within 3000 ms");
  });

  test("the pipe cannot be made: tap legs", async () => {
    const w = new RecorderWorld();
    w.pipes.refuse = "EACCES";
    const rec = new Recorder(w.deps({ tapMethod: "media-bug" }), new Triggers([{ kind: "event", srs_groups: ["default"] }], GROUPS), GROUPS);
    for (const e of ev.slice(0, 3)) rec.onEvent(e);
    await flush();
    expect(w.commands.filter((c) => c.includes("originate"))).toHaveLength(2);
    expect(rec.recordings[0]!.fallback).toContain("cannot open the tap pipe: EACCES");
  });

  test("FreeSWITCH stops our recording mid-call (RECORD_STOP for our path): set up again after 0.5 s, into the same pipe", async () => {
    const { w, rec, starts, path } = await setup();
    w.pipes.write(pcm(1));
    await flush();
    // FreeSWITCH's own RECORD_STOP (captured), as this call's and this pipe's.
    const stopped = mediaBugEvents().find((e) => e.name === "RECORD_STOP")!;
    rec.onEvent(withHeaders(stopped, { "Unique-ID": A, "Record-File-Path": path() }));
    // Someone else's recording stopping changes nothing.
    rec.onEvent(withHeaders(stopped, { "Unique-ID": A, "Record-File-Path": "/tmp/customer.wav" }));
    expect(starts()).toHaveLength(1);
    w.clock.advance(499);
    expect(starts()).toHaveLength(1);
    w.clock.advance(1);
    await flush();
    expect(starts()).toHaveLength(2);
    expect(w.pipes.opened).toHaveLength(1);
    w.pipes.write(pcm(1));
    expect(rec.recordings[0]!.status).toBe("recording");
  });

  test("FreeSWITCH will not record into the pipe again (5 restores): the pipe goes, the same streams go on from tap legs, the fallback says why", async () => {
    const { w, rec, path } = await setup();
    w.pipes.write(pcm(1));
    await flush();
    const stopped = mediaBugEvents().find((e) => e.name === "RECORD_STOP")!;
    rec.onEvent(withHeaders(stopped, { "Unique-ID": A, "Record-File-Path": path() }));
    // Every restore gets no audio: 0.5+1+2+4+8 s of back-off and a 3 s answer timeout each.
    for (let i = 0; i < 40; i++) {
      w.clock.advance(1000);
      await flush();
    }
    expect(w.commands.filter((c) => c.startsWith(`bgapi uuid_record ${A} start`))).toHaveLength(6);
    expect(w.commands.filter((c) => c.includes("originate"))).toHaveLength(2);
    const r = rec.recordings[0]!;
    expect(r.tapMethod).toBe("legs");
    expect(r.status).toBe("recording");
    expect(r.fallback).toContain("the media-bug tap was lost mid-recording");
    expect(w.sessions).toHaveLength(1); // the same SRS session goes on
    expect(w.pipes.opened[0]!.closed).toBe(true);
  });

  test("no audio for stall_timeout_ms: stop and start again; a watchdog round this process was too stalled to run on time blames nobody", async () => {
    const { w, starts, stops } = await setup();
    w.pipes.write(pcm(1));
    await flush();
    // The whole process stood still for 10 s (SIGSTOP): the late round is skipped, the backlog then arrives.
    w.clock.jump(10_000);
    await flush();
    expect(stops()).toHaveLength(0);
    w.pipes.write(pcm(3));
    for (let i = 0; i < 4; i++) w.clock.advance(1000);
    expect(stops()).toHaveLength(0);
    // Then FreeSWITCH really goes quiet: the first on-time round more than 5 s after the last audio.
    w.clock.advance(1000);
    expect(stops()).toHaveLength(0);
    w.clock.advance(1000);
    await flush();
    expect(stops()).toHaveLength(1);
    w.clock.advance(500);
    await flush();
    expect(starts()).toHaveLength(2);
    for (let i = 0; i < 10; i++) {
      w.pipes.write(pcm(50)); // audio flows again: a second's worth each second
      w.clock.advance(1000);
    }
    await flush();
    expect(stops()).toHaveLength(1);
    expect(starts()).toHaveLength(2);
  });

  test("stop: uuid_record stop for our path only, the pipe closed once FreeSWITCH answered; a hangup leaves the stop to FreeSWITCH", async () => {
    const { w, rec, stops, path } = await setup();
    w.pipes.write(pcm(1));
    await flush();
    await rec.recordings[0]!.stop("test");
    await flush();
    expect(stops()).toEqual([`bgapi uuid_record ${A} stop ${path()}`]);
    expect(w.pipes.opened[0]!.closed).toBe(true);

    const h = await setup();
    h.w.pipes.write(pcm(1));
    await flush();
    await h.rec.recordings[0]!.stop("hangup", true);
    expect(h.stops()).toHaveLength(0);
    expect(h.w.pipes.opened[0]!.closed).toBe(false); // FreeSWITCH's last frames are still read
    h.w.clock.advance(PIPE_LINGER_MS);
    expect(h.w.pipes.opened[0]!.closed).toBe(true);
  });

  test("an Opus call records separate streams (FreeSWITCH decodes it), and the pipe is kept for a restart", async () => {
    const w = new RecorderWorld();
    w.originate = () => OK;
    const saved: unknown[] = [];
    const deps = { ...w.deps({ tapMethod: "media-bug" }), store: { save: (r: unknown) => void saved.push(r), remove: () => {}, load: () => [] } };
    const rec = new Recorder(deps, new Triggers([{ kind: "event", srs_groups: ["default"] }], GROUPS), GROUPS);
    rec.onEvent(ev[0]!);
    rec.onEvent(withHeaders(ev[1]!, { variable_read_codec: "opus", "Channel-Read-Codec-Name": "opus" }));
    rec.onEvent(ev[2]!);
    await flush();
    expect(rec.recordings[0]!.mode).toBe("separate");
    expect(rec.recordings[0]!.fallback).toBeUndefined();
    expect(saved.at(-1)).toMatchObject({ tapFiles: [w.pipes.opened[0]!.path], legUuids: [] });
  });

  test("wideband (an SRS may take G.722 or L16): FreeSWITCH records at 16 kHz into a .r16 pipe; each side goes on as L16/16000, 20 ms a packet", async () => {
    const { w, starts, path } = await setup({ mediaBug: { maxBacklogMs: 200, stallMs: 5000, sampleRate: 16000 } });
    expect(path()).toEndWith(".r16");
    expect(starts()).toEqual([`bgapi uuid_record ${A} start ${path()} 0 {${RECORD_VARS.join(",")},record_sample_rate=16000}`]);
    // Two 20 ms frames at 16 kHz: 1280 bytes each, left 1000, right -2000 (little-endian in the pipe).
    const b = new Uint8Array(2 * 1280);
    const v = new DataView(b.buffer);
    for (let i = 0; i < 640; i++) {
      v.setInt16(i * 4, 1000, true);
      v.setInt16(i * 4 + 2, -2000, true);
    }
    w.pipes.write(b);
    await flush();
    expect(w.legs).toEqual([
      { label: "1", codec: "L16", clockRate: 16000 },
      { label: "2", codec: "L16", clockRate: 16000 },
    ]);
    const one = w.packets.filter((p) => p.label === "1");
    const two = w.packets.filter((p) => p.label === "2");
    expect(one).toHaveLength(2);
    expect(one[0]!.bytes.length).toBe(12 + 640);
    expect(one[0]!.bytes[1]! & 0x7f).toBe(96);
    // Network byte order: 1000 = 0x03e8, -2000 = 0xf830.
    expect([...one[0]!.bytes.subarray(12, 16)]).toEqual([0x03, 0xe8, 0x03, 0xe8]);
    expect([...two[0]!.bytes.subarray(12, 16)]).toEqual([0xf8, 0x30, 0xf8, 0x30]);
    expect((ts(one[1]!.bytes) - ts(one[0]!.bytes)) >>> 0).toBe(320);
    expect((seq(one[1]!.bytes) - seq(one[0]!.bytes)) & 0xffff).toBe(1);
  });
});
