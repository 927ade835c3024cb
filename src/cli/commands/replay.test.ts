import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "../run.ts";
import { memoryIo } from "../../../test/support/memory-io.ts";
import { FS_FIXTURES } from "../../../test/support/esl-fixtures.ts";

describe("siprec replay --list", () => {
  test("esl-call-plain.pcap: both dialogs with the packet and DTMF counts of the fixtures README", async () => {
    const io = memoryIo();
    expect(await run(["replay", "--list", "--json", join(FS_FIXTURES, "esl-call-plain.pcap")], io)).toBe(0);
    const out = JSON.parse(io.stdout.join("\n")) as { calls: { callId: string; streams: { speaker: string; packets: number; dtmfEvents: number; lost: number }[] }[] };
    expect(out.calls.map((c) => c.streams.map((s) => [s.speaker, s.packets, s.dtmfEvents, s.lost]))).toEqual([
      [["callee", 460, 0, 0], ["caller", 603, 13, 0]],
      [["callee", 604, 0, 0], ["caller", 420, 12, 0]],
    ]);
    expect(out.calls[0]!.callId).toBe("1-5443@127.0.0.1");
  });

  test("a truncated capture lists what was read and exits 1 naming the byte; not a capture exits 1; no --list is a usage error", async () => {
    const dir = mkdtempSync(join(tmpdir(), "siprec-replay-"));
    const whole = readFileSync(join(FS_FIXTURES, "call-pcmu-two-way.pcapng"));
    writeFileSync(join(dir, "cut.pcapng"), whole.subarray(0, 300_000));
    writeFileSync(join(dir, "notes.txt"), "hello");
    const io = memoryIo();
    expect(await run(["replay", "--list", join(dir, "cut.pcapng")], io)).toBe(1);
    expect(io.stdout[0]).toContain("2 calls");
    expect(io.stderr.join("\n")).toMatch(/ends inside a record .*\(byte \d+\)/);
    const bad = memoryIo();
    expect(await run(["replay", "--list", join(dir, "notes.txt")], bad)).toBe(1);
    expect(bad.stderr.join("\n")).toContain("not a pcap or pcapng file");
    const usage = memoryIo();
    expect(await run(["replay", join(dir, "cut.pcapng")], usage)).toBe(2);
  });
});
