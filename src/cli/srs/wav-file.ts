/**
 * A WAV file written as the audio arrives: the header is rewritten with
 * the true sizes after every append, so a file cut short (the SRS killed,
 * the disk full) is still a valid WAV of everything written until then.
 * A write error is kept (the recording's report says so), never thrown.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { pcmBytes, wavHeader } from "../../media/wav.ts";

export class WavFile {
  #fd: number | undefined;
  #samples = 0;
  error: string | undefined;

  constructor(readonly path: string) {
    try {
      this.#fd = openSync(path, "w");
      writeSync(this.#fd, wavHeader(0), 0, 44, 0);
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
      writeSync(this.#fd, wavHeader(this.#samples), 0, 44, 0);
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
    this.error = `${this.path}: ${e instanceof Error ? e.message : String(e)}`;
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
