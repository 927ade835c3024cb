/**
 * Reads many non-blocking pipes from one epoll set (libc through bun:ffi):
 * every TICK_MS one epoll_wait(…, 0) says which pipes have data, and each is
 * read into one shared buffer until it is empty. One wake-up serves every
 * recording; no stream object, promise or allocation per read. The tick is
 * a setTimeout chain on absolute deadlines (no drift); it runs only while a
 * pipe is registered. A read is handed to its callback as a view of the
 * shared buffer, valid only during the call.
 *
 * Linux x86-64 and arm64: struct epoll_event is { uint32 events; uint64 data }
 * packed to 12 bytes on x86-64 and aligned to 16 on arm64; `data` holds the fd.
 */
import { FFIType, dlopen, ptr } from "bun:ffi";
import { arch } from "node:os";

/** How often ready pipes are read: FreeSWITCH writes every 20 ms, so at most this much is added to a frame's way. */
export const TICK_MS = 5;
const EPOLLIN = 0x001;
const EPOLL_CTL_ADD = 1;
const EPOLL_CTL_DEL = 2;
const MAX_EVENTS = 1024;
const READ_BYTES = 256 * 1024;
const EVENT_SIZE = arch() === "x64" ? 12 : 16;
const DATA_OFFSET = arch() === "x64" ? 4 : 8;

interface Sys {
  create(): number;
  ctl(epfd: number, op: number, fd: number, ev: Uint8Array): number;
  wait(epfd: number, evs: Uint8Array, max: number): number;
  read(fd: number, buf: Uint8Array, n: number): number;
}

function loadSys(): Sys | undefined {
  try {
    const l = dlopen("libc.so.6", {
      epoll_create1: { args: [FFIType.i32], returns: FFIType.i32 },
      epoll_ctl: { args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
      epoll_wait: { args: [FFIType.i32, FFIType.ptr, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
      read: { args: [FFIType.i32, FFIType.ptr, FFIType.u64], returns: FFIType.i64 },
    });
    const s = l.symbols;
    return {
      create: () => s.epoll_create1(0),
      ctl: (epfd, op, fd, ev) => s.epoll_ctl(epfd, op, fd, ptr(ev)),
      wait: (epfd, evs, max) => s.epoll_wait(epfd, ptr(evs), max, 0),
      read: (fd, buf, n) => Number(s.read(fd, ptr(buf), n)),
    };
  } catch {
    return undefined;
  }
}

export class PipePoller {
  readonly #sys: Sys;
  readonly #epfd: number;
  readonly #handlers = new Map<number, (chunk: Uint8Array, more: boolean) => void>();
  readonly #events = new Uint8Array(EVENT_SIZE * MAX_EVENTS);
  readonly #eventView = new DataView(this.#events.buffer);
  readonly #buf = new Uint8Array(READ_BYTES);
  readonly #ev = new Uint8Array(EVENT_SIZE);
  #timer: ReturnType<typeof setTimeout> | undefined;
  #due = 0;

  private constructor(sys: Sys, epfd: number) {
    this.#sys = sys;
    this.#epfd = epfd;
  }

  /** undefined where epoll cannot be reached (no libc through FFI): the caller reads another way. */
  static open(): PipePoller | undefined {
    const sys = loadSys();
    if (sys === undefined) return undefined;
    const epfd = sys.create();
    return epfd < 0 ? undefined : new PipePoller(sys, epfd);
  }

  /** Reads `fd` (non-blocking) from the next tick on; `onData(chunk, more)`: `more` when the pipe held more than one read. */
  add(fd: number, onData: (chunk: Uint8Array, more: boolean) => void): boolean {
    const v = new DataView(this.#ev.buffer);
    v.setUint32(0, EPOLLIN, true);
    v.setUint32(DATA_OFFSET, fd, true);
    v.setUint32(DATA_OFFSET + 4, 0, true);
    if (this.#sys.ctl(this.#epfd, EPOLL_CTL_ADD, fd, this.#ev) !== 0) return false;
    this.#handlers.set(fd, onData);
    if (this.#timer === undefined) {
      this.#due = performance.now() + TICK_MS;
      this.#timer = setTimeout(() => this.#tick(), TICK_MS);
    }
    return true;
  }

  /** Stops reading `fd` (before it is closed). */
  remove(fd: number): void {
    if (!this.#handlers.delete(fd)) return;
    this.#sys.ctl(this.#epfd, EPOLL_CTL_DEL, fd, this.#ev);
    if (this.#handlers.size === 0 && this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  #tick(): void {
    this.#timer = undefined;
    const n = this.#sys.wait(this.#epfd, this.#events, MAX_EVENTS);
    for (let i = 0; i < n; i++) {
      const fd = this.#eventView.getUint32(i * EVENT_SIZE + DATA_OFFSET, true);
      this.#drain(fd);
    }
    if (this.#handlers.size === 0) return;
    // Absolute deadlines: a late tick does not push the next ones later.
    const now = performance.now();
    this.#due = Math.max(this.#due + TICK_MS, now);
    this.#timer = setTimeout(() => this.#tick(), this.#due - now);
  }

  #drain(fd: number): void {
    for (;;) {
      const handler = this.#handlers.get(fd);
      if (handler === undefined) return;
      const got = this.#sys.read(fd, this.#buf, READ_BYTES);
      if (got <= 0) return; // EAGAIN: empty (a pipe opened O_RDWR never reads 0)
      handler(this.#buf.subarray(0, got), got === READ_BYTES);
      if (got < READ_BYTES) return;
    }
  }
}
