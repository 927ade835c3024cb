/**
 * The real-FreeSWITCH bench (bench/freeswitch.bench.ts: both tap methods
 * side by side) runs in CI at a small size, so it cannot rot: every figure
 * it prints is a number, each method recorded every call without a
 * fallback, and the latency capture found every call's tone at the SRS. The
 * figures themselves are not judged here (2 noisy cores): `npm run bench`
 * prints them at full size.
 */
import { expect, test } from "bun:test";
import { freeswitchOrSkip } from "../support/freeswitch/instance.ts";

const install = freeswitchOrSkip();

test.skipIf(install === undefined)(
  "real FreeSWITCH: the side-by-side bench of both tap methods (and the 16 kHz media bug) runs end to end (4 calls, 2 s a phase, 2 onset calls each)",
  async () => {
    process.env["BENCH_FS_CALLS"] = "4";
    process.env["BENCH_FS_SECONDS"] = "2";
    process.env["BENCH_FS_ONSET"] = "2";
    const { run } = await import("../../bench/freeswitch.bench.ts");
    const figures = await run();
    const by = (metric: string) => figures.find((f) => f.metric === metric);
    for (const method of ["legs", "media-bug"]) {
      for (const m of ["FreeSWITCH CPU per call, recorded", "daemon CPU per recording", "recording's total cost per call", "daemon RSS per recording"])
        expect({ metric: `${method}: ${m}`, finite: Number.isFinite(by(`${method}: ${m}`)?.value) }).toEqual({ metric: `${method}: ${m}`, finite: true });
      expect(by(`${method}: set-up siprec::start → INVITE p50`)?.note).toBe("4 calls, 0 fallbacks");
      expect(by(`${method}: added latency (tone onset → SRS) p50`)?.note).toBe("2 calls");
      expect(by(`${method}: added latency (tone onset → SRS) p99`)?.value).toBeGreaterThan(0);
    }
    expect(Number.isFinite(by("media-bug / legs: total cost per call")?.value)).toBe(true);
    // The wideband run: FreeSWITCH at 16 kHz, G.722 to the SRS, every call recorded without a fallback.
    expect(by("media-bug 16 kHz → G.722: set-up siprec::start → INVITE p50")?.note).toBe("4 calls, 0 fallbacks");
    expect(Number.isFinite(by("media-bug 16 kHz / 8 kHz: total cost per call")?.value)).toBe(true);
  },
  240_000,
);
