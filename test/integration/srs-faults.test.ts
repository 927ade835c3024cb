/**
 * test-call against `siprec srs` playing the in-dialog behaviours real
 * recording servers show (RFC 7866 Figure 7 "not ready", a stream taken
 * away with port 0, a recorder that stalls a re-INVITE), on 127.0.0.1 with
 * real sockets and the system clock. What arrived is read from the SRS's
 * own report: packets per label and packets during a pause.
 */
import { loopbackCall } from "../support/test-call-options.ts";
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import type { SrsServer } from "../../src/srs/server.ts";
import type { SrsServerOptions } from "../../src/srs/open-srs.ts";
import { type TestCallOptions, runTestCall } from "../../src/test-call/run.ts";
import { header } from "../../src/sip/message/headers.ts";
import { invite } from "../../src/sip/ua/uac-invite.ts";
import { sipStack } from "../support/sip-stack.ts";
import { loopbackSrs } from "../support/loopback-srs.ts";

setDefaultTimeout(30_000);

const srs = async (extra: Partial<SrsServerOptions> = {}) => (await loopbackSrs(extra)).server;

const call = (port: number, o: Partial<TestCallOptions> = {}) => runTestCall(loopbackCall(port, o));

type StreamReport = { label: string; packets: number; whilePaused: number; durationMs: number };
const streamsOf = (server: SrsServer) => (server.finished[0]?.streams ?? []) as StreamReport[];
const eventsOf = (server: SrsServer) => ((server.finished[0]?.events ?? []) as { what: string }[]).map((e) => e.what);

describe("siprec srs fault behaviours, test-call records through them", () => {
  test("--answer-inactive-for 1: nothing is sent while the SRS is not ready; its recvonly re-INVITE starts both streams (RFC 7866 Figure 7)", async () => {
    const server = await srs({ answerInactiveForMs: 1000 });
    try {
      const r = await call(server.port, { durationMs: 3000 });
      await Bun.sleep(300);
      expect(r.report.state).toBe("stopped");
      const streams = streamsOf(server);
      expect(streams.length).toBe(2);
      for (const s of streams) {
        expect(s.whilePaused).toBe(0);
        // About 2 s of audio: 3 s of call less the 1 s "not ready".
        expect(s.packets).toBeGreaterThan(75);
        expect(s.packets).toBeLessThan(125);
      }
      expect(eventsOf(server).some((e) => e.startsWith("answer to our ready: recvonly re-INVITE (recording)"))).toBe(true);
      expect(r.report.streams.map((s) => s.status)).toEqual(["accepted", "accepted"]);
      expect(r.checks.filter((c) => c.ok === false)).toEqual([]);
    } finally {
      await server.stop();
    }
  });

  test("--reoffer-port0 2: the client answers port 0 and stops that stream for good; the other goes on", async () => {
    const server = await srs({ reofferPort0: "2" });
    try {
      const r = await call(server.port, { durationMs: 3000, pauseAtMs: 1500, resumeAtMs: 2000 });
      await Bun.sleep(300);
      const [one, two] = streamsOf(server);
      expect(one?.packets).toBeGreaterThan(100);
      expect(two?.packets).toBeGreaterThan(30);
      expect(two?.packets).toBeLessThan(70);
      expect(two?.whilePaused).toBe(0);
      expect(r.report.streams.map((s) => `${s.label}:${s.status}`)).toEqual(["1:accepted", "2:rejected"]);
      expect(r.checks.filter((c) => c.ok === false)).toEqual([]);
      // Our pause/resume re-INVITEs kept label 2 at port 0: the SRS accepted them without a warning about m-lines.
      expect(((server.finished[0]?.warnings ?? []) as string[]).filter((w) => /m-line|o= /.test(w))).toEqual([]);
    } finally {
      await server.stop();
    }
  });

  test("--stall-reinvite: the pause re-INVITE is CANCELled at its deadline, audio stays stopped, the BYE still ends the call on time", async () => {
    const server = await srs({ stallReinvite: true });
    try {
      const t0 = Date.now();
      const r = await call(server.port, { durationMs: 4000, pauseAtMs: 1000, resumeAtMs: 2000, inviteDeadlineMs: 1000 });
      const took = Date.now() - t0;
      await Bun.sleep(300);
      expect(took).toBeLessThan(7000);
      expect(r.report.state).toBe("stopped");
      expect(r.report.pauses[0]?.signalled).toBe(false);
      expect(r.report.warnings.join("\n")).toContain("pause re-INVITE failed with 487");
      for (const s of streamsOf(server)) expect(s.packets).toBeLessThan(60);
      expect(server.finished[0]?.endedBy).toBe("client");
    } finally {
      await server.stop();
    }
  });
});

describe("snapshots pass the SRS's validation", () => {
  test("--request-snapshot-after: the complete snapshot comes in a re-INVITE with an SDP offer; the SRS validates it (siprec validate rules) and keeps it", async () => {
    const server = await srs({ requestSnapshotAfterMs: 800 });
    try {
      const r = await call(server.port, { durationMs: 2500 });
      await Bun.sleep(300);
      expect(r.report.snapshotsSent).toBe(1);
      expect(r.report.warnings).toEqual([]);
      const rec = server.finished[0] as Record<string, unknown>;
      expect(rec.metadataVersions).toBe(2);
      expect(((rec.warnings ?? []) as string[]).filter((w) => w.startsWith("INVITE:"))).toEqual([]);
      expect(eventsOf(server).some((e) => e.startsWith("re-INVITE with metadata"))).toBe(true);
      expect(r.checks.filter((c) => c.ok === false)).toEqual([]);
    } finally {
      await server.stop();
    }
  });
});

