/**
 * The recording client (test-call's RecordingSession) against SIPp playing
 * SRS behaviours from the field, on 127.0.0.1: RFC 7866 Figure 7
 * (inactive, then recvonly), a session refresh by UPDATE at 30 s with
 * Session-Expires: 90, a stream re-offered at port 0, an offerless
 * re-INVITE. SIPp's <ereg check_it> lines judge our answers; the report
 * and tshark judge the media. Runs when TEST_INTEGRATION=1.
 */
import { loopbackCall } from "../support/test-call-options.ts";
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type TestCallOptions, runTestCall } from "../../src/test-call/run.ts";
import { freePort } from "../support/sip-stack.ts";
import { sipp } from "../support/sipp.ts";

const ON = process.env["TEST_INTEGRATION"] === "1";

async function against(scenario: string, o: Partial<TestCallOptions> & { timeoutS?: number } = {}) {
  const port = await freePort();
  const mp = 30000 + 8 * Math.floor(Math.random() * 1200);
  const run = sipp({ scenario, port, transport: "tcp", mediaPort: mp, timeoutS: o.timeoutS ?? 20 });
  await Bun.sleep(500);
  const result = await runTestCall(loopbackCall(port, { codecs: ["PCMU"], ...o }));
  const done = await run.exited;
  return { result, done, mp };
}

/** RTP packets captured toward [from, to] while `body` runs. */
async function rtpTo(from: number, to: number, body: () => Promise<void>): Promise<number> {
  const pcap = join(mkdtempSync(join(tmpdir(), "siprec-sipp-")), "rtp.pcap");
  const cap = Bun.spawn(["tshark", "-i", "lo", "-f", `udp dst portrange ${from}-${to}`, "-w", pcap, "-q"], { stdout: "ignore", stderr: "pipe" });
  const reader = cap.stderr.getReader();
  for (let seen = ""; !seen.includes("Capturing on"); ) seen += new TextDecoder().decode((await reader.read()).value ?? new Uint8Array());
  await Bun.sleep(500);
  await body();
  await Bun.sleep(300);
  cap.kill("SIGINT");
  await cap.exited;
  const out = Bun.spawnSync(["tshark", "-r", pcap, "-q", "-z", "io,stat,0"], { stdout: "pipe" }).stdout.toString();
  return Number(/\|\s*Frames\s*\|[\s\S]*?\|\s*[\d.]+\s*<>\s*[\d.]+\s*\|\s*(\d+)\s*\|/.exec(out)?.[1] ?? -1);
}

describe.if(ON)("the recording client against SIPp as a real SRS", () => {
  setDefaultTimeout(90_000);

  test("RFC 7866 Figure 7: inactive answer, recvonly re-INVITE 1 s later: we answer sendonly on both labels and only then send", async () => {
    const { result, done } = await against("uas-figure7-inactive-recvonly.xml", { durationMs: 3000 });
    expect(done.code).toBe(0);
    expect(result.checks.filter((c) => c.ok === false)).toEqual([]);
    for (const f of result.report.figures) {
      expect(f.packets).toBeGreaterThan(75); // about 2 s of the 3 s call
      expect(f.packets).toBeLessThan(125);
    }
  });

  test("RFC 4028: Session-Expires 90 refresher=uas, refreshed by UPDATE at 30 s: our 200 carries Session-Expires, no BYE at 60 s; the call ends with our BYE at 62 s", async () => {
    const { result, done } = await against("uas-session-refresh-update.xml", { durationMs: 62_000, timeoutS: 80 });
    expect(done.code).toBe(0);
    expect(result.report.endedBy).toBe("local");
    expect(result.checks.filter((c) => c.ok === false)).toEqual([]);
  });

  test("RFC 3264 §8.2: label 2 re-offered at port 0: we answer port 0 there, stop that stream, label 1 goes on", async () => {
    const { result, done } = await against("uas-reoffer-port0.xml", { durationMs: 3000 });
    expect(done.code).toBe(0);
    expect(result.report.streams.map((s) => `${s.label}:${s.status}`)).toEqual(["1:accepted", "2:rejected"]);
    const [one, two] = result.report.figures;
    expect(one?.packets).toBeGreaterThan(125);
    expect(two?.packets ?? 0).toBeLessThan(70);
  });

  test("an offerless re-INVITE: our offer in the 200 (sendonly), SIPp's answer in the ACK moves both streams to new ports", async () => {
    let mpSeen = 0;
    let res: Awaited<ReturnType<typeof against>> | undefined;
    const port = await freePort();
    const mp = 30000 + 8 * Math.floor(Math.random() * 1200);
    const packets = await rtpTo(mp + 4, mp + 7, async () => {
      const run = sipp({ scenario: "uas-offerless-reinvite.xml", port, transport: "tcp", mediaPort: mp });
      await Bun.sleep(500);
      const result = await runTestCall(loopbackCall(port, { codecs: ["PCMU"] }));
      res = { result, done: await run.exited, mp };
      mpSeen = mp;
    });
    expect(res?.done.code).toBe(0);
    expect(res?.result.report.streams.map((s) => s.remote)).toEqual([`127.0.0.1:${mpSeen + 4}`, `127.0.0.1:${mpSeen + 6}`]);
    expect(packets).toBeGreaterThan(150);
  });
});
