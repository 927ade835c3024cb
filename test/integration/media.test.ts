/**
 * The media path against independent tools on 127.0.0.1 (TEST_INTEGRATION=1):
 * - tshark's RTP stream analysis of a forked stream: 0 lost, 0 sequence
 *   errors, 20 ms spacing;
 * - libsrtp2 (Debian) decrypts the SRTP and SRTCP siprec sends.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeG711 } from "../../src/media/g711.ts";
import { ToneSource } from "../../src/media/tone.ts";
import { Forker } from "../../src/rtp/forker.ts";
import { parseRtp, serializeRtp } from "../../src/rtp/packet.ts";
import { FramePacer as Pacer } from "../../src/rtp/frame-pacer.ts";
import { RtcpReporter } from "../../src/rtp/rtcp-reporter.ts";
import { SrtpContext } from "../../src/rtp/srtp/context.ts";
import { openRtpSocket } from "../../src/rtp/udp-socket.ts";
import { cryptoIds } from "../../src/platform/crypto-ids.ts";
import { systemClock } from "../../src/platform/system-clock.ts";
import { freePort } from "../support/sip-stack.ts";

const ON = process.env["TEST_INTEGRATION"] === "1";
const DIR = mkdtempSync(join(tmpdir(), "siprec-media-"));
const HELPER = join(DIR, "srtp-check");

describe.if(ON)("media path against independent tools", () => {
  setDefaultTimeout(60_000);

  test("tshark -z rtp,streams on a forked stream: 0 lost, 0 sequence errors, 20 ms spacing", async () => {
    const sinkPort = await freePort();
    const pcap = join(DIR, "forked.pcap");
    const cap = Bun.spawn(["tshark", "-i", "lo", "-f", `udp dst port ${sinkPort}`, "-w", pcap, "-q"], { stdout: "ignore", stderr: "pipe" });
    // Wait for tshark to report that it captures.
    const reader = cap.stderr.getReader();
    for (let seen = ""; !seen.includes("Capturing on"); ) seen += new TextDecoder().decode((await reader.read()).value ?? new Uint8Array());
    // The capture filter attaches a moment after tshark says it is capturing.
    await Bun.sleep(1000);
    const sink = await openRtpSocket({ host: "127.0.0.1", port: sinkPort, onPacket: () => {} });
    const forker = new Forker({ clock: systemClock, ids: cryptoIds });
    forker.addInput({ id: "tap", codec: "PCMU", clockRate: 8000 });
    const out = await openRtpSocket({ host: "127.0.0.1", port: 0, onPacket: () => {} });
    forker.addOutput("tap", {
      id: "o",
      group: "g",
      payloadType: 8,
      codec: "PCMA",
      clockRate: 8000,
      ptimeMs: 20,
      dtmf: "drop",
      port: { send: (b) => out.send(b, sinkPort, "127.0.0.1") },
    });
    const input = await openRtpSocket({ host: "127.0.0.1", port: 0, onPacket: (d) => forker.receive("tap", d) });
    const tx = await openRtpSocket({ host: "127.0.0.1", port: 0, onPacket: () => {} });
    const tone = new ToneSource(440);
    await new Promise<void>((resolve) => {
      const p = new Pacer({ clock: systemClock, ptimeMs: 20 }, (n) => {
        tx.send(
          serializeRtp({
            marker: n === 0,
            payloadType: 0,
            sequence: (4000 + n) & 0xffff,
            timestamp: 123_456 + n * 160,
            ssrc: 0xfeed,
            csrcs: [],
            payload: encodeG711("PCMU", tone.next(20)),
            paddingLength: 0,
          }),
          input.port,
          "127.0.0.1",
        );
        if (n === 199) {
          resolve();
          return false;
        }
      });
      p.start();
    });
    await Bun.sleep(300);
    cap.kill("SIGINT");
    await cap.exited;
    for (const s of [sink, out, input, tx]) s.close();
    const r = Bun.spawnSync(["tshark", "-r", pcap, "-q", "-d", `udp.port==${sinkPort},rtp`, "-z", "rtp,streams"], { stdout: "pipe", stderr: "pipe" });
    const text = r.stdout.toString();
    const rows = text.split("\n").filter((l) => /127\.0\.0\.1\s+\d+\s+127\.0\.0\.1\s+\d+\s+0x/.test(l));
    expect(rows.length).toBe(1);
    const row = rows[0] as string;
    // Start End SrcIP Port DstIP Port SSRC Payload Pkts Lost(%) MinΔ MeanΔ MaxΔ MinJ MeanJ MaxJ [Problem]
    const cols = row.trim().split(/\s+/);
    const pkts = Number(cols[cols.findIndex((c) => c.startsWith("0x")) + 2]);
    expect(pkts).toBe(200);
    expect(row).toMatch(/\s0 \(0\.0%\)\s/);
    expect(row).not.toContain(" X");
    const meanDelta = Number(cols.at(-5) === "X" ? cols.at(-6) : cols.at(-5));
    expect(meanDelta).toBeGreaterThan(19);
    expect(meanDelta).toBeLessThan(21);
    expect(forker.counters("o")).toMatchObject({ packetsOut: 200, transcoded: 200, sendErrors: 0 });
  });

  for (const suite of ["AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32", "AEAD_AES_128_GCM"] as const) {
    test(`${suite}: libsrtp2 decrypts the forker's SRTP and the reporter's SRTCP`, () => {
      const cc = Bun.spawnSync(["sh", "-c", `cc -O2 -o ${HELPER} ${join(import.meta.dir, "helpers/srtp-check.c")} $(pkg-config --cflags --libs libsrtp2)`], {
        stderr: "pipe",
      });
      if (cc.exitCode !== 0) throw new Error(`cc failed: ${cc.stderr.toString()}`);
      const keySalt = cryptoIds.bytes(suite === "AEAD_AES_128_GCM" ? 28 : 30);
      const ctx = new SrtpContext({ suite, masterKey: keySalt.slice(0, 16), masterSalt: keySalt.slice(16) });
      const wire: { kind: "rtp" | "rtcp"; bytes: Uint8Array }[] = [];
      const forker = new Forker({ clock: systemClock, ids: cryptoIds });
      forker.addInput({ id: "i", codec: "PCMU", clockRate: 8000 });
      forker.addOutput("i", {
        id: "o",
        group: "g",
        payloadType: 0,
        codec: "PCMU",
        clockRate: 8000,
        ptimeMs: 20,
        dtmf: "drop",
        protect: (b) => ctx.protectRtp(b),
        port: { send: (b) => void wire.push({ kind: "rtp", bytes: b }) },
      });
      const tone = new ToneSource(880);
      const payloads: Uint8Array[] = [];
      // Start near the sequence wrap so the rollover counter is exercised too.
      for (let n = 0; n < 300; n++) {
        const payload = encodeG711("PCMU", tone.next(20));
        payloads.push(payload);
        forker.receive(
          "i",
          serializeRtp({ marker: false, payloadType: 0, sequence: (65400 + n) & 0xffff, timestamp: n * 160, ssrc: 7, csrcs: [], payload, paddingLength: 0 }),
        );
      }
      const reporter = new RtcpReporter({ clock: systemClock, ids: cryptoIds, cname: "check@siprec" });
      reporter.add({
        id: "o",
        info: () => forker.outputInfo("o"),
        send: (b) => void wire.push({ kind: "rtcp", bytes: (ctx.protectRtcp(b) as { value: Uint8Array }).value }),
      });
      reporter.sendReports();
      reporter.bye();
      const input = [suite, Buffer.from(keySalt).toString("hex"), ...wire.map((w) => `${w.kind} ${Buffer.from(w.bytes).toString("hex")}`)].join("\n");
      const run = Bun.spawnSync([HELPER], { stdin: new TextEncoder().encode(`${input}\n`), stdout: "pipe", stderr: "pipe" });
      expect(run.exitCode).toBe(0);
      const lines = run.stdout.toString().trim().split("\n");
      expect(lines.length).toBe(302);
      expect(lines.filter((l) => !l.startsWith("ok ")).length).toBe(0);
      for (let n = 0; n < 300; n++) {
        const p = parseRtp(Uint8Array.from(Buffer.from((lines[n] as string).slice(3), "hex")));
        expect(p.ok && p.value.payload).toEqual(payloads[n] as Uint8Array);
      }
      // The SRTCP plaintext starts with our SR (PT 200).
      expect((lines[300] as string).slice(3, 7)).toBe("80c8");
    });
  }
});
