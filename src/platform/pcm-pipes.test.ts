/** The media-bug tap's pipes on a real file system: FIFOs, their buffer, what a writer sees. */
import { afterEach, describe, expect, test } from "bun:test";
import { FFIType, dlopen } from "bun:ffi";
import { chmodSync, closeSync, constants, existsSync, lstatSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger } from "../lib/log.ts";
import { FifoPcmPipes } from "./pcm-pipes.ts";

const F_GETPIPE_SZ = 1032;
const libc = dlopen("libc.so.6", { fcntl: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 } });

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

function pipes(pipeBytes = 1 << 20): { p: FifoPcmPipes; dir: string } {
  const base = mkdtempSync(join(tmpdir(), "siprec-pipes-"));
  dirs.push(base);
  const dir = join(base, "tap");
  const r = FifoPcmPipes.create({ dir, pipeBytes, log: silentLogger });
  if (!r.ok) throw new Error(r.error.message);
  return { p: r.value, dir };
}

async function until(pred: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error("timed out");
    await Bun.sleep(5);
  }
}

describe("FifoPcmPipes", () => {
  test("the directory is private (0700); a pipe is a FIFO there, open before any writer, its buffer enlarged", async () => {
    const { p, dir } = pipes();
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const got: number[] = [];
    const r = p.open("rec-1", (chunk) => void got.push(chunk.length));
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.path).toBe(join(dir, "rec-1-1.r8"));
    // The same name again (a recording's new pipe while the old one drains): another path.
    const again = p.open("rec-1", () => {});
    if (!again.ok) throw new Error(again.error.message);
    expect(again.value.path).not.toBe(r.value.path);
    again.value.close();
    expect(lstatSync(r.value.path).isFIFO()).toBe(true);
    expect(lstatSync(r.value.path).isFIFO()).toBe(true);
    // A writer (FreeSWITCH) opens without blocking: the reader is already there.
    const w = openSync(r.value.path, constants.O_WRONLY | constants.O_NONBLOCK);
    expect(libc.symbols.fcntl(w, F_GETPIPE_SZ, 0)).toBe(1 << 20);
    for (let i = 0; i < 5; i++) writeSync(w, new Uint8Array(640));
    await until(() => got.reduce((a, b) => a + b, 0) === 3200);
    r.value.close();
    expect(existsSync(r.value.path)).toBe(false);
    // The reader is gone: the writer's next write fails (EPIPE) instead of blocking.
    expect(() => writeSync(w, new Uint8Array(640))).toThrow(/EPIPE/);
    closeSync(w);
  });

  test("each read says what is still queued behind it (a backlog)", async () => {
    const { p } = pipes();
    const seen: { len: number; queued: number }[] = [];
    const r = p.open("rec-2", (chunk, queued) => void seen.push({ len: chunk.length, queued }));
    if (!r.ok) throw new Error(r.error.message);
    const w = openSync(r.value.path, constants.O_WRONLY | constants.O_NONBLOCK);
    // 200 KiB written at once: more than one read, the first ones report the rest as queued.
    writeSync(w, new Uint8Array(200 * 1024));
    await until(() => seen.reduce((a, s) => a + s.len, 0) === 200 * 1024);
    const first = seen[0]!;
    expect(first.len + first.queued).toBe(200 * 1024);
    expect(seen.at(-1)!.queued).toBe(0);
    r.value.close();
    closeSync(w);
  });

  test("the writer closing and a new one opening (a restored recording) is not the end of the pipe", async () => {
    const { p } = pipes();
    let total = 0;
    const r = p.open("rec-3", (chunk) => void (total += chunk.length));
    if (!r.ok) throw new Error(r.error.message);
    for (let round = 0; round < 2; round++) {
      const w = openSync(r.value.path, constants.O_WRONLY | constants.O_NONBLOCK);
      writeSync(w, new Uint8Array(640));
      closeSync(w);
      await until(() => total === 640 * (round + 1));
    }
    r.value.close();
  });

  test("a pipe a dead process left: a writer blocked opening it returns, and the pipe is deleted (at start-up too)", async () => {
    const { p, dir } = pipes();
    const left = join(dir, "old.r8");
    expect(Bun.spawnSync(["mkfifo", left]).exitCode).toBe(0);
    // A writer with no reader blocks in open(), as FreeSWITCH would.
    const writer = Bun.spawn(["sh", "-c", `printf x > ${left}`], { stderr: "pipe" });
    await Bun.sleep(100);
    expect(writer.exitCode).toBeNull();
    p.release(left);
    const code = await Promise.race([writer.exited, Bun.sleep(2000).then(() => "still blocked")]);
    expect(code).not.toBe("still blocked");
    expect(existsSync(left)).toBe(false);
    // Start-up sweeps what is left in the directory.
    expect(Bun.spawnSync(["mkfifo", join(dir, "older.r8")]).exitCode).toBe(0);
    const again = FifoPcmPipes.create({ dir, pipeBytes: 65536, log: silentLogger });
    expect(again.ok).toBe(true);
    expect(existsSync(join(dir, "older.r8"))).toBe(false);
  });

  test("bad names, a path outside the directory and a directory that is not ours are refused with a reason", () => {
    const { p, dir } = pipes();
    const bad = p.open("../escape", () => {});
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.message).toContain("not allowed");
    p.release("/etc/passwd"); // outside: untouched
    expect(existsSync("/etc/passwd")).toBe(true);
    // A directory that is not private is refused, never changed.
    const looseDir = join(dir, "loose");
    mkdirSync(looseDir, { mode: 0o755 });
    chmodSync(looseDir, 0o755);
    const notPrivate = FifoPcmPipes.create({ dir: looseDir, pipeBytes: 65536, log: silentLogger });
    expect(notPrivate.ok).toBe(false);
    if (!notPrivate.ok) expect(notPrivate.error.message).toContain("is not private (mode 755)");
    expect(statSync(looseDir).mode & 0o777).toBe(0o755);
    const file = join(dir, "plain");
    writeSync(openSync(file, "w"), "x");
    const notDir = FifoPcmPipes.create({ dir: file, pipeBytes: 65536, log: silentLogger });
    expect(notDir.ok).toBe(false);
    if (!notDir.ok) expect(notDir.error.message).toContain(file);
  });
});
