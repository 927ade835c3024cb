/**
 * End to end on 127.0.0.1: siprec test-call → siprec srs (in process, real
 * sockets and clock). Each stream's WAV holds its own tone, the paused span
 * is silence of the right length, the WAV covers the wall time.
 */
import { loopbackCall } from "../support/test-call-options.ts";
import { realNet } from "../../src/platform/net.ts";
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runTestCall, type TestCallOptions } from "../../src/test-call/run.ts";
import { STREAM_TONES, dominantFrequency } from "../../src/media/tone.ts";
import { parseWav } from "../../src/media/wav.ts";
import { cryptoIds } from "../../src/platform/crypto-ids.ts";
import { systemClock } from "../../src/platform/system-clock.ts";
import { loadLibxml } from "../../src/siprec/metadata/libxml.ts";
import { validateMetadataXsd } from "../../src/siprec/metadata/xsd.ts";
import { testPki } from "../support/tls-certs.ts";
import { run } from "../../src/cli/run.ts";
import { memoryIo } from "../support/memory-io.ts";
import { loopbackSrs } from "../support/loopback-srs.ts";
import { nodeConfigFs } from "../../src/config/load.ts";
import { FS_FIXTURES } from "../support/esl-fixtures.ts";
import { header } from "../../src/sip/message/headers.ts";

setDefaultTimeout(30_000);

const srs = loopbackSrs;

function call(port: number, o: Partial<TestCallOptions> = {}) {
  return runTestCall(loopbackCall(port, o));
}

function wav(folder: string, file: string): Int16Array {
  const w = parseWav(new Uint8Array(readFileSync(join(folder, file))));
  if (!w.ok) throw new Error(w.error.message);
  return w.value.samples8k;
}

function rms(x: Int16Array): number {
  let s = 0;
  for (const v of x) s += v * v;
  return Math.sqrt(s / Math.max(1, x.length));
}

