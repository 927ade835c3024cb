/**
 * `siprec replay` beyond a plain captured call: a SIPREC session in the
 * capture (its labels and its own metadata, re-targeted), calls found from
 * RTP alone, SDP that points at ports never seen, --all in batches with a
 * progress bar, and TLS + SRTP taken from a config's [[srs]].
 */
import type { SrsReport } from "../../srs/report.ts";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "../run.ts";
import { memoryIo } from "../../../test/support/memory-io.ts";
import { FS_FIXTURES } from "../../../test/support/esl-fixtures.ts";
import { ORIGINAL_CS_CALL_ID, SIPREC_CAPTURE_CALL_ID, siprecCapture } from "../../../test/support/siprec-capture.ts";
import { testPki } from "../../../test/support/tls-certs.ts";
import { frame, ipv4, pcapFile, udp } from "../../../test/support/pcap-writer.ts";
import type { SrsServer } from "../../srs/server.ts";
import { openSrs } from "../../srs/open-srs.ts";
import { systemClock } from "../../platform/system-clock.ts";
import { cryptoIds } from "../../platform/crypto-ids.ts";
import { loadLibxml } from "../../siprec/metadata/libxml.ts";
import { parseWav } from "../../media/wav.ts";
import { dominantFrequency } from "../../media/tone.ts";
import { nodeConfigFs } from "../../config/load.ts";

const dir = mkdtempSync(join(tmpdir(), "siprec-replay-kinds-"));
const siprecPcap = join(dir, "siprec.pcap");
writeFileSync(siprecPcap, siprecCapture({ transferAtS: 1.5 }));
const realIo = () => Object.assign(memoryIo(), { clock: systemClock, fs: nodeConfigFs });

/** A reference SRS on 127.0.0.1 (TCP) for the length of `fn`. */
async function withSrs(fn: (srs: SrsServer) => Promise<void>): Promise<void> {
  const out = mkdtempSync(join(tmpdir(), "siprec-replay-srs-"));
  const srs = await openSrs({
    host: "127.0.0.1",
    port: 0,
    transports: ["tcp"],
    dir: out,
    lenient: false,
    clock: systemClock,
    ids: cryptoIds,
    lib: await loadLibxml(),
  });
  try {
    await fn(srs);
  } finally {
    await srs.stop();
  }
}

async function waitFor(srs: SrsServer, n: number): Promise<SrsReport[]> {
  for (let i = 0; i < 100 && srs.finished.length < n; i++) await Bun.sleep(20);
  return srs.finished;
}

const toneOf = (folder: string, f: string): number => {
  const w = parseWav(new Uint8Array(readFileSync(join(folder, f))));
  if (!w.ok) throw new Error(w.error.message);
  return dominantFrequency(w.value.samples8k.subarray(4000, 5600), 8000, [440, 880]);
};

