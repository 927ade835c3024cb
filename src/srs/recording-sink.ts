/**
 * Where the reference SRS puts what it recorded (its sink port): one
 * folder per recording holding label-N.wav, metadata-N.xml and
 * report.json. Only recording-writer.ts writes through it; the file
 * adapter is file-recording-sink.ts, tests may keep it in memory.
 * Writing never throws: an error comes back as text for the report.
 */
import type { SrsReport } from "./report.ts";

export interface WavWriter {
  /** Appends 16-bit samples (at the rate the file was opened with); the header's sizes stay true after each append. */
  append(samples: Int16Array): void;
  close(): void;
  /** The first write error, if any. */
  readonly error: string | undefined;
}

export interface RecordingFolder {
  /** Where it is, as the operator reads it (logs, the report's "folder"). */
  readonly path: string;
  /** Writes (or replaces) a whole file; the error text, or undefined. */
  writeText(name: string, text: string): string | undefined;
  /** A mono 16-bit WAV at `sampleRate` (8000, or 16000 for a wideband stream). */
  openWav(name: string, sampleRate: number): WavWriter;
}

export interface RecordingSink {
  /** The folder of a recording (created on open; an error shows in its writes). */
  folder(name: string): RecordingFolder;
  /**
   * Reports an earlier run left "complete": false (it was killed): each
   * passed to `mark`, which returns the report to write back, or undefined
   * to leave it.
   */
  unfinished(mark: (report: SrsReport, folder: string) => SrsReport | undefined): number;
}
