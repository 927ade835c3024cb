/**
 * The media-bug tap's named pipes on disk: one FIFO per recording in a
 * private directory (0700, owned by this process's user; FreeSWITCH opens
 * the FIFOs for writing, so it runs as the same user, or as root).
 *
 * A pipe is opened O_RDWR | O_NONBLOCK before FreeSWITCH is asked to write:
 * opening never blocks, FreeSWITCH's own open(O_WRONLY) finds a reader at
 * once, and the read side never sees end-of-file between two writers (a
 * restored recording). When this process dies, its descriptors close and
 * FreeSWITCH's next write fails with EPIPE: FreeSWITCH never blocks on a
 * pipe whose reader is gone. The buffer is enlarged with F_SETPIPE_SZ (1 MiB
 * holds 32 s of stereo 8 kHz audio). Every pipe is read through one epoll
 * set (pipe-poller.ts); a read that did not empty the pipe reports what is
 * still queued (FIONREAD), so the tap can tell a backlog from live audio.
 *
 * mkfifo, fcntl and ioctl come from libc through bun:ffi (no native addon:
 * it works inside the compiled binary). Without it (no libc.so.6), `mkfifo`
 * is run as a command and the pipe keeps the kernel's 64 KiB.
 */
import { FFIType, dlopen, ptr } from "bun:ffi";
import { spawnSync } from "node:child_process";
import { closeSync, constants, lstatSync, mkdirSync, openSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "../lib/log.ts";
import { type Result, err, ok } from "../lib/result.ts";
import type { PcmPipe, PcmPipeError, PcmPipePort } from "../recorder/ports.ts";
import { PipePoller } from "./pipe-poller.ts";

const F_SETPIPE_SZ = 1031;
const FIONREAD = 0x541b;

interface Libc {
  mkfifo(path: Uint8Array, mode: number): number;
  fcntl(fd: number, cmd: number, arg: number): number;
  ioctl(fd: number, request: number, out: Int32Array): number;
}

let libc: Libc | null | undefined;

function loadLibc(): Libc | null {
  if (libc !== undefined) return libc;
  try {
    const l = dlopen("libc.so.6", {
      mkfifo: { args: [FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
      fcntl: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
      ioctl: { args: [FFIType.i32, FFIType.u64, FFIType.ptr], returns: FFIType.i32 },
    });
    const s = l.symbols;
    libc = {
      mkfifo: (path, mode) => s.mkfifo(ptr(path), mode),
      fcntl: (fd, cmd, arg) => s.fcntl(fd, cmd, arg),
      ioctl: (fd, request, out) => s.ioctl(fd, request, ptr(out)),
    };
  } catch {
    libc = null;
  }
  return libc;
}

const queuedOut = new Int32Array(1);
/** One 20 ms stereo frame at 8 kHz: what a pipe that keeps up yields per read (twice that at 16 kHz). */
const LIVE_READ_BYTES = 640;

export interface PcmPipesOptions {
  readonly dir: string;
  /** Pipe buffer asked for (F_SETPIPE_SZ); the kernel caps it at /proc/sys/fs/pipe-max-size. */
  readonly pipeBytes: number;
  readonly log: Logger;
}

export class FifoPcmPipes implements PcmPipePort {
  readonly #open = new Set<string>();
  #seq = 0;
  #sizeWarned = false;

  private constructor(private readonly o: PcmPipesOptions) {}

  /** Makes (or checks) the private directory and ends the pipes a dead process left in it. */
  static create(o: PcmPipesOptions): Result<FifoPcmPipes, PcmPipeError> {
    try {
      mkdirSync(o.dir, { recursive: true, mode: 0o700 });
      const st = statSync(o.dir);
      if (!st.isDirectory()) return err({ code: "PIPE_CREATE", message: `${o.dir} is not a directory` });
      const uid = process.getuid?.();
      if (uid !== undefined && st.uid !== uid)
        return err({ code: "PIPE_CREATE", message: `${o.dir} belongs to uid ${st.uid}, not to this process (uid ${uid})` });
      // Never loosen or tighten a directory someone else made (pipe_dir = "/tmp" must not become 0700): refuse it.
      if ((st.mode & 0o077) !== 0)
        return err({ code: "PIPE_CREATE", message: `${o.dir} is not private (mode ${(st.mode & 0o777).toString(8)}): make it 0700 or name another pipe_dir` });
    } catch (e) {
      return err({ code: "PIPE_CREATE", message: `cannot make the pipe directory ${o.dir}: ${e instanceof Error ? e.message : String(e)}` });
    }
    const pipes = new FifoPcmPipes(o);
    for (const f of readdirSync(o.dir)) if (f.endsWith(".r8") || f.endsWith(".r16")) pipes.release(join(o.dir, f));
    return ok(pipes);
  }

  get dir(): string {
    return this.o.dir;
  }

  open(name: string, onData: (chunk: Uint8Array, queuedBytes: number) => void, sampleRate: 8000 | 16000 = 8000): Result<PcmPipe, PcmPipeError> {
    if (!/^[A-Za-z0-9_-]{1,128}$/.test(name)) return err({ code: "PIPE_CREATE", message: `pipe name ${JSON.stringify(name)} is not allowed` });
    // A fresh name each time: a recording's earlier pipe may still be draining (pause "detach", a restart of its tap).
    const path = join(this.o.dir, `${name}-${++this.#seq}.r${sampleRate / 1000}`);
    rmSync(path, { force: true });
    const made = makeFifo(path);
    if (made !== undefined) return err({ code: "PIPE_CREATE", message: `mkfifo ${path}: ${made}` });
    let fd: number;
    try {
      fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
    } catch (e) {
      rmSync(path, { force: true });
      return err({ code: "PIPE_OPEN", message: `cannot open ${path}: ${e instanceof Error ? e.message : String(e)}` });
    }
    const c = loadLibc();
    if ((c === null || c.fcntl(fd, F_SETPIPE_SZ, this.o.pipeBytes) < 0) && !this.#sizeWarned) {
      this.#sizeWarned = true;
      this.o.log.warn("tap pipe buffer not enlarged; a stall of the daemon overflows it sooner", { path, asked: this.o.pipeBytes });
    }
    // Asked only after a read of more than one 20 ms frame (640 bytes at 8 kHz): a live pipe gives one frame a read,
    // and the ioctl would cost as much as the rest of the read.
    const queued = c === null ? () => 0 : () => (c.ioctl(fd, FIONREAD, queuedOut) === 0 ? (queuedOut[0] as number) : 0);
    let closed = false;
    this.#open.add(path);
    const poller = this.#poller();
    const stopReading =
      poller?.add(fd, (chunk, more) => onData(chunk, more ? queued() : 0)) === true
        ? () => poller.remove(fd)
        : this.#streamRead(
            fd,
            path,
            (chunk) => onData(chunk, chunk.length > (LIVE_READ_BYTES * sampleRate) / 8000 ? queued() : 0),
            () => closed,
          );
    return ok({
      path,
      close: () => {
        if (closed) return;
        closed = true;
        this.#open.delete(path);
        stopReading();
        try {
          closeSync(fd);
        } catch {
          // already closed
        }
        rmSync(path, { force: true });
      },
    });
  }

  #pollerState: PipePoller | null | undefined;

  /** One epoll set for every pipe (pipe-poller.ts), or null where FFI cannot reach epoll. */
  #poller(): PipePoller | null {
    if (this.#pollerState === undefined) this.#pollerState = PipePoller.open() ?? null;
    return this.#pollerState;
  }

  /** Without epoll: Bun's own stream over the pipe (a promise per read). Returns how to stop it. */
  #streamRead(fd: number, path: string, onData: (chunk: Uint8Array) => void, closed: () => boolean): () => void {
    const reader = Bun.file(fd).stream().getReader();
    void (async () => {
      try {
        for (;;) {
          const r = await reader.read();
          if (r.done || closed()) return;
          onData(r.value);
        }
      } catch (e) {
        if (!closed()) this.o.log.warn("tap pipe read failed", { path, error: e instanceof Error ? e.message : String(e) });
      }
    })();
    return () => void reader.cancel().catch(() => {});
  }

  release(path: string): void {
    if (!path.startsWith(`${this.o.dir}/`) || this.#open.has(path)) return;
    try {
      if (!lstatSync(path).isFIFO()) return;
      // A writer blocked in open(O_WRONLY) gets its reader and returns; its writes then fail (EPIPE).
      closeSync(openSync(path, constants.O_RDONLY | constants.O_NONBLOCK));
    } catch {
      // gone already
    }
    rmSync(path, { force: true });
  }
}

/** undefined when made; else why not. */
function makeFifo(path: string): string | undefined {
  const c = loadLibc();
  if (c !== null) return c.mkfifo(Buffer.from(`${path}\0`), 0o600) === 0 ? undefined : "mkfifo failed";
  const r = spawnSync("mkfifo", ["-m", "600", path]);
  return r.status === 0 ? undefined : r.stderr.toString().trim() || `exit ${r.status}`;
}
