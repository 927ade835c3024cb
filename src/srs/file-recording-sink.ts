/**
 * The reference SRS's recordings on disk (RecordingSink on node:fs): one
 * folder per recording under `dir`. WAVs are written as the audio arrives,
 * the header rewritten with the true sizes after every append, so a file
 * cut short (the SRS killed, the disk full) is still a valid WAV of
 * everything written until then. A write error is kept, never thrown.
 */
import { closeSync, mkdirSync, openSync, readFileSync, readdirSync, statSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { pcmBytes, wavHeader } from "../media/wav.ts";
import type { RecordingFolder, RecordingSink, WavWriter } from "./recording-sink.ts";
import type { SrsReport } from "./report.ts";

/** Folders looked at on start, at most (a huge recordings folder must not stall the start). */
const MAX_FOLDERS = 100_000;
const MAX_REPORT_BYTES = 16 * 1024 * 1024;

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export class WavFile implements WavWriter {
  #fd: number | undefined;
  #samples = 0;
  error: string | undefined;

  constructor(
    readonly path: string,
    readonly sampleRate = 8000,
  ) {
    try {
      this.#fd = openSync(path, "w");
      writeSync(this.#fd, wavHeader(0, sampleRate), 0, 44, 0);
    } catch (e) {
      this.#failed(e);
    }
  }

  get samples(): number {
    return this.#samples;
  }

  append(samples: Int16Array): void {
    if (this.#fd === undefined || samples.length === 0) return;
    try {
      const bytes = pcmBytes(samples);
      writeSync(this.#fd, bytes, 0, bytes.length, 44 + this.#samples * 2);
      this.#samples += samples.length;
      writeSync(this.#fd, wavHeader(this.#samples, this.sampleRate), 0, 44, 0);
    } catch (e) {
      this.#failed(e);
    }
  }

  close(): void {
    if (this.#fd === undefined) return;
    try {
      closeSync(this.#fd);
    } catch {
      // Closing a file that failed to write has nothing more to tell.
    }
    this.#fd = undefined;
  }

  #failed(e: unknown): void {
    this.error = `${this.path}: ${message(e)}`;
    if (this.#fd !== undefined) {
      try {
        closeSync(this.#fd);
      } catch {
        // Already failing: the first error is the one reported.
      }
    }
    this.#fd = undefined;
  }
}

export function fileRecordingSink(dir: string): RecordingSink {
  return {
    folder(name: string): RecordingFolder {
      const path = join(dir, name);
      // Created with its first file: a refused INVITE leaves no empty folder.
      let made: string | undefined | null = null;
      const make = (): string | undefined => {
        if (made !== null) return made;
        try {
          mkdirSync(path, { recursive: true });
          made = undefined;
        } catch (e) {
          made = `${path}: ${message(e)}`;
        }
        return made;
      };
      return {
        path,
        writeText(file, text) {
          const failed = make();
          if (failed !== undefined) return failed;
          try {
            writeFileSync(join(path, file), text);
            return undefined;
          } catch (e) {
            return `${join(path, file)}: ${message(e)}`;
          }
        },
        openWav: (file, rate) => (make(), new WavFile(join(path, file), rate)),
      };
    },
    unfinished(mark) {
      let names: string[];
      try {
        names = readdirSync(dir).slice(0, MAX_FOLDERS);
      } catch {
        return 0; // no folder yet: nothing was recorded
      }
      let found = 0;
      for (const name of names) {
        const path = join(dir, name, "report.json");
        try {
          if (statSync(path).size > MAX_REPORT_BYTES) continue;
          const next = mark(JSON.parse(readFileSync(path, "utf8")) as SrsReport, join(dir, name));
          if (next === undefined) continue;
          writeFileSync(path, `${JSON.stringify(next, null, 2)}\n`);
          found++;
        } catch {
          // Not a recording folder (or an unreadable report): left as it is.
        }
      }
      return found;
    },
  };
}