describe("--reject", () => {
  test("--reject 420 names what it does not support (RFC 3261 §8.2.2.3: Unsupported: siprec)", async () => {
    const server = await srs({ reject: 420 });
    const stack = await sipStack("tcp");
    try {
      const out = await invite(stack.ua, {
        uri: `sip:srs@127.0.0.1:${server.port}`,
        peer: stack.peer(server.portOf("tcp") as number),
        from: "<sip:siprec@127.0.0.1>",
        to: `<sip:srs@127.0.0.1:${server.port}>`,
        headers: [{ name: "Require", value: "siprec" }],
        timeoutMs: 5000,
      });
      if (out.ok) throw new Error("accepted");
      expect(out.status).toBe(420);
      expect(out.response === undefined ? "" : header(out.response, "unsupported")).toBe("siprec");
    } finally {
      stack.close();
      await server.stop();
    }
  });
});

describe("bounded input", () => {
  test("a request over 64 KiB on TCP gets 413 Request Entity Too Large, then the connection closes; the server goes on", async () => {
    const server = await srs();
    try {
      const body = "x".repeat(70 * 1024);
      const head = `INVITE sip:srs@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bKbig1\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:srs@127.0.0.1>\r\nCall-ID: big-1\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\nContent-Type: application/sdp\r\nContent-Length: ${body.length}\r\n\r\n`;
      let got = "";
      let closed = false;
      const sock = await Bun.connect({
        hostname: "127.0.0.1",
        port: server.portOf("tcp") as number,
        socket: { data: (_s, d) => void (got += new TextDecoder().decode(d)), close: () => void (closed = true), open: () => {} },
      });
      sock.write(head + body);
      for (let i = 0; i < 100 && !closed; i++) await Bun.sleep(20);
      expect(got).toStartWith("SIP/2.0 413 Request Entity Too Large\r\n");
      expect(got).toContain("Call-ID: big-1");
      expect(closed).toBe(true);
      // The server still records a normal call afterwards.
      const r = await call(server.port, { durationMs: 1000 });
      expect(r.report.state).toBe("stopped");
      expect(r.report.endedBy).toBe("local");
    } finally {
      await server.stop();
    }
  });
});

describe("framing errors are answered before the connection closes", () => {
  const raw = async (port: number, bytes: string): Promise<{ got: string; closed: boolean }> => {
    let got = "";
    let closed = false;
    const sock = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: { data: (_s, d) => void (got += new TextDecoder().decode(d)), close: () => void (closed = true), open: () => {} },
    });
    sock.write(bytes);
    for (let i = 0; i < 100 && !closed; i++) await Bun.sleep(20);
    return { got, closed };
  };
  const headers = (callId: string) =>
    `OPTIONS sip:srs@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bK${callId}\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:srs@127.0.0.1>\r\nCall-ID: ${callId}\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n`;

  test("headers that never end within 64 KiB get 513 Message Too Large (RFC 3261 §21.5.14); no Content-Length gets 400 (§18.3); both then close", async () => {
    const server = await srs();
    try {
      const long = await raw(server.portOf("tcp") as number, `${headers("long-1")}X-Filler: ${"y".repeat(70 * 1024)}`);
      expect(long.got).toStartWith("SIP/2.0 513 Message Too Large\r\n");
      expect(long.got).toContain("Call-ID: long-1");
      expect(long.closed).toBe(true);
      const bad = await raw(server.portOf("tcp") as number, `${headers("nolen-1")}\r\n`);
      expect(bad.got).toStartWith("SIP/2.0 400 Bad Request");
      expect(bad.got).toContain("Call-ID: nolen-1");
      expect(bad.closed).toBe(true);
      // A stream that is not SIP at all is closed without an answer (nothing to answer to).
      const junk = await raw(server.portOf("tcp") as number, `${"z".repeat(70 * 1024)}`);
      expect(junk.got).toBe("");
      expect(junk.closed).toBe(true);
    } finally {
      await server.stop();
    }
  });
});

describe("the reference SRS stays bounded", () => {
  test("--max-recordings: past the cap a new recording gets 486 Busy Here; the running one is untouched", async () => {
    const server = await srs({ maxRecordings: 1 });
    try {
      const first = call(server.port, { durationMs: 1500 });
      await Bun.sleep(500);
      const second = await call(server.port, { durationMs: 500 });
      expect(second.report.attempts[0]).toMatchObject({ status: 486 });
      expect((await first).report.endedBy).toBe("local");
    } finally {
      await server.stop();
    }
  });

  test("stop() with a client that vanished mid-recording returns within a few seconds and still writes the recording", async () => {
    const server = await srs();
    const stack = await sipStack("tcp");
    const offer = new TextEncoder().encode(
      "v=0\r\no=siprec 1 1 IN IP4 127.0.0.1\r\ns=siprec\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 30998 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=label:1\r\na=sendonly\r\n",
    );
    const out = await invite(stack.ua, {
      uri: `sip:srs@127.0.0.1:${server.port}`,
      peer: stack.peer(server.portOf("tcp") as number),
      from: "<sip:siprec@127.0.0.1>",
      to: `<sip:srs@127.0.0.1:${server.port}>`,
      headers: [{ name: "Require", value: "siprec" }],
      body: offer,
      contentType: "application/sdp",
      timeoutMs: 5000,
    });
    expect(out.ok).toBe(true);
    stack.close(); // the client vanishes: our BYE will never be answered
    const t0 = Date.now();
    await server.stop();
    expect(Date.now() - t0).toBeLessThan(4000);
    expect(server.finished.length).toBe(1);
  });
});
