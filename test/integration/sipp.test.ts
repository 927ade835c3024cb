/**
 * Our SIP stack against SIPp, a real third-party implementation, on
 * 127.0.0.1 (scenarios in test/integration/sipp/). Runs when
 * TEST_INTEGRATION=1 (scripts/test.sh sets it and installs sip-tester).
 */
import { loopbackCall } from "../support/test-call-options.ts";
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runTestCall } from "../../src/test-call/run.ts";
import { invite } from "../../src/sip/ua/uac-invite.ts";
import { header } from "../../src/sip/message/headers.ts";
import { freePort, sipStack } from "../support/sip-stack.ts";
import { startRig } from "../daemon/support.ts";
import { hasSipp, sipp } from "../support/sipp.ts";

const ON = process.env["TEST_INTEGRATION"] === "1";
const SDP = new TextEncoder().encode(
  "v=0\r\no=siprec 1 1 IN IP4 127.0.0.1\r\ns=siprec\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 20000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=label:1\r\na=sendonly\r\n",
);

async function callSipp(scenario: string, transport: "udp" | "tcp", extra: { credentials?: { username: string; password: string } } = {}) {
  const port = await freePort();
  const run = sipp({ scenario, port, transport });
  await Bun.sleep(500);
  const stack = await sipStack(transport);
  try {
    const out = await invite(stack.ua, {
      uri: `sip:srs@127.0.0.1:${port}`,
      peer: stack.peer(port),
      from: "<sip:siprec@127.0.0.1>",
      to: `<sip:srs@127.0.0.1:${port}>`,
      headers: [{ name: "Require", value: "siprec" }],
      body: SDP,
      contentType: "application/sdp",
      timeoutMs: 10_000,
      ...extra,
    });
    return { out, stack, run };
  } catch (e) {
    run.kill();
    stack.close();
    throw e;
  }
}

describe.if(ON)("SIPp interop on 127.0.0.1", () => {
  setDefaultTimeout(30_000);

  test("sipp is installed (sip-tester)", () => {
    expect(hasSipp()).toBe(true);
  });

  for (const transport of ["udp", "tcp"] as const) {
    test(`${transport}: SIPp UAS answers our INVITE; we ACK and BYE`, async () => {
      const { out, stack, run } = await callSipp("uas-answer-200.xml", transport);
      try {
        expect(out.ok).toBe(true);
        if (!out.ok) return;
        expect(header(out.response, "content-type")).toBe("application/sdp");
        const bye = await out.session.bye();
        expect(bye.kind === "final" && bye.res.status).toBe(200);
        expect(await run.exited).toMatchObject({ code: 0 });
      } finally {
        stack.close();
      }
    });
  }

  test("udp: SIPp ignores our first INVITE for 1.2 s; we retransmit (Timer A) and complete", async () => {
    const { out, stack, run } = await callSipp("uas-delay-answer-200.xml", "udp");
    try {
      expect(out.ok).toBe(true);
      expect(stack.sent.filter((l) => l.startsWith("INVITE")).length).toBeGreaterThanOrEqual(2);
      if (out.ok) await out.session.bye();
      expect((await run.exited).code).toBe(0);
    } finally {
      stack.close();
    }
  });

  test("udp: SIPp challenges with 401; our digest passes its verifyauth", async () => {
    const { out, stack, run } = await callSipp("uas-challenge-401.xml", "udp", { credentials: { username: "rec", password: "s3cret" } });
    try {
      expect(out).toMatchObject({ ok: true });
      if (out.ok) await out.session.bye();
      expect((await run.exited).code).toBe(0);
    } finally {
      stack.close();
    }
  });

  test("tcp: SIPp answers 503; we report it and ACK", async () => {
    const { out, stack, run } = await callSipp("uas-reject-503.xml", "tcp");
    try {
      expect(out).toMatchObject({ ok: false, status: 503 });
      expect((await run.exited).code).toBe(0);
    } finally {
      stack.close();
    }
  });

  for (const transport of ["udp", "tcp"] as const) {
    test(`${transport}: SIPp sends a re-INVITE and a BYE inside the dialog; we answer both`, async () => {
      const { out, stack, run } = await callSipp("uas-reinvite-bye.xml", transport);
      try {
        expect(out.ok).toBe(true);
        if (!out.ok) return;
        const seen: string[] = [];
        out.session.onRequest = (r) => {
          seen.push(r.request.method);
          r.respond({ status: 200, body: SDP, contentType: "application/sdp" });
        };
        const ended = new Promise<string>((resolve) => (out.session.onTerminated = resolve));
        expect(await ended).toBe("remote-bye");
        expect(seen).toEqual(["INVITE"]);
        expect((await run.exited).code).toBe(0);
      } finally {
        stack.close();
      }
    });
  }

  for (const transport of ["udp", "tcp"] as const) {
    test(`${transport}: SIPp calls our UAS (tap-leg shape); we answer, it ACKs and BYEs`, async () => {
      const stack = await sipStack(transport, "");
      const invites: string[] = [];
      const ended = new Promise<string>((resolve) => {
        stack.ua.onInvite = (inv) => {
          invites.push(header(inv.request, "x-siprec-token") ?? "");
          const s = inv.accept({ body: SDP, contentType: "application/sdp" });
          if (s) s.onTerminated = resolve;
        };
      });
      const port = await freePort();
      const run = sipp({ scenario: "uac-call-bye.xml", port, transport, remote: `127.0.0.1:${stack.transport.local.port}` });
      try {
        expect(await ended).toBe("remote-bye");
        expect(invites).toEqual(["t0k3n"]);
        expect((await run.exited).code).toBe(0);
      } finally {
        run.kill();
        stack.close();
      }
    });
  }
});

