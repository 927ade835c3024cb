import { describe, expect, test } from "bun:test";
import { closeSync, constants, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FFIType, dlopen } from "bun:ffi";
import { PipePoller, TICK_MS } from "./pipe-poller.ts";

function fifo(dir: string, name: string): { path: string; rd: number; wr: number } {
  const path = join(dir, name);
  expect(Bun.spawnSync(["mkfifo", path]).exitCode).toBe(0);
  const rd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
  const wr = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
  return { path, rd, wr };
}

describe("PipePoller (epoll through bun:ffi)", () => {
  test("reads every ready pipe in one tick, each to its own handler, in order; a removed pipe is read no more", async () => {
    const dir = mkdtempSync(join(tmpdir(), "siprec-poller-"));
    const poller = PipePoller.open();
    if (poller === undefined) throw new Error("no epoll through FFI");
    const pipes = Array.from({ length: 50 }, (_, i) => fifo(dir, `p${i}`));
    const got = pipes.map(() => [] as number[]);
    pipes.forEach((p, i) => expect(poller.add(p.rd, (chunk) => got[i]!.push(...chunk))).toBe(true));
    pipes.forEach((p, i) => {
      writeSync(p.wr, new Uint8Array([i, 1]));
      writeSync(p.wr, new Uint8Array([i, 2]));
    });
    await Bun.sleep(TICK_MS * 4);
    got.forEach((g, i) => expect(g).toEqual([i, 1, i, 2]));
    poller.remove(pipes[0]!.rd);
    writeSync(pipes[0]!.wr, new Uint8Array([9]));
    writeSync(pipes[1]!.wr, new Uint8Array([9]));
    await Bun.sleep(TICK_MS * 4);
    expect(got[0]).toEqual([0, 1, 0, 2]);
    expect(got[1]).toEqual([1, 1, 1, 2, 9]);
    for (const p of pipes) {
      poller.remove(p.rd);
      closeSync(p.rd);
      closeSync(p.wr);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  test("a backlog bigger than one read arrives whole, in reads that say more is waiting", async () => {
    const dir = mkdtempSync(join(tmpdir(), "siprec-poller-"));
    const poller = PipePoller.open()!;
    const p = fifo(dir, "big");
    const libc = dlopen("libc.so.6", { fcntl: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 } });
    expect(libc.symbols.fcntl(p.rd, 1031 /* F_SETPIPE_SZ */, 1 << 20)).toBe(1 << 20);
    // 600 KiB queued before the first tick: 256 KiB (more), 256 KiB (more), 88 KiB.
    const block = new Uint8Array(600 * 1024).fill(1);
    expect(writeSync(p.wr, block)).toBe(block.length);
    const reads: { len: number; more: boolean }[] = [];
    poller.add(p.rd, (chunk, more) => void reads.push({ len: chunk.length, more }));
    await Bun.sleep(TICK_MS * 4);
    expect(reads).toEqual([
      { len: 256 * 1024, more: true },
      { len: 256 * 1024, more: true },
      { len: 88 * 1024, more: false },
    ]);
    poller.remove(p.rd);
    closeSync(p.rd);
    closeSync(p.wr);
    rmSync(dir, { recursive: true, force: true });
  });
});