describe("a SIPREC session in the capture", () => {
  test("--list: recognised as SIPREC, streams under their labels (mapped by position from the answer), the metadata counted", async () => {
    const io = memoryIo();
    expect(await run(["replay", "--list", "--json", siprecPcap], io)).toBe(0);
    const [call] = (
      JSON.parse(io.stdout.join("\n")) as {
        calls: { callId: string; siprec: boolean; metadataDocuments: number; streams: { label?: string; to: string; packets: number }[] }[];
      }
    ).calls;
    expect(call).toMatchObject({ callId: SIPREC_CAPTURE_CALL_ID, siprec: true, metadataDocuments: 2 });
    // The SRC's sendonly m-lines receive nothing: only the two flows toward the SRS are listed.
    expect(call!.streams.map((s) => [s.label, s.to])).toEqual([
      ["10", "10.2.2.2:40000"],
      ["11", "10.2.2.2:40002"],
    ]);
    expect(call!.streams.every((s) => s.packets > 400)).toBe(true);
    const text = memoryIo();
    await run(["replay", "--list", siprecPcap], text);
    expect(text.stdout.join("\n")).toMatch(
      /SIPREC, 2 metadata documents\n +recorded parties: Alice Agent <sip:alice@pbx\.example\.com>, Bob Customer <sip:\+15551230000@carrier\.example\.net>\n[\s\S]*label 10 +PCMU/,
    );
  });

  test("siprec validate finds the capture's INVITE and UPDATE valid", async () => {
    const io = realIo();
    const code = await run(["validate", "--format", "json", siprecPcap], io);
    expect([code, io.stderr]).toEqual([0, []]);
    const report = JSON.parse(io.stdout.join("\n")) as { valid: boolean; files: { findings: unknown[] }[] };
    expect([report.valid, report.files.flatMap((i) => i.findings)]).toEqual([true, []]);
  });

  test("replayed: the new SRS gets the captured labels and the captured metadata (names, AoRs, sipSessionID) under fresh ids, audio per label", async () => {
    await withSrs(async (srs) => {
      const io = realIo();
      const code = await run(["replay", siprecPcap, "--srs", `sip:srs@127.0.0.1:${srs.portOf("tcp")}`, "--max-speed", "--max-duration", "3"], io);
      expect([code, io.stderr]).toEqual([0, []]);
      const [rec] = await waitFor(srs, 1);
      const folder = rec!.folder;
      expect([toneOf(folder, "label-10.wav"), toneOf(folder, "label-11.wav")]).toEqual([440, 880]);
      const xml = readFileSync(join(folder, "metadata-1.xml"), "utf8");
      expect(xml).not.toContain("Carol");
      for (const s of [
        "Alice Agent",
        "sip:alice@pbx.example.com",
        "Bob Customer",
        `<sipSessionID>${ORIGINAL_CS_CALL_ID}</sipSessionID>`,
        "<label>10</label>",
        "<label>11</label>",
      ])
        expect(xml).toContain(s);
      const capturedIds = [
        ...readFileSync(siprecPcap)
          .toString("latin1")
          .matchAll(/session_id="([^"]+)"/g),
      ].map((m) => m[1]);
      expect(capturedIds.length).toBeGreaterThan(0);
      for (const id of capturedIds) expect(xml).not.toContain(id!);
      // The captured transfer (1.5 s in) arrives as our own partial update, under the ids of our first document.
      expect(rec!.metadataVersions).toBe(2);
      const update = readFileSync(join(folder, "metadata-2.xml"), "utf8");
      expect(update).toContain("<datamode>partial</datamode>");
      expect(update).toContain("Carol Supervisor");
      expect(update).not.toContain("Alice Agent");
      const sessionId = /<session session_id="([^"]+)"/.exec(xml)![1]!;
      expect(update).toContain(`session_id="${sessionId}"`);
      const events = rec!.events as { atMs: number; what: string }[];
      const t = (what: string) => events.find((e) => e.what.startsWith(what))!.atMs;
      expect(t("UPDATE (metadata)")).toBeGreaterThanOrEqual(t("200 OK sent"));
    });
  }, 20_000);
});

describe("SRTP in the capture", () => {
  test("decrypted with the SDES keys of the captured SDP: the SRS gets the right audio per label; a key that does not match is reported, nothing sent as noise", async () => {
    writeFileSync(join(dir, "srtp.pcap"), siprecCapture({ srtp: true }));
    writeFileSync(join(dir, "srtp-wrong.pcap"), siprecCapture({ srtp: true, wrongKey: true }));
    const list = memoryIo();
    expect(await run(["replay", "--list", "--json", join(dir, "srtp.pcap")], list)).toBe(0);
    const streams = (JSON.parse(list.stdout.join("\n")) as { calls: { streams: { label: string; srtp?: string }[] }[] }).calls[0]!.streams;
    expect(streams.map((s) => [s.label, s.srtp])).toEqual([
      ["10", "key in capture"],
      ["11", "key in capture"],
    ]);
    await withSrs(async (srs) => {
      const io = realIo();
      expect(await run(["replay", join(dir, "srtp.pcap"), "--srs", `sip:srs@127.0.0.1:${srs.portOf("tcp")}`, "--max-speed", "--max-duration", "3"], io)).toBe(
        0,
      );
      expect(io.stdout.join("\n")).not.toContain("warning");
      const [rec] = await waitFor(srs, 1);
      expect([toneOf(rec!.folder, "label-10.wav"), toneOf(rec!.folder, "label-11.wav")]).toEqual([440, 880]);
      const bad = realIo();
      expect(await run(["replay", join(dir, "srtp-wrong.pcap"), "--srs", `sip:srs@127.0.0.1:${srs.portOf("tcp")}`, "--max-speed"], bad)).toBe(1);
      expect(bad.stdout.join("\n")).toMatch(/FAIL .*nothing to replay: the label 10 flow to 10\.2\.2\.2:40000: \d+ of \d+ SRTP packets failed authentication/);
      expect(srs.finished.length).toBe(1);
    });
  }, 20_000);
});

