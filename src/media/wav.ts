/**
 * WAV files for test calls (RIFF/WAVE, RFC 2361 format tags): 16-bit PCM
 * mono at 8 or 16 kHz (16 kHz is decimated to 8 kHz for G.711), and G.711
 * µ-law (7) / A-law (6) mono at 8 kHz. Anything else is a clear error.
 */
import { decodeG711 } from "./g711.ts";
import { Decimator } from "./halfband.ts";
import { type Result, err, ok } from "../lib/result.ts";

export type WavErrorCode = "WAV_NOT_RIFF" | "WAV_NO_FMT" | "WAV_NO_DATA" | "WAV_UNSUPPORTED" | "WAV_TRUNCATED";

export interface WavError {
  readonly code: WavErrorCode;
  readonly message: string;
}

export interface WavAudio {
  /** The file's own encoding. */
  readonly format: "pcm16" | "mulaw" | "alaw";
  readonly sampleRate: number;
  /** Linear samples at 8 kHz, ready to encode for the SRS's codec. */
  readonly samples8k: Int16Array;
  readonly durationMs: number;
}

const fail = (code: WavErrorCode, message: string) => err<WavError>({ code, message });

export function parseWav(b: Uint8Array): Result<WavAudio, WavError> {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const tag = (at: number) => String.fromCharCode(...b.subarray(at, at + 4));
  if (b.length < 12 || tag(0) !== "RIFF" || tag(8) !== "WAVE") return fail("WAV_NOT_RIFF", "not a RIFF/WAVE file");
  let fmt: { format: number; channels: number; rate: number; bits: number } | undefined;
  let data: Uint8Array | undefined;
  for (let at = 12; at + 8 <= b.length; ) {
    const id = tag(at);
    const size = dv.getUint32(at + 4, true);
    const body = at + 8;
    if (id === "fmt ") {
      if (size < 16 || body + 16 > b.length) return fail("WAV_TRUNCATED", "the fmt chunk is cut short");
      fmt = {
        format: dv.getUint16(body, true),
        channels: dv.getUint16(body + 2, true),
        rate: dv.getUint32(body + 4, true),
        bits: dv.getUint16(body + 14, true),
      };
    } else if (id === "data") {
      data = b.subarray(body, Math.min(b.length, body + size));
      if (body + size > b.length) return fail("WAV_TRUNCATED", `the data chunk claims ${size} bytes but ${b.length - body} remain`);
    }
    at = body + size + (size & 1);
  }
  if (fmt === undefined) return fail("WAV_NO_FMT", "no fmt chunk");
  if (data === undefined) return fail("WAV_NO_DATA", "no data chunk");
  const what = `format ${fmt.format}, ${fmt.channels} channel(s), ${fmt.rate} Hz, ${fmt.bits} bits`;
  if (fmt.channels !== 1) return fail("WAV_UNSUPPORTED", `${what}: only mono is supported`);
  if (fmt.format === 1 && fmt.bits === 16 && (fmt.rate === 8000 || fmt.rate === 16000)) {
    const pcm = new Int16Array(Math.floor(data.length / 2));
    for (let i = 0; i < pcm.length; i++) pcm[i] = dv.getInt16(data.byteOffset - b.byteOffset + i * 2, true);
    const samples8k = fmt.rate === 8000 ? pcm : decimate(pcm);
    return ok({ format: "pcm16", sampleRate: fmt.rate, samples8k, durationMs: (samples8k.length / 8000) * 1000 });
  }
  if ((fmt.format === 6 || fmt.format === 7) && fmt.bits === 8 && fmt.rate === 8000) {
    const law = fmt.format === 7 ? "PCMU" : "PCMA";
    const samples8k = decodeG711(law, data);
    return ok({ format: law === "PCMU" ? "mulaw" : "alaw", sampleRate: 8000, samples8k, durationMs: (samples8k.length / 8000) * 1000 });
  }
  return fail("WAV_UNSUPPORTED", `${what}: expected 16-bit PCM at 8 or 16 kHz, or G.711 µ-law/A-law at 8 kHz`);
}

/** 16 → 8 kHz with a short low-pass (weights 1/4, 1/2, 1/4) before dropping every other sample. */
function decimate(x: Int16Array): Int16Array {
  const out = new Int16Array(Math.floor(x.length / 2));
  const d = new Decimator();
  // In 40 ms blocks: the filter's work buffer stays small whatever the file's length.
  for (let at = 0; at < out.length; at += 320) {
    const n = Math.min(320, out.length - at);
    d.decimateWith((i) => x[2 * at + i] as number, 2 * n, out.subarray(at, at + n));
  }
  return out;
}

/** A 16-bit PCM mono WAV (what the reference SRS writes). */
export function buildWav(samples: Int16Array, sampleRate = 8000): Uint8Array {
  const out = new Uint8Array(44 + samples.length * 2);
  out.set(wavHeader(samples.length, sampleRate), 0);
  out.set(pcmBytes(samples), 44);
  return out;
}

/** The 44-byte header of a 16-bit PCM mono WAV holding `samples` samples (rewritten as a streamed file grows). */
export function wavHeader(samples: number, sampleRate = 8000): Uint8Array {
  const out = new Uint8Array(44);
  const dv = new DataView(out.buffer);
  const put = (at: number, s: string) => out.set(new TextEncoder().encode(s), at);
  put(0, "RIFF");
  dv.setUint32(4, 36 + samples * 2, true);
  put(8, "WAVE");
  put(12, "fmt ");
  dv.setUint32(16, 16, true);
  dv.setUint16(20, 1, true);
  dv.setUint16(22, 1, true);
  dv.setUint32(24, sampleRate, true);
  dv.setUint32(28, sampleRate * 2, true);
  dv.setUint16(32, 2, true);
  dv.setUint16(34, 16, true);
  put(36, "data");
  dv.setUint32(40, samples * 2, true);
  return out;
}

/** Samples as little-endian 16-bit PCM bytes (a WAV's data). */
export function pcmBytes(samples: Int16Array): Uint8Array {
  const out = new Uint8Array(samples.length * 2);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < samples.length; i++) dv.setInt16(i * 2, samples[i] as number, true);
  return out;
}