describe("test-call → srs", () => {
  test("two labelled streams with their own tones; pause is silence of the right length; length matches wall time", async () => {
    const { server } = await srs();
    try {
      const r = await call(server.port, { pauseAtMs: 1000, resumeAtMs: 1800 });
      expect(r.checks.filter((c) => c.ok === false)).toEqual([]);
      await Bun.sleep(200);
      const rep = server.finished[0] as {
        folder: string;
        streams: { label: string; wav: string; packets: number }[];
        pauses: { fromMs: number; toMs: number }[];
        metadataVersions: number;
      };
      expect(rep.streams.map((s) => s.label)).toEqual(["1", "2"]);
      expect(rep.metadataVersions).toBe(1);
      for (const [i, s] of rep.streams.entries()) {
        const pcm = wav(rep.folder, s.wav);
        expect(Math.abs(pcm.length / 8 - 3000)).toBeLessThan(120);
        expect(dominantFrequency(pcm.subarray(0, 7000), 8000, STREAM_TONES)).toBe(STREAM_TONES[i] as number);
        // The paused span: find the silent run and measure it.
        let start = -1;
        let longest = 0;
        for (let k = 0; k < pcm.length; k += 40) {
          const quiet = rms(pcm.subarray(k, k + 40)) < 50;
          if (quiet && start < 0) start = k;
          if (!quiet && start >= 0) {
            longest = Math.max(longest, k - start);
            start = -1;
          }
        }
        const pausedMs = longest / 8;
        const signalled = rep.pauses[0] as { fromMs: number; toMs: number };
        expect(Math.abs(pausedMs - (signalled.toMs - signalled.fromMs))).toBeLessThan(60);
        expect(pausedMs).toBeGreaterThan(700);
      }
    } finally {
      await server.stop();
    }
  });

  test("SRTP (SDES) over TCP: the SRS decrypts every packet", async () => {
    const { server } = await srs();
    try {
      const r = await call(server.port, { srtp: "require", streams: 1, durationMs: 1500 });
      expect(r.ok).toBe(true);
      await Bun.sleep(200);
      const rep = server.finished[0] as { folder: string; streams: { wav: string; packets: number; rejected: number; srtp: boolean }[] };
      expect(rep.streams[0]).toMatchObject({ srtp: true, rejected: 0 });
      expect(rep.streams[0]?.packets).toBeGreaterThan(60);
      expect(dominantFrequency(wav(rep.folder, rep.streams[0]?.wav ?? ""), 8000, STREAM_TONES)).toBe(440);
    } finally {
      await server.stop();
    }
  });

  for (const srtp of [false, true]) {
    test(`RTCP both ways${srtp ? " (SRTCP)" : ""}: the SRS hears our sender reports and its receiver reports come back with loss, jitter and round-trip figures`, async () => {
      const { server } = await srs({ rtcpIntervalMs: 400 });
      try {
        const r = await call(server.port, { durationMs: 2500, srtp: srtp ? "require" : "off" });
        expect(r.checks.find((c) => c.name.startsWith("RTCP receiver reports"))).toMatchObject({ ok: true });
        expect(r.rtcpReceived).toBeGreaterThan(2);
        // What the SRS said about each of our streams, as the session report carries it.
        for (const f of r.report.figures) {
          expect(f.rtcp).toMatchObject({ fractionLost: 0, cumulativeLost: 0 });
          expect(f.rtcp!.jitterMs).toBeLessThan(20);
          expect(f.rtcp!.rttMs ?? -1).toBeGreaterThanOrEqual(0);
        }
        await Bun.sleep(200);
        const rep = server.finished[0] as { streams: { rtcp: { senderReports: number; receiverReportsSent: number; rtcpRejected: number; lost: number } }[] };
        for (const s of rep.streams) {
          expect(s.rtcp.senderReports).toBeGreaterThan(0);
          expect(s.rtcp.receiverReportsSent).toBeGreaterThan(2);
          expect([s.rtcp.rtcpRejected, s.rtcp.lost]).toEqual([0, 0]);
        }
      } finally {
        await server.stop();
      }
    });
  }

  test("AEAD_AES_128_GCM (RFC 7714) offered first: the SRS answers it, decrypts every packet, and its SRTCP reports come back", async () => {
    const { server } = await srs({ rtcpIntervalMs: 400 });
    try {
      const r = await call(server.port, { durationMs: 2000, srtp: "require", srtpSuites: ["AEAD_AES_128_GCM", "AES_CM_128_HMAC_SHA1_80"] });
      expect(r.checks.filter((c) => c.ok === false)).toEqual([]);
      expect(r.rtcpReceived).toBeGreaterThan(0);
      await Bun.sleep(200);
      const rep = server.finished[0] as {
        folder: string;
        streams: { packets: number; srtp: boolean; srtpSuite: string; rejected: number; rtcp: { senderReports: number; rtcpRejected: number } }[];
      };
      for (const s of rep.streams) {
        expect([s.srtp, s.srtpSuite, s.rejected, s.rtcp.rtcpRejected]).toEqual([true, "AEAD_AES_128_GCM", 0, 0]);
        expect(s.packets).toBeGreaterThan(80);
        expect(s.rtcp.senderReports).toBeGreaterThan(0);
      }
      const ladder = r.report.ladder.map((l) => l.what).join(" | ");
      expect(ladder).toContain("SRTP");
      expect(dominantFrequency(wav(rep.folder, "label-1.wav"), 8000, STREAM_TONES)).toBe(440);
    } finally {
      await server.stop();
    }
  });

  test("test-call --capture: a captured call's caller and callee play on streams 1 and 2 (the fixture's 440 and 880 Hz)", async () => {
    const { server } = await srs();
    try {
      const io = Object.assign(memoryIo(), { clock: systemClock, fs: nodeConfigFs });
      const code = await run(
        ["test-call", "--srs", `sip:srs@127.0.0.1:${server.port}`, "--capture", join(FS_FIXTURES, "call-pcma-two-way.pcapng"), "--duration", "2"],
        io,
      );
      expect([code, io.stderr]).toEqual([0, []]);
      await Bun.sleep(200);
      const rep = server.finished[0] as { folder: string };
      expect([440, 880].map((_, i) => dominantFrequency(wav(rep.folder, `label-${i + 1}.wav`).subarray(4000, 5600), 8000, [440, 880]))).toEqual([440, 880]);
      const bad = Object.assign(memoryIo(), { clock: systemClock, fs: nodeConfigFs });
      expect(
        await run(
          ["test-call", "--srs", `sip:srs@127.0.0.1:${server.port}`, "--capture", join(FS_FIXTURES, "call-pcma-two-way.pcapng"), "--call-id", "nope"],
          bad,
        ),
      ).toBe(1);
      expect(bad.stderr.join("\n")).toContain('no call "nope" (see siprec replay --list)');
    } finally {
      await server.stop();
    }
  });

  test("TLS with certificate verification: the call and its audio arrive", async () => {
    const pki = testPki();
    const { server } = await srs({ transports: ["tls"], tls: { cert: pki.serverCert, key: pki.serverKey } });
    try {
      const port = server.portOf("tls") as number;
      const r = await runTestCall({
        srsUri: `sip:srs@127.0.0.1:${port};transport=tls`,
        transport: "tls",
        tls: { ca: pki.caCert },
        streams: 1,
        durationMs: 1500,
        codecs: ["PCMU"],
        srtp: "require",
        participants: [],
        localHost: "127.0.0.1",
        net: realNet("127.0.0.1"),
        clock: systemClock,
        ids: cryptoIds,
      });
      expect(r.checks.filter((c) => c.ok === false)).toEqual([]);
      await Bun.sleep(200);
      const rep = server.finished[0] as { streams: { packets: number; srtp: boolean; rejected: number }[] };
      expect(rep.streams[0]).toMatchObject({ srtp: true, rejected: 0 });
      expect(rep.streams[0]?.packets).toBeGreaterThan(60);
    } finally {
      await server.stop();
    }
  });

  test("TLS without a client certificate: Via and Contact carry a port we listen on (sips:), and a new TLS connection to it is answered", async () => {
    const pki = testPki();
    const { server } = await srs({ transports: ["tls"], tls: { cert: pki.serverCert, key: pki.serverKey } });
    const seen: string[] = [];
    const answer = server.ua.onInvite;
    server.ua.onInvite = (inv) => {
      seen.push(`${header(inv.request, "via")}\n${header(inv.request, "contact")}`);
      answer(inv);
    };
    try {
      const port = server.portOf("tls") as number;
      let reply = "";
      const r = await runTestCall({
        srsUri: `sips:srs@127.0.0.1:${port}`,
        transport: "tls",
        tls: { ca: pki.caCert },
        streams: 1,
        durationMs: 1500,
        codecs: ["PCMU"],
        srtp: "off",
        participants: [],
        localHost: "127.0.0.1",
        net: realNet("127.0.0.1"),
        clock: systemClock,
        ids: cryptoIds,
        onEstablished: () => {
          const contact = /^<sips:siprec@127\.0\.0\.1:(\d+)>/.exec(seen[0]?.split("\n")[1] ?? "");
          const ours = Number(contact?.[1]);
          // An SRS opening a new connection to our Contact (an in-dialog request after ours closed) reaches a listener.
          void Bun.connect({
            hostname: "127.0.0.1",
            port: ours,
            tls: { rejectUnauthorized: false },
            socket: {
              data: (_s, d) => void (reply += new TextDecoder().decode(d)),
              handshake: (sock) =>
                void sock.write(
                  `OPTIONS sips:siprec@127.0.0.1:${ours} SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1:9;branch=z9hG4bKnew1\r\nFrom: <sip:srs@127.0.0.1>;tag=1\r\nTo: <sips:siprec@127.0.0.1>\r\nCall-ID: new-conn-1\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n`,
                ),
              open: () => {},
            },
          });
        },
      });
      await Bun.sleep(300);
      expect(r.checks.filter((c) => c.ok === false)).toEqual([]);
      const [via, contact] = (seen[0] ?? "").split("\n");
      expect(via).toMatch(/^SIP\/2\.0\/TLS 127\.0\.0\.1:\d+;/);
      expect(contact).toMatch(/^<sips:siprec@127\.0\.0\.1:\d+>;\+sip\.src/);
      expect(via?.match(/:(\d+);/)?.[1]).toBe(contact?.match(/:(\d+)>/)?.[1]);
      expect(reply).toStartWith("SIP/2.0 200 OK\r\n");
    } finally {
      await server.stop();
    }
  });

  test("TLS to a server whose certificate we do not trust fails with a clear reason", async () => {
    const pki = testPki();
    const { server } = await srs({ transports: ["tls"], tls: { cert: pki.serverCert, key: pki.serverKey } });
    try {
      const port = server.portOf("tls") as number;
      const r = await runTestCall({
        srsUri: `sip:srs@127.0.0.1:${port};transport=tls`,
        transport: "tls",
        tls: { ca: pki.otherCaCert },
        streams: 1,
        durationMs: 500,
        codecs: ["PCMU"],
        srtp: "off",
        participants: [],
        localHost: "127.0.0.1",
        net: realNet("127.0.0.1"),
        clock: systemClock,
        ids: cryptoIds,
      });
      expect(r.ok).toBe(false);
      expect(r.report.attempts[0]).toMatchObject({ status: 503, reason: expect.stringContaining("TLS") });
    } finally {
      await server.stop();
    }
  });

  test("the metadata the SRS received is schema-valid", async () => {
    const { server } = await srs();
    try {
      await call(server.port, { streams: 1, durationMs: 500 });
      await Bun.sleep(200);
      const rep = server.finished[0] as { folder: string };
      const xml = readFileSync(join(rep.folder, "metadata-1.xml"), "utf8");
      expect(validateMetadataXsd(await loadLibxml(), xml)).toEqual([]);
    } finally {
      await server.stop();
    }
  });

  test("the SRS rejects: the report says why; the SRS hangs up mid-call: reported", async () => {
    const rejecting = await srs({ reject: 503 });
    try {
      const r = await call(rejecting.server.port, { durationMs: 500 });
      expect(r.ok).toBe(false);
      expect(r.report.attempts[0]).toMatchObject({ srs: "srs", status: 503 });
    } finally {
      await rejecting.server.stop();
    }
    const hanging = await srs({ byeAfterMs: 500 });
    try {
      const r = await call(hanging.server.port, { durationMs: 1500 });
      expect(r.report.endedBy).toBe("srs");
      expect(r.checks.find((c) => c.name.startsWith("recording ended by our BYE"))?.ok).toBe(false);
    } finally {
      await hanging.server.stop();
    }
  });

  test("an SRS snapshot request is answered with a complete snapshot", async () => {
    const { server } = await srs({ requestSnapshotAfterMs: 300 });
    try {
      const r = await call(server.port, { streams: 2, durationMs: 1200 });
      expect(r.report.snapshotsSent).toBe(1);
      await Bun.sleep(200);
      const rep = server.finished[0] as { folder: string; metadataVersions: number };
      expect(rep.metadataVersions).toBe(2);
      const second = readFileSync(join(rep.folder, "metadata-2.xml"), "utf8");
      expect(second).toContain("<datamode>complete</datamode>");
      expect(validateMetadataXsd(await loadLibxml(), second)).toEqual([]);
    } finally {
      await server.stop();
    }
  });
});