describe.if(ON)("test-call against SIPp as a strict SRS", () => {
  setDefaultTimeout(60_000);
  test("SIPp's <ereg> checks pass on our recording INVITE; tshark sees both RTP streams with 0 loss", async () => {
    const port = await freePort();
    const mp = 30000 + 2 * Math.floor(Math.random() * 5000);
    const pcap = join(mkdtempSync(join(tmpdir(), "siprec-strict-")), "rtp.pcap");
    const cap = Bun.spawn(["tshark", "-i", "lo", "-f", `udp dst portrange ${mp}-${mp + 3}`, "-w", pcap, "-q"], { stdout: "ignore", stderr: "pipe" });
    const reader = cap.stderr.getReader();
    for (let seen = ""; !seen.includes("Capturing on"); ) seen += new TextDecoder().decode((await reader.read()).value ?? new Uint8Array());
    await Bun.sleep(1000);
    const run = sipp({ scenario: "uas-strict-srs.xml", port, transport: "tcp", mediaPort: mp });
    await Bun.sleep(500);
    // SIPp's -mp sets [media_port]; the scenario answers on it and +2.
    const result = await runTestCall(loopbackCall(port, { codecs: ["PCMU"] }));
    expect(result.checks.filter((c) => c.ok === false)).toEqual([]);
    const done = await run.exited;
    await Bun.sleep(300);
    cap.kill("SIGINT");
    await cap.exited;
    expect(done.code).toBe(0);
    const stats = Bun.spawnSync(["tshark", "-r", pcap, "-q", "-d", `udp.port==${mp},rtp`, "-d", `udp.port==${mp + 2},rtp`, "-z", "rtp,streams"], {
      stdout: "pipe",
    }).stdout.toString();
    const rows = stats.split("\n").filter((l) => /127\.0\.0\.1\s+\d+\s+127\.0\.0\.1\s+\d+\s+0x/.test(l));
    expect(rows.length).toBe(2);
    for (const row of rows) {
      expect(row).toMatch(/\s0 \(0\.0%\)\s/);
      const cols = row.trim().split(/\s+/);
      expect(Number(cols[cols.findIndex((c) => c.startsWith("0x")) + 2])).toBeGreaterThan(140);
    }
  });
});

describe.if(ON)("siprec daemon against SIPp as a strict SRS", () => {
  setDefaultTimeout(60_000);
  test("a FreeSWITCH-driven recording passes SIPp's <ereg> checks and ends with our BYE", async () => {
    const port = await freePort();
    const run = sipp({ scenario: "uas-strict-srs.xml", port, transport: "tcp", mediaPort: 30000 + 2 * Math.floor(Math.random() * 5000) });
    await Bun.sleep(500);
    const rig = await startRig({ srsUri: `sip:srs@127.0.0.1:${port}` });
    try {
      await rig.until(() => rig.fs.commands.some((c) => c.startsWith("event plain ")), 5000, "the ESL subscription");
      rig.fs.playCallStart();
      await rig.until(() => rig.fired("started").length === 1, 10_000, "siprec::started");
      await Bun.sleep(1000);
      rig.fs.playCallEnd();
      const done = await run.exited;
      expect(done.errors).toBe("");
      expect(done.code).toBe(0);
    } finally {
      run.kill();
      await rig.close();
    }
  });
});
