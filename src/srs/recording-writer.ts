/**
 * The one writer of a reference-SRS recording's folder: label-N.wav,
 * metadata-N.xml and report.json, through the sink port. From the 200 OK
 * on, nothing received is lost if the SRS dies: every metadata version as
 * it arrives, the audio every flush (all but a jitter window, the WAV
 * header's sizes always true) and a report with "complete": false until
 * the end (every second flush).
 */
import type { Timeline } from "../media/timeline.ts";
import type { RecordingFolder, WavWriter } from "./recording-sink.ts";
import { type SrsReport, wavName } from "./report.ts";

/** Audio kept in memory for late packets (0.5 s); the rest is on disk. */
export const JITTER_MS = 500;
/** The jitter window at 8 kHz. */
export const JITTER_SAMPLES = (8000 * JITTER_MS) / 1000;

/** How often the SRS puts a recording's audio on disk (the report every second time). */
export const AUDIO_FLUSH_MS = 500;

/** The most audio an SRS killed without warning has received but not written: one flush interval plus the jitter window. */
export const UNWRITTEN_AT_KILL_MS = AUDIO_FLUSH_MS + JITTER_MS;

/** What the writer reads of a recording. */
export interface Written {
  readonly streams: ReadonlyMap<string, { readonly label: string; readonly timeline: Timeline; readonly decoder: { readonly sampleRate: number } }>;
  readonly metadata: readonly string[];
  report(nowMs: number, complete: boolean): SrsReport;
}

export class RecordingWriter {
  readonly #wavs = new Map<string, WavWriter>();
  #metadataWritten = 0;
  #flushes = 0;

  constructor(
    private readonly folder: RecordingFolder,
    private readonly onError: (text: string) => void,
  ) {}

  start(rec: Written, nowMs: number): void {
    for (const s of rec.streams.values()) this.#wavs.set(s.label, this.folder.openWav(wavName(s.label), s.decoder.sampleRate));
    this.metadata(rec.metadata);
    this.flush(rec, nowMs);
  }

  /** Writes the versions not yet on disk (metadata-1.xml, -2, ...). */
  metadata(all: readonly string[]): void {
    for (; this.#metadataWritten < all.length; this.#metadataWritten++)
      this.#check(this.folder.writeText(`metadata-${this.#metadataWritten + 1}.xml`, all[this.#metadataWritten] as string));
  }

  /** All but the jitter window of each stream on disk; the in-progress report every second call. */
  flush(rec: Written, nowMs: number): void {
    for (const s of rec.streams.values()) this.#wavs.get(s.label)?.append(s.timeline.drain((s.decoder.sampleRate * JITTER_MS) / 1000));
    if (this.#flushes++ % 2 === 0) this.#report(rec.report(nowMs, false));
  }

  /** The rest of every stream, the WAVs closed, the final report. */
  finish(rec: Written, nowMs: number): SrsReport {
    this.metadata(rec.metadata);
    for (const s of rec.streams.values()) {
      const wav = this.#wavs.get(s.label);
      for (let part = s.timeline.drain(0); part.length > 0; part = s.timeline.drain(0)) wav?.append(part);
      wav?.close();
    }
    const report = rec.report(nowMs, true);
    this.#report(report);
    return report;
  }

  wavError(label: string): string | undefined {
    return this.#wavs.get(label)?.error;
  }

  #report(r: SrsReport): void {
    this.#check(this.folder.writeText("report.json", `${JSON.stringify(r, null, 2)}\n`));
  }

  #check(error: string | undefined): void {
    if (error !== undefined) this.onError(error);
  }
}
