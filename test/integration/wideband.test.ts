/**
 * Wideband over real sockets: test-call offers G722 or L16/16000 first and
 * `siprec srs --codecs` takes it; the forker makes it of test-call's G.711
 * tones (decoded, interpolated to 16 kHz, encoded), the SRS decodes it into
 * a 16 kHz WAV. Each label's tone must come through, with SRTP too.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { join } from "node:path";
import type { SrsServerOptions } from "../../src/srs/open-srs.ts";
import type { SrsReport } from "../../src/srs/report.ts";
import { runTestCall } from "../../src/test-call/run.ts";
import type { SrsCodec } from "../../src/siprec/srs-answer.ts";
import { toneProfile } from "../support/freeswitch/wav-check.ts";
import { loopbackCall } from "../support/test-call-options.ts";
import { loopbackSrs } from "../support/loopback-srs.ts";

setDefaultTimeout(30_000);

const srs = async (extra: Partial<SrsServerOptions> = {}) => (await loopbackSrs(extra)).server;

describe("wideband between test-call and siprec srs", () => {
  for (const [codec, srtp] of [
    ["G722", "off"],
    ["L16", "off"],
    ["G722", "require"],
  ] as const) {
    test(`${codec}${srtp === "require" ? " over SRTP" : ""}: the SRS takes it (--codecs ${codec}), 16 kHz WAVs, 440 and 880 Hz on labels 1 and 2`, async () => {
      const server = await srs({ codecs: [codec as SrsCodec] });
      try {
        const r = await runTestCall(loopbackCall(server.port, { codecs: [codec, "PCMU"], srtp, durationMs: 2500 }));
        expect(r.checks.filter((c) => c.ok === false)).toEqual([]);
        await Bun.sleep(300);
        const report = server.finished[0] as SrsReport;
        const srtpOn = srtp === "require";
        expect(report.streams.map((s) => [s.label, s.codec, s.sampleRate, s.rejected, s.srtp])).toEqual([
          ["1", codec, 16000, 0, srtpOn],
          ["2", codec, 16000, 0, srtpOn],
        ]);
        for (const [label, hz] of [
          ["1", 440],
          ["2", 880],
        ] as const) {
          const p = toneProfile(join(report.folder, `label-${label}.wav`), [440, 880, 660, 1000]);
          expect({ label, tone: p.tone }).toEqual({ label, tone: hz });
          expect(p.purity).toBeGreaterThan(0.95);
          expect(p.voicedMs).toBeGreaterThan(2000);
        }
      } finally {
        await server.stop();
      }
    });
  }
});
