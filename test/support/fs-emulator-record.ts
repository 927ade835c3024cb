/**
 * The FreeSWITCH emulator's `uuid_record` into a pipe (the daemon's
 * media-bug tap): it opens the path for writing and writes FreeSWITCH's own
 * stereo PCM (the captured test/fixtures/freeswitch-media-bug/
 * stereo-440-660.r8, looped) in 640-byte frames every 20 ms, paced on
 * absolute deadlines, as FreeSWITCH's recording thread does. A full pipe
 * drops the frame (FreeSWITCH would buffer it); a pipe without a reader is
 * refused at once (FreeSWITCH would wait in its job: the daemon never asks
 * for that). Stopping fires FreeSWITCH's captured RECORD_STOP, as this call's.
 * `external`: the emulator only answers and lists the paths (`externalPaths`)
 * for a bench whose C writer plays every recording.
 */
import { closeSync, constants, openSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { FIXTURES } from "./vectors.ts";

const PCM = new Uint8Array(readFileSync(join(FIXTURES, "freeswitch-media-bug", "stereo-440-660.r8")));
const FRAME = 640;

interface Writer {
  readonly callUuid: string;
  readonly path: string;
  readonly fd: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  at: number;
  frames: number;
}

export class RecordWriters {
  readonly #writers = new Map<string, Writer>();
  /** With `external`: the recordings started, by path, with their call. */
  readonly externalPaths = new Map<string, string>();
  /** Frames written, all recordings. */
  written = 0;

  constructor(
    private readonly stopped: (callUuid: string, path: string) => void,
    private readonly external = false,
  ) {}

  get active(): number {
    return this.#writers.size;
  }

  /** `uuid_record <uuid> start <path>`: FreeSWITCH's answer body. */
  start(callUuid: string, path: string): string {
    if (this.#writers.has(path)) return "-ERR Cannot record session!\n";
    let fd: number;
    try {
      fd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
    } catch {
      return "-ERR Cannot record session!\n";
    }
    if (this.external) {
      closeSync(fd);
      this.externalPaths.set(path, callUuid);
      return "+OK Success\n";
    }
    const w: Writer = { callUuid, path, fd, timer: undefined, at: performance.now(), frames: 0 };
    this.#writers.set(path, w);
    this.#tick(w);
    return "+OK Success\n";
  }

  /** `uuid_record <uuid> stop <path>` (or `all`): stops and fires RECORD_STOP. */
  stop(callUuid: string, path: string): string {
    const mine = [...this.#writers.values()].filter((w) => w.callUuid === callUuid && (path === "all" || w.path === path));
    for (const w of mine) this.#end(w, true);
    const outside = [...this.externalPaths].filter(([p, c]) => c === callUuid && (path === "all" || p === path));
    for (const [p] of outside) {
      this.externalPaths.delete(p);
      this.stopped(callUuid, p);
    }
    return mine.length + outside.length > 0 ? "+OK Success\n" : "-ERR Cannot stop record session!\n";
  }

  /** The call hung up: its recordings end (RECORD_STOP each). */
  callEnded(callUuid: string): void {
    for (const w of [...this.#writers.values()]) if (w.callUuid === callUuid) this.#end(w, true);
    for (const [p, c] of [...this.externalPaths]) if (c === callUuid) this.externalPaths.delete(p);
  }

  close(): void {
    for (const w of [...this.#writers.values()]) this.#end(w, false);
  }

  #tick(w: Writer): void {
    const off = (w.frames * FRAME) % (PCM.length - (PCM.length % FRAME));
    try {
      writeSync(w.fd, PCM, off, FRAME);
      this.written++;
    } catch (e) {
      // EAGAIN: the pipe is full (a stalled reader); EPIPE: the reader is gone.
      if ((e as { code?: string }).code === "EPIPE") return this.#end(w, true);
    }
    w.frames++;
    w.at += 20;
    w.timer = setTimeout(() => this.#tick(w), Math.max(0, w.at - performance.now()));
  }

  #end(w: Writer, tell: boolean): void {
    if (w.timer !== undefined) clearTimeout(w.timer);
    this.#writers.delete(w.path);
    try {
      closeSync(w.fd);
    } catch {
      // closed already
    }
    if (tell) this.stopped(w.callUuid, w.path);
  }
}
