/** The SRS's one writer through an in-memory sink: what is on "disk" at each point of a recording. */
import { describe, expect, test } from "bun:test";
import { Timeline } from "../media/timeline.ts";
import type { RecordingFolder, WavWriter } from "./recording-sink.ts";
import { JITTER_SAMPLES, RecordingWriter, type Written } from "./recording-writer.ts";
import type { SrsReport } from "./report.ts";

function memoryFolder(failWrites = false) {
  const files = new Map<string, string>();
  const wavs = new Map<string, number>();
  const folder: RecordingFolder = {
    path: "/mem/rec",
    writeText: (name, text) => {
      if (failWrites) return `/mem/rec/${name}: disk full`;
      files.set(name, text);
      return undefined;
    },
    openWav: (name, _rate): WavWriter => {
      wavs.set(name, 0);
      return { append: (s) => void wavs.set(name, (wavs.get(name) ?? 0) + s.length), close: () => {}, error: undefined };
    },
  };
  return { folder, files, wavs };
}

function recording(): Written & { metadata: string[]; timeline: Timeline } {
  const timeline = new Timeline();
  const metadata = ["<recording>1</recording>"];
  return {
    timeline,
    metadata,
    streams: new Map([["1", { label: "1", timeline, decoder: { sampleRate: 8000 } }]]),
    report: (nowMs, complete) => ({ complete, writtenAt: String(nowMs) }) as unknown as SrsReport,
  };
}

describe("RecordingWriter (recording-writer.ts)", () => {
  test("from the start: the metadata so far, an empty WAV per label, an in-progress report; later versions as they come", () => {
    const m = memoryFolder();
    const rec = recording();
    const w = new RecordingWriter(m.folder, () => {});
    w.start(rec, 0);
    expect([...m.files.keys()].sort()).toEqual(["metadata-1.xml", "report.json"]);
    expect(JSON.parse(m.files.get("report.json") as string).complete).toBe(false);
    expect([...m.wavs.keys()]).toEqual(["label-1.wav"]);
    rec.metadata.push("<recording>2</recording>");
    w.metadata(rec.metadata);
    expect(m.files.get("metadata-2.xml")).toBe("<recording>2</recording>");
  });

  test("each flush puts all but the jitter window on disk; the report is rewritten every second flush; finish writes the rest and a complete report", () => {
    const m = memoryFolder();
    const rec = recording();
    const w = new RecordingWriter(m.folder, () => {});
    w.start(rec, 0);
    for (let i = 0; i < 100; i++) rec.timeline.add(i * 160, "PCMU", new Uint8Array(160).fill(0xff));
    w.flush(rec, 500);
    expect(m.wavs.get("label-1.wav")).toBe(16_000 - JITTER_SAMPLES);
    expect(JSON.parse(m.files.get("report.json") as string).writtenAt).toBe("0");
    w.flush(rec, 1000);
    expect(JSON.parse(m.files.get("report.json") as string).writtenAt).toBe("1000");
    const final = w.finish(rec, 1200);
    expect(m.wavs.get("label-1.wav")).toBe(16_000);
    expect(final.complete).toBe(true);
    expect(JSON.parse(m.files.get("report.json") as string).complete).toBe(true);
  });

  test("a write error is reported to the recording, never thrown", () => {
    const m = memoryFolder(true);
    const errors: string[] = [];
    const w = new RecordingWriter(m.folder, (e) => errors.push(e));
    expect(() => w.start(recording(), 0)).not.toThrow();
    expect(errors).toEqual(["/mem/rec/metadata-1.xml: disk full", "/mem/rec/report.json: disk full"]);
  });
});
