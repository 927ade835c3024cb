/**
 * Wideband toward the SRS on a real FreeSWITCH: with G722 or L16 among the
 * configured codecs the media-bug tap has FreeSWITCH record at 16 kHz
 * (`.r16`), and each SRS gets its own codec of it. The A-leg plays 6 kHz,
 * a tone only wideband audio carries: an SRS that took G.722 or L16/16000
 * hears it in its 16 kHz WAV; one that took PCMU hears nothing of it (the
 * decimator's low-pass, no aliasing), while the caller's 440 Hz comes
 * through on every path.
 */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { goertzelPower } from "../../src/media/tone.ts";
import { nthReport, realFreeswitchSuite, started } from "../support/freeswitch/suite.ts";
import { toneProfile } from "../support/freeswitch/wav-check.ts";

/** Samples and rate of a reference-SRS WAV (16-bit mono PCM, 44-byte header). */
function wav(path: string): { rate: number; pcm: Int16Array } {
  const b = readFileSync(path);
  const rate = b.readUInt32LE(24);
  const pcm = new Int16Array(b.buffer.slice(b.byteOffset + 44, b.byteOffset + b.length - ((b.length - 44) % 2)));
  return { rate, pcm };
}

/**
 * Share of the signal's energy at `hz` over the voiced middle (skipping
 * set-up), and its AC level: FreeSWITCH's G.722 decoding leaves a small DC
 * offset (observed: 132 on the 6 kHz leg), which is not audio.
 */
function share(w: { rate: number; pcm: Int16Array }, hz: number): { share: number; rms: number } {
  const raw = w.pcm.subarray(Math.floor(w.rate * 0.5), Math.max(Math.floor(w.rate * 0.5), w.pcm.length - Math.floor(w.rate * 0.3)));
  const mean = raw.reduce((a, v) => a + v, 0) / Math.max(1, raw.length);
  const x = Int16Array.from(raw, (v) => Math.round(v - mean));
  const energy = x.reduce((a, v) => a + v * v, 0);
  const rms = Math.sqrt(energy / Math.max(1, x.length));
  return { share: energy === 0 ? 0 : goertzelPower(x, w.rate, hz) / ((x.length * energy) / 2), rms };
}

realFreeswitchSuite("wideband toward the SRS", (ctx) => {
  for (const srsCodec of ["G722", "L16"] as const) {
    test(`an SRS that takes ${srsCodec}: a 16 kHz WAV with the A-leg's 6 kHz tone, the caller's 440 Hz on label 1`, async () => {
      const rig = await ctx.rig({ tapMethod: "media-bug", recording: ['codecs = ["PCMU", "G722", "L16"]'], srsFlags: ["--codecs", srsCodec] });
      const { phone, aLeg } = await ctx.fs.call("record-6000", { toneHz: 440, codec: "G722" });
      await started(rig, ctx.fs, aLeg, 1, 15_000);
      expect(await ctx.fs.esl.api(`uuid_buglist ${aLeg}`)).toContain(".r16");
      await Bun.sleep(2500);
      await ctx.fs.esl.api(`uuid_kill ${phone}`);
      const report = await nthReport(rig, 1);
      expect(report.streams.map((s) => [s.label, s.codec, s.sampleRate])).toEqual([
        ["1", srsCodec, 16000],
        ["2", srsCodec, 16000],
      ]);
      const two = wav(rig.wav(report, "2"));
      expect(two.rate).toBe(16000);
      const at6k = share(two, 6000);
      expect(at6k.rms).toBeGreaterThan(500);
      expect(at6k.share).toBeGreaterThan(0.8);
      expect(toneProfile(rig.wav(report, "1")).tone).toBe(440);
    }, 40_000);
  }

  test("the same offer to an SRS that takes PCMU: 8 kHz G.711 decimated from the 16 kHz recording; the 6 kHz tone filtered out, not aliased", async () => {
    const rig = await ctx.rig({ tapMethod: "media-bug", recording: ['codecs = ["PCMU", "G722"]'] });
    const { phone, aLeg } = await ctx.fs.call("record-6000", { toneHz: 440, codec: "G722" });
    await started(rig, ctx.fs, aLeg, 1, 15_000);
    await Bun.sleep(2500);
    await ctx.fs.esl.api(`uuid_kill ${phone}`);
    const report = await nthReport(rig, 1);
    expect(report.streams.map((s) => [s.codec, s.sampleRate])).toEqual([
      ["PCMU", 8000],
      ["PCMU", 8000],
    ]);
    const one = toneProfile(rig.wav(report, "1"));
    expect(one.tone).toBe(440);
    expect(one.purity).toBeGreaterThan(0.95);
    // 6 kHz would alias to 2 kHz without the low-pass: label 2 stays (near) silent instead.
    const two = wav(rig.wav(report, "2"));
    expect(two.rate).toBe(8000);
    expect(two.pcm.length).toBeGreaterThan(16000);
    expect(share(two, 2000).rms).toBeLessThan(30);
  }, 40_000);

  test("a PCMU call toward a G.722 SRS: FreeSWITCH upsamples, both parties' tones on their labels", async () => {
    const rig = await ctx.rig({ tapMethod: "media-bug", recording: ['codecs = ["G722", "PCMU"]'] });
    const { phone, aLeg } = await ctx.fs.call("record-660", { toneHz: 440, codec: "PCMU" });
    await started(rig, ctx.fs, aLeg, 1, 15_000);
    await Bun.sleep(2500);
    await ctx.fs.esl.api(`uuid_kill ${phone}`);
    const report = await nthReport(rig, 1);
    expect(report.streams.map((s) => s.codec)).toEqual(["G722", "G722"]);
    const [a, b] = [toneProfile(rig.wav(report, "1")), toneProfile(rig.wav(report, "2"))];
    expect([a.tone, b.tone]).toEqual([440, 660]);
    expect(Math.min(a.purity, b.purity)).toBeGreaterThan(0.95);
    expect(Math.min(a.voicedMs, b.voicedMs)).toBeGreaterThan(2200);
  }, 40_000);
});
