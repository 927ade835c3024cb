/**
 * `siprec daemon` with [tap] method = "media-bug" against the FreeSWITCH
 * emulator (uuid_record writes FreeSWITCH's captured stereo PCM into the
 * daemon's pipe) and `siprec srs`: the streams, a recording FreeSWITCH
 * stops by itself, a restart, the pipes left behind.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseWav } from "../../src/media/wav.ts";
import { dominantFrequency } from "../../src/media/tone.ts";
import { CALL_A } from "../support/fs-emulator.ts";
import { type DaemonRig, callRecorded, startRig } from "./support.ts";

let rig: DaemonRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const MEDIA_BUG = 'method = "media-bug"';

function tone(path: string): number {
  const w = parseWav(new Uint8Array(readFileSync(path)));
  if (!w.ok) throw new Error(w.error.message);
  const s = w.value.samples8k;
  return dominantFrequency(s.subarray(Math.floor(s.length / 3), Math.floor(s.length / 3) + 2400), 8000, [440, 660, 880]);
}

describe("siprec daemon, media-bug tap, against the FreeSWITCH emulator", () => {
  test("one uuid_record into a pipe in the private directory, no tap legs; label 1 hears the left channel (440 Hz), label 2 the right (660 Hz); hangup removes the pipe", async () => {
    rig = await startRig({ tap: MEDIA_BUG });
    const r = rig;
    await callRecorded(r);
    const start = r.fs.commands.find((c) => c.startsWith(`bgapi uuid_record ${CALL_A} start `)) ?? "";
    const path = /start (\S+)/.exec(start)?.[1] ?? "";
    expect(path.startsWith(join(r.dir, "tap"))).toBe(true);
    expect(r.fs.legs.legs).toEqual([]);
    expect(r.fired("started")[0]!.get("SIPREC-Streams")).toBe("separate");
    await Bun.sleep(1500);
    r.fs.playCallEnd();
    await r.until(() => r.srs.finished.length === 1 && r.fired("stopped").length === 1, 5000, "the recording to finish");
    const folder = r.srs.finished[0]!.folder;
    expect(tone(join(folder, "label-1.wav"))).toBe(440);
    expect(tone(join(folder, "label-2.wav"))).toBe(660);
    const streams = r.srs.finished[0]!.streams as { packets: number }[];
    for (const s of streams) expect(s.packets).toBeGreaterThan(60);
    await r.until(() => !existsSync(path), 4000, "the pipe to go");
  }, 30_000);

  test("FreeSWITCH stops the recording by itself (RECORD_STOP): uuid_record again into the same pipe, the SRS session goes on", async () => {
    rig = await startRig({ tap: MEDIA_BUG });
    const r = rig;
    await callRecorded(r);
    await Bun.sleep(500);
    r.fs.stopRecording(CALL_A);
    await r.until(() => r.fs.commands.filter((c) => c.startsWith(`bgapi uuid_record ${CALL_A} start `)).length === 2, 3000, "uuid_record again");
    await r.until(() => r.fs.records.active === 1, 2000, "the new recording");
    await Bun.sleep(800);
    r.fs.playCallEnd();
    await r.until(() => r.srs.finished.length === 1, 5000, "the recording to finish");
    // One SIPREC session throughout, with audio after the interruption.
    const streams = r.srs.finished[0]!.streams as { packets: number }[];
    for (const s of streams) expect(s.packets).toBeGreaterThan(50);
    expect(r.fired("failed")).toEqual([]);
    expect(r.log.some((l) => l.includes("media-bug tap lost mid-recording"))).toBe(true);
  }, 30_000);

  test("uuid_record refused: the recording falls back to tap legs and says why in SIPREC-Fallback", async () => {
    rig = await startRig({ tap: `${MEDIA_BUG}\npipe_bytes = 65536` });
    const r = rig;
    // FreeSWITCH answers "-ERR Cannot record session!" (it could not open the file, e.g. another user's pipe).
    const original = r.fs.records.start.bind(r.fs.records);
    r.fs.records.start = () => "-ERR Cannot record session!\n";
    await callRecorded(r);
    r.fs.records.start = original;
    expect(r.fired("started")[0]!.get("SIPREC-Fallback")).toContain("media-bug tap failed");
    expect(r.fs.legs.legs.map((l) => l.plan.direction)).toEqual(["read", "write"]);
  }, 30_000);

  test("SIGTERM ends the recordings (uuid_record stop) and leaves no pipe behind", async () => {
    rig = await startRig({ tap: MEDIA_BUG });
    const r = rig;
    await callRecorded(r);
    r.stop();
    expect(await r.exit).toBe(0);
    expect(r.fs.commands.some((c) => c.startsWith(`bgapi uuid_record ${CALL_A} stop `))).toBe(true);
    await r.until(() => readdirSync(join(r.dir, "tap")).length === 0, 3000, "no pipe left");
  }, 30_000);
});