describe("--rtp-only", () => {
  test("the fixture calls found from RTP alone: the same flows, packets and DTMF events as through their SIP", async () => {
    const flows = async (args: string[]) => {
      const io = memoryIo();
      expect(await run(["replay", "--list", "--json", ...args, join(FS_FIXTURES, "esl-call-plain.pcap")], io)).toBe(0);
      const calls = (
        JSON.parse(io.stdout.join("\n")) as { calls: { rtpOnly: boolean; streams: { packets: number; dtmfEvents: number; lost: number; codec: string }[] }[] }
      ).calls;
      return {
        rtpOnly: calls.map((c) => c.rtpOnly),
        flows: calls.flatMap((c) => c.streams.map((s) => `${s.codec} ${s.packets} ${s.dtmfEvents} ${s.lost}`)).sort(),
      };
    };
    const [bySip, byRtp] = [await flows([]), await flows(["--rtp-only"])];
    expect(byRtp.flows).toEqual(bySip.flows);
    expect([bySip.rtpOnly, byRtp.rtpOnly]).toEqual([
      [false, false],
      [true, true],
    ]);
  });

  test("an RTP-only call replays: the side that spoke first on label 1 (the UAC's 440 Hz), the other on label 2", async () => {
    await withSrs(async (srs) => {
      const io = realIo();
      const code = await run(
        [
          "replay",
          "--rtp-only",
          join(FS_FIXTURES, "call-pcmu-two-way.pcapng"),
          "--call-id",
          "rtp:127.0.0.1:27240-127.0.0.1:6100",
          "--srs",
          `sip:srs@127.0.0.1:${srs.portOf("tcp")}`,
          "--max-speed",
          "--max-duration",
          "3",
        ],
        io,
      );
      expect([code, io.stderr]).toEqual([0, []]);
      const [rec] = await waitFor(srs, 1);
      const folder = rec!.folder;
      expect([toneOf(folder, "label-1.wav"), toneOf(folder, "label-2.wav")]).toEqual([440, 880]);
      expect(readFileSync(join(folder, "metadata-1.xml"), "utf8")).toContain('aor="sip:127.0.0.1:6100"');
    });
  }, 20_000);

  test("RTCP, noise that looks like RTP for a packet or two, and SIP are not calls", async () => {
    const rtpLike = (seq: number, ssrc: number, pt = 0) => {
      const b = new Uint8Array(172);
      const dv = new DataView(b.buffer);
      b[0] = 0x80;
      b[1] = pt;
      dv.setUint16(2, seq);
      dv.setUint32(8, ssrc);
      return b;
    };
    const recs = [
      ...Array.from({ length: 20 }, (_, i) => ({
        timeUs: i * 20_000,
        data: frame.ethernet(ipv4("10.0.0.1", "10.0.0.2", udp(7000, 7001, rtpLike(i * 7, 1000 + i)))),
      })), // a new SSRC every time
      ...Array.from({ length: 20 }, (_, i) => ({
        timeUs: i * 20_000 + 1,
        data: frame.ethernet(ipv4("10.0.0.1", "10.0.0.2", udp(7003, 7003, rtpLike(i, 5, 200)))),
      })), // RTCP SR type
      ...Array.from({ length: 20 }, (_, i) => ({
        timeUs: i * 20_000 + 2,
        data: frame.ethernet(ipv4("10.0.0.3", "10.0.0.4", udp(8000, 9000, rtpLike(100 + i, 77)))),
      })), // one real flow
    ];
    writeFileSync(join(dir, "noise.pcap"), pcapFile(1, recs));
    const io = memoryIo();
    expect(await run(["replay", "--list", "--json", "--rtp-only", join(dir, "noise.pcap")], io)).toBe(0);
    const calls = (JSON.parse(io.stdout.join("\n")) as { calls: { callId: string; streams: { packets: number }[] }[] }).calls;
    expect(calls.map((c) => [c.callId, c.streams.map((s) => s.packets)])).toEqual([["rtp:10.0.0.3:8000-10.0.0.4:9000", [20]]]);
  });
});

