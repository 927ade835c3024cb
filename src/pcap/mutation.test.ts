/**
 * Hostile captures: the fixture files with seeded random damage (bytes
 * flipped anywhere, lengths included, cuts, inserted junk) go through the
 * whole reading pipeline — reader, decoder, fragment and TCP reassembly, the
 * SIP-led and the RTP-only extractors — and nothing throws; what is read
 * before the damage is kept.
 */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CaptureReader } from "./reader.ts";
import { UdpStream } from "./datagrams.ts";
import { CallExtractor } from "./calls.ts";
import { RtpOnlyExtractor } from "./rtp-only.ts";
import { FS_FIXTURES } from "../../test/support/esl-fixtures.ts";
import { seededRandom } from "../../test/support/mutate.ts";

function mutate(b: Uint8Array, r: () => number): Uint8Array {
  const out = new Uint8Array(b);
  const kind = Math.floor(r() * 4);
  if (kind === 0) for (let i = 0; i < 40; i++) out[Math.floor(r() * out.length)] = Math.floor(r() * 256);
  if (kind === 1) {
    // Damage near record headers: the first 2 KiB and random 16-byte spans.
    for (let i = 0; i < 8; i++) out[Math.floor(r() * 2048)] = Math.floor(r() * 256);
    for (let i = 0; i < 8; i++) out.fill(Math.floor(r() * 256), Math.floor(r() * out.length), Math.floor(r() * out.length) + 16);
  }
  if (kind === 2) return out.subarray(0, Math.floor(r() * out.length));
  if (kind === 3) {
    const at = Math.floor(r() * out.length);
    const junk = Uint8Array.from({ length: 1 + Math.floor(r() * 300) }, () => Math.floor(r() * 256));
    const joined = new Uint8Array(out.length + junk.length);
    joined.set(out.subarray(0, at));
    joined.set(junk, at);
    joined.set(out.subarray(at), at + junk.length);
    return joined;
  }
  return out;
}

test("300 damaged captures through the whole pipeline: no throw, bounded, and the packets before the damage are read", () => {
  const files = ["esl-call-plain.pcap", "call-pcmu-two-way.pcapng", "esl-tap-legs-tap-only.pcap"].map(
    (f) => new Uint8Array(readFileSync(join(FS_FIXTURES, f))),
  );
  const r = seededRandom(20261127);
  let damaged = 0;
  let packets = 0;
  for (let i = 0; i < 300; i++) {
    const bytes = mutate(files[i % files.length]!, r);
    const reader = new CaptureReader();
    const udp = new UdpStream();
    const sip = new CallExtractor({ keepPackets: () => true });
    const rtp = new RtpOnlyExtractor({ keepPackets: () => true });
    // Fed in uneven chunks, as a file stream would.
    for (let at = 0; at < bytes.length; ) {
      const n = 1 + Math.floor(r() * 70_000);
      const got = reader.push(bytes.subarray(at, at + n));
      at += n;
      if (!got.ok) {
        damaged++;
        break;
      }
      for (const p of got.value) {
        packets++;
        for (const d of udp.pushAll(p)) {
          sip.push(d);
          rtp.push(d);
        }
      }
    }
    reader.finish();
    expect(sip.calls.size).toBeLessThanOrEqual(100);
    for (const c of sip.calls.values()) expect(c.flows.length).toBeLessThanOrEqual(64);
  }
  // The damage was real, and most files were still read in good part.
  expect(damaged).toBeGreaterThan(30);
  expect(packets).toBeGreaterThan(300 * 500);
});
