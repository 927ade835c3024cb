import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "../run.ts";
import { memoryIo } from "../../../test/support/memory-io.ts";
import { FS_FIXTURES } from "../../../test/support/esl-fixtures.ts";
import { openSrs } from "../../srs/open-srs.ts";
import { systemClock } from "../../platform/system-clock.ts";
import { cryptoIds } from "../../platform/crypto-ids.ts";
import { loadLibxml } from "../../siprec/metadata/libxml.ts";
import { parseWav } from "../../media/wav.ts";
import { dominantFrequency } from "../../media/tone.ts";

describe("siprec replay --list", () => {
  test("esl-call-plain.pcap: both dialogs with the packet and DTMF counts of the fixtures README", async () => {
    const io = memoryIo();
    expect(await run(["replay", "--list", "--json", join(FS_FIXTURES, "esl-call-plain.pcap")], io)).toBe(0);
    const out = JSON.parse(io.stdout.join("\n")) as {
      calls: { callId: string; streams: { speaker: string; packets: number; dtmfEvents: number; lost: number }[] }[];
    };
    expect(out.calls.map((c) => c.streams.map((s) => [s.speaker, s.packets, s.dtmfEvents, s.lost]))).toEqual([
      [
        ["callee", 460, 0, 0],
        ["caller", 603, 13, 0],
      ],
      [
        ["callee", 604, 0, 0],
        ["caller", 420, 12, 0],
      ],
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

describe("siprec replay --srs (into siprec srs)", () => {
  for (const [label, args] of [
    ["--speed 1", ["--speed", "1"]],
    ["--max-speed", ["--max-speed"]],
  ] as const) {
    test(`${label}: the captured call's first 3 s land as one WAV per direction with the README's tones and the call's timeline`, async () => {
      const dir = mkdtempSync(join(tmpdir(), "siprec-replay-srs-"));
      const srs = await openSrs({
        host: "127.0.0.1",
        port: 0,
        transports: ["tcp"],
        dir,
        lenient: false,
        clock: systemClock,
        ids: cryptoIds,
        lib: await loadLibxml(),
      });
      try {
        const io = Object.assign(memoryIo(), { clock: systemClock });
        const t0 = Date.now();
        const code = await run(
          [
            "replay",
            join(FS_FIXTURES, "call-pcmu-two-way.pcapng"),
            "--call-id",
            "1-5700@127.0.0.1",
            "--srs",
            `sip:srs@127.0.0.1:${srs.portOf("tcp")}`,
            "--max-duration",
            "3",
            ...args,
          ],
          io,
        );
        const took = Date.now() - t0;
        expect([code, io.stderr]).toEqual([0, []]);
        expect(io.stdout[0]).toMatch(/^ok {3}1-5700@127\.0\.0\.1: \d+ packets replayed/);
        if (label === "--max-speed") expect(took).toBeLessThan(2500);
        else expect(took).toBeGreaterThan(2900);
        for (let i = 0; i < 50 && srs.finished.length === 0; i++) await Bun.sleep(20);
        const rec = srs.finished[0]!;
        const folder = rec.folder;
        const tone = (f: string) => {
          const w = parseWav(new Uint8Array(readFileSync(join(folder, f))));
          if (!w.ok) throw new Error(w.error.message);
          return { hz: dominantFrequency(w.value.samples8k.subarray(4000, 5600), 8000, [440, 880]), ms: w.value.durationMs };
        };
        const [a, b] = [tone("label-1.wav"), tone("label-2.wav")];
        expect([a.hz, b.hz]).toEqual([440, 880]);
        // The capture's timeline, whatever the pace: about 3 s of audio per stream.
        expect(Math.abs(a.ms - 3000)).toBeLessThan(250);
        expect(readFileSync(join(folder, "metadata-1.xml"), "utf8")).toContain("<sipSessionID>1-5700@127.0.0.1</sipSessionID>");
        // Replay sends RTCP sender reports like the daemon (one outbound-stream component; none before).
        expect(rec.streams.map((s) => (s.rtcp?.senderReports ?? 0) > 0)).toEqual([true, true]);
      } finally {
        await srs.stop();
      }
    }, 20_000);
  }
});