describe("every packet and every DTMF event", () => {
  test("esl-call-plain.pcap at --max-speed: the SRS receives all 603 + 460 packets, the caller's 13 RFC 4733 event packets on label 1", async () => {
    await withSrs(async (srs) => {
      const io = realIo();
      expect(
        await run(
          [
            "replay",
            join(FS_FIXTURES, "esl-call-plain.pcap"),
            "--call-id",
            "1-5443@127.0.0.1",
            "--srs",
            `sip:srs@127.0.0.1:${srs.portOf("tcp")}`,
            "--max-speed",
          ],
          io,
        ),
      ).toBe(0);
      const [rec] = await waitFor(srs, 1);
      const streams = rec!.streams as { label: string; packets: number; dtmfPackets: number }[];
      expect(streams.map((x) => [x.label, x.packets, x.dtmfPackets])).toEqual([
        ["1", 603, 13],
        ["2", 460, 0],
      ]);
    });
  }, 20_000);
});

describe("calls that cannot be replayed, and several calls", () => {
  test("a capture on a link type siprec does not decode: 0 calls and a note naming the link type; replay exits 1 with it", async () => {
    writeFileSync(
      join(dir, "wifi.pcap"),
      pcapFile(105, [
        { timeUs: 1, data: new Uint8Array(60) },
        { timeUs: 2, data: new Uint8Array(60) },
      ]),
    );
    const io = memoryIo();
    expect(await run(["replay", "--list", join(dir, "wifi.pcap")], io)).toBe(0);
    expect(io.stdout).toEqual([
      `${join(dir, "wifi.pcap")}: 0 calls`,
      "note: 2 packets on link type 105, which siprec does not decode (it reads Ethernet with VLANs, Linux SLL/SLL2, raw IP and BSD loopback)",
    ]);
    const r = realIo();
    expect(await run(["replay", join(dir, "wifi.pcap"), "--srs", "sip:srs@127.0.0.1:9"], r)).toBe(1);
    expect(r.stderr.join("\n")).toMatch(/note: 2 packets on link type 105[\s\S]*no calls in .*wifi\.pcap \(try --rtp-only/);
  });

  test("SDP pointing at ports never seen: listed with 0 packets, the replay refused before any SIP with the addresses named, exit 1", async () => {
    const F = join(FS_FIXTURES, "esl-tap-legs.pcap");
    const io = realIo();
    expect(await run(["replay", F, "--call-id", "f9ce296b-6484-1240-14b1-024870d3a09e", "--srs", "sip:srs@127.0.0.1:9", "--max-speed"], io)).toBe(1);
    expect(io.stdout.join("\n")).toMatch(
      /^FAIL f9ce296b\S+: 0 packets replayed .*\(nothing to replay: RTP announced to 127\.0\.0\.1:\d+ but never seen in the capture\)/,
    );
  });

  test("--all: each call replayed in turn, with a progress bar on a terminal; --call-id with --all is a usage error", async () => {
    await withSrs(async (srs) => {
      const io = Object.assign(memoryIo({ tty: true }), { clock: systemClock });
      const code = await run(
        [
          "replay",
          join(FS_FIXTURES, "call-pcma-two-way.pcapng"),
          "--all",
          "--srs",
          `sip:srs@127.0.0.1:${srs.portOf("tcp")}`,
          "--max-speed",
          "--max-duration",
          "2",
          "--json",
        ],
        io,
      );
      expect(code).toBe(0);
      const report = JSON.parse(io.stdout.join("\n")) as { calls: { ok: boolean; streams: { label: string; status: string; codec?: string }[] }[] };
      expect(report.calls.map((c) => [c.ok, c.streams.map((s) => `${s.label} ${s.status} ${s.codec}`)])).toEqual([
        [true, ["1 accepted PCMA", "2 accepted PCMA"]],
        [true, ["1 accepted PCMA", "2 accepted PCMA"]],
      ]);
      expect((await waitFor(srs, 2)).length).toBe(2);
      expect(io.statusLines.some((l) => /^1\/2 \S+ \[#+\] 100%/.test(l))).toBe(true);
      expect(io.statusLines.some((l) => l.startsWith("2/2 "))).toBe(true);
      expect(io.statusLines.at(-1)).toBe("");
      const both = memoryIo();
      expect(await run(["replay", join(FS_FIXTURES, "call-pcma-two-way.pcapng"), "--all", "--call-id", "x", "--srs", "sip:a@127.0.0.1"], both)).toBe(2);
    });
  }, 20_000);
});

describe("--concurrency", () => {
  test("--all --concurrency 2 at --speed 1: both calls at once over one SIP stack, each recorded whole; results in capture order", async () => {
    await withSrs(async (srs) => {
      const io = Object.assign(realIo(), { stderrIsTTY: true });
      const t0 = Date.now();
      const code = await run(
        [
          "replay",
          join(FS_FIXTURES, "call-pcmu-two-way.pcap"),
          "--all",
          "--concurrency",
          "2",
          "--srs",
          `sip:srs@127.0.0.1:${srs.portOf("tcp")}`,
          "--max-duration",
          "1.5",
          "--json",
        ],
        io,
      );
      const took = Date.now() - t0;
      expect(code).toBe(0);
      expect(took).toBeLessThan(2900); // one after another would take over 3 s
      const report = JSON.parse(io.stdout.join("\n")) as { calls: { callId: string; ok: boolean }[] };
      expect(report.calls.map((c) => [c.callId, c.ok])).toEqual([
        ["1-5700@127.0.0.1", true],
        ["04ef549e-6485-1240-14b1-024870d3a09e", true],
      ]);
      const recs = await waitFor(srs, 2);
      for (const rec of recs) expect([toneOf(rec.folder, "label-1.wav"), toneOf(rec.folder, "label-2.wav")]).toEqual([440, 880]);
      expect(io.statusLines.filter((l) => l !== "").at(-1)).toMatch(/^2\/2 calls \[#+\] 100%/);
      expect(await run(["replay", "x.pcap", "--all", "--concurrency", "0", "--srs", "sip:a@127.0.0.1"], memoryIo())).toBe(2);
    });
  }, 20_000);
});

describe("--timeline", () => {
  test("each call starts at its offset in the capture, scaled by --speed: the calls of esl-tap-legs overlap as captured", async () => {
    await withSrs(async (srs) => {
      const io = realIo();
      const code = await run(
        [
          "replay",
          join(FS_FIXTURES, "esl-tap-legs.pcap"),
          "--all",
          "--timeline",
          "--speed",
          "10",
          "--max-duration",
          "1",
          "--srs",
          `sip:srs@127.0.0.1:${srs.portOf("tcp")}`,
          "--json",
        ],
        io,
      );
      expect(code).toBe(1); // two captured calls were never answered: nothing to replay for them
      const report = JSON.parse(io.stdout.join("\n")) as { calls: { callId: string; ok: boolean; reason?: string }[] };
      expect(report.calls.filter((c) => c.ok).length).toBe(5);
      const recs = await waitFor(srs, 5);
      const starts = recs.map((r) => Date.parse(r["startedAt"] as string)).sort((a, b) => a - b);
      const ends = recs.map((r) => Date.parse(r["endedAt"] as string));
      // Captured offsets 0, 0, 1.55, 2.05 and 9.05 s → 0, 0, 155, 205 and 905 ms at --speed 10.
      const rel = starts.map((t) => t - starts[0]!);
      expect(rel[1]!).toBeLessThan(100);
      expect(Math.abs(rel[2]! - 155)).toBeLessThan(120);
      expect(Math.abs(rel[3]! - 205)).toBeLessThan(120);
      expect(Math.abs(rel[4]! - 905)).toBeLessThan(150);
      // Overlapping, not one after another: the first call was still up when the third began.
      expect(Math.max(...ends.slice(0, 2))).toBeGreaterThan(starts[2]!);
      expect(await run(["replay", "x.pcap", "--all", "--timeline", "--max-speed", "--srs", "sip:a@127.0.0.1"], memoryIo())).toBe(2);
    });
  }, 20_000);
});

describe("interrupted", () => {
  test("Ctrl-C during --all at --speed 1: the call in progress ends with a BYE at once, no further call starts, exit 1", async () => {
    await withSrs(async (srs) => {
      const io = Object.assign(realIo(), { stopSignal: () => Bun.sleep(900).then(() => "SIGINT") });
      const t0 = Date.now();
      const code = await run(["replay", join(FS_FIXTURES, "call-pcmu-two-way.pcap"), "--all", "--srs", `sip:srs@127.0.0.1:${srs.portOf("tcp")}`], io);
      expect(code).toBe(1);
      expect(Date.now() - t0).toBeLessThan(3000);
      expect(io.stderr.join("\n")).toContain("interrupted (SIGINT) after 1 of 2 calls");
      const [rec] = await waitFor(srs, 1);
      expect(rec!.endedBy).toBe("client");
      const streams = rec!.streams as { durationMs: number }[];
      expect(streams.every((x) => x.durationMs > 300 && x.durationMs < 1500)).toBe(true);
      await Bun.sleep(300);
      expect(srs.finished.length).toBe(1);
    });
  }, 20_000);
});

describe("TLS and SRTP as configured", () => {
  const pki = testPki();
  let srs: SrsServer;
  let out: string;
  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), "siprec-replay-tls-"));
    srs = await openSrs({
      host: "127.0.0.1",
      port: 0,
      transports: ["tls"],
      tls: { cert: pki.serverCert, key: pki.serverKey },
      dir: out,
      lenient: false,
      clock: systemClock,
      ids: cryptoIds,
      lib: await loadLibxml(),
    });
  });
  afterAll(() => srs.stop());

  test("--srs NAME: the server's tls_ca_file verifies the SRS, [recording] srtp = require puts SRTP on the wire; an untrusted CA fails clearly", async () => {
    writeFileSync(join(dir, "ca.pem"), pki.caCert);
    writeFileSync(join(dir, "other-ca.pem"), pki.otherCaCert);
    const conf = (ca: string) =>
      `[[srs]]\nname = "secure"\nuri = "sip:srs@127.0.0.1:${srs.portOf("tls")}"\ntransport = "tls"\ntls_ca_file = "${join(dir, ca)}"\n\n[recording]\nsrtp = "require"\n`;
    writeFileSync(join(dir, "good.toml"), conf("ca.pem"));
    writeFileSync(join(dir, "bad.toml"), conf("other-ca.pem"));
    const io = realIo();
    const code = await run(
      [
        "replay",
        join(FS_FIXTURES, "call-pcmu-two-way.pcap"),
        "--call-id",
        "1-5700@127.0.0.1",
        "--srs",
        "secure",
        "-c",
        join(dir, "good.toml"),
        "--max-speed",
        "--max-duration",
        "2",
      ],
      io,
    );
    expect([code, io.stderr]).toEqual([0, []]);
    const [rec] = await waitFor(srs, 1);
    const streams = rec!.streams as { srtp: boolean; packets: number; rejected: number }[];
    expect(streams.map((s) => [s.srtp, s.rejected, s.packets > 80])).toEqual([
      [true, 0, true],
      [true, 0, true],
    ]);
    expect([toneOf(rec!.folder, "label-1.wav"), toneOf(rec!.folder, "label-2.wav")]).toEqual([440, 880]);
    const bad = realIo();
    expect(
      await run(
        [
          "replay",
          join(FS_FIXTURES, "call-pcmu-two-way.pcap"),
          "--call-id",
          "1-5700@127.0.0.1",
          "--srs",
          "secure",
          "-c",
          join(dir, "bad.toml"),
          "--max-speed",
          "--max-duration",
          "1",
        ],
        bad,
      ),
    ).toBe(1);
    expect(bad.stdout.join("\n")).toMatch(/^FAIL 1-5700@127\.0\.0\.1: 0 packets replayed .*TLS/);
  }, 30_000);
});
