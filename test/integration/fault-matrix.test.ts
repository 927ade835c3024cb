/**
 * #15 item 9: the fault matrix. The compiled daemon against the FreeSWITCH
 * emulator and two compiled `siprec srs` (a primary and a backup in one
 * group); one call per case with a fault injected 2 s in. Each case checks
 * what the SRSs hold (packets received per stream against the call's
 * length), what FreeSWITCH was told (events, SIPREC-Interrupted,
 * SIPREC-Gap-Ms) and that no audio went missing beyond the reported gap;
 * the matrix is printed at the end.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { BIN, ensureBinary } from "../support/siprec-bin.ts";
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FsEmulator } from "../support/fs-emulator.ts";
import { parseWav } from "../../src/media/wav.ts";
import { TcpProxy } from "../support/tcp-proxy.ts";
import { UNWRITTEN_AT_KILL_MS } from "../../src/srs/recording-writer.ts";

const RUN = process.env["TEST_INTEGRATION"] === "1";
const PTIME_MS = 20;

beforeAll(() => {
  if (RUN) ensureBinary();
});

interface Row {
  readonly name: string;
  readonly lostMs: number[];
  readonly reportedGapMs: number;
  readonly unreportedMs: number;
  readonly recovered: string;
  readonly told: string;
}
const matrix: Row[] = [];
afterAll(() => {
  if (matrix.length === 0) return;
  const line = (c: string[]) => c.map((x, i) => x.padEnd([34, 18, 14, 14, 10, 0][i] ?? 0)).join(" ");
  console.log(
    `\nfault matrix (compiled daemon, FreeSWITCH emulator, two siprec srs)\n${line(["case", "lost/stream ms", "reported gap", "unreported", "recovered", "FreeSWITCH told"])}`,
  );
  for (const r of matrix) console.log(line([r.name, r.lostMs.join(" / "), String(r.reportedGapMs), String(r.unreportedMs), r.recovered, r.told]));
});

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

const rand = () => 20000 + Math.floor(Math.random() * 20000);

async function srsBin(name: string, flags: string[] = []) {
  const dir = mkdtempSync(join(tmpdir(), `siprec-fm-${name}-`));
  for (let tries = 0; ; tries++) {
    const port = rand();
    const p = Bun.spawn([BIN, "srs", "--listen", `127.0.0.1:${port}`, "--transport", "tcp", "--dir", dir, "--rtcp-interval", "0.5", ...flags], {
      stdout: "pipe",
      stderr: "pipe",
    });
    const reader = p.stdout.getReader();
    let out = "";
    while (!out.includes("listening") && !out.includes("cannot")) {
      const r = await reader.read();
      if (r.done) break;
      out += new TextDecoder().decode(r.value);
    }
    if (out.includes("listening")) {
      void (async () => {
        for (;;) if ((await reader.read()).done) break;
      })();
      cleanup.push(async () => {
        p.kill("SIGKILL");
        await p.exited;
      });
      return { p, port, dir };
    }
    if (tries > 4) throw new Error(`siprec srs did not start: ${out}`);
  }
}

/**
 * Packets' worth of audio each SRS holds per label: a finished recording's
 * report counts the packets; a killed SRS's holds what its WAVs hold (their
 * header sizes are kept true as they are written).
 */
function received(dirs: string[]): Map<string, number> {
  const per = new Map<string, number>();
  for (const dir of dirs) {
    for (const f of readdirSync(dir)) {
      const path = join(dir, f, "report.json");
      if (!existsSync(path)) continue;
      const report = JSON.parse(readFileSync(path, "utf8")) as { complete?: boolean; streams: { label: string; packets: number; wav: string }[] };
      for (const s of report.streams) {
        const held = report.complete === false ? Math.floor(wavMs(join(dir, f, s.wav)) / PTIME_MS) : s.packets;
        per.set(s.label, (per.get(s.label) ?? 0) + held);
      }
    }
  }
  return per;
}

function wavMs(path: string): number {
  const w = parseWav(new Uint8Array(readFileSync(path)));
  return w.ok ? w.value.durationMs : 0;
}

async function rig(o: { primaryFlags?: string[]; proxy?: boolean; recording?: string } = {}) {
  const fs = await FsEmulator.start();
  cleanup.push(() => fs.stop());
  const a = await srsBin("a", o.primaryFlags);
  const b = await srsBin("b");
  let proxy: TcpProxy | undefined;
  if (o.proxy === true) {
    proxy = TcpProxy.start(a.port);
    cleanup.push(() => proxy?.stop());
  }
  const dir = mkdtempSync(join(tmpdir(), "siprec-fm-daemon-"));
  const config = join(dir, "siprec.toml");
  const good = [
    "[freeswitch]",
    'host = "127.0.0.1"',
    `port = ${fs.port}`,
    'event_format = "plain"',
    "reconnect_initial_ms = 50",
    "reconnect_max_ms = 200",
    "[tap]",
    'address = "127.0.0.1"',
    "sip_port = 0",
    "answer_timeout_ms = 1500",
    "rtp_port_min = 43000",
    "rtp_port_max = 44999",
    'method = "legs"',
    "[[srs]]",
    'name = "a"',
    `uri = "sip:srs@127.0.0.1:${proxy?.port ?? a.port}"`,
    'transport = "tcp"',
    "priority = 100",
    "options_interval = 0",
    "[[srs]]",
    'name = "b"',
    `uri = "sip:srs@127.0.0.1:${b.port}"`,
    'transport = "tcp"',
    "priority = 200",
    "options_interval = 0",
    "[recording]",
    'rtp_address = "127.0.0.1"',
    "rtp_port_min = 45000",
    "rtp_port_max = 47999",
    o.recording ?? "",
    "[state]",
    `path = "${join(dir, "state.db")}"`,
    "[log]",
    'format = "json"',
  ].join("\n");
  writeFileSync(config, good);
  let stderr = "";
  const spawn = () => {
    const p = Bun.spawn([BIN, "daemon", "-c", config], { cwd: dir, env: { PATH: process.env["PATH"] ?? "/usr/bin" }, stdout: "pipe", stderr: "pipe" });
    void (async () => {
      for await (const c of p.stderr) stderr += new TextDecoder().decode(c);
    })();
    cleanup.push(async () => {
      p.kill("SIGKILL");
      await p.exited;
    });
    return p;
  };
  const fired = (kind: string) => fs.fired.filter((e) => e.get("Event-Subclass") === `siprec::${kind}`);
  const until = async (pred: () => boolean, ms: number, what: string) => {
    const end = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${stderr.split("\n").slice(-25).join("\n")}`);
      await Bun.sleep(20);
    }
  };
  return { fs, a, b, proxy, config, good, spawn, fired, until, log: () => stderr };
}

type Rig = Awaited<ReturnType<typeof rig>>;

/** What the measurement's edges cost: the first and last packets around the start/end events and the fault (about 300 ms seen). */
const EDGE_MS = 400;

/** Starts the call, waits for the recording, injects the fault 2 s in, ends the call `tailMs` later; fills in the matrix row. */
async function runCase(
  name: string,
  r: Rig,
  fault: () => Promise<void>,
  o: { tailMs?: number; expectRecovery?: boolean; srsUnwrittenMs?: number; beforeCall?: () => Promise<void>; primaryStopped?: boolean } = {},
) {
  r.spawn();
  await r.until(() => r.fs.commands.some((c) => c.startsWith("event plain ")), 8000, "the ESL subscription");
  await o.beforeCall?.();
  r.fs.playCallStart();
  await r.until(() => r.fired("started").length >= 1, 8000, "siprec::started");
  const startedAt = Date.now();
  await Bun.sleep(2000);
  await fault();
  await Bun.sleep(o.tailMs ?? 3000);
  const endedAt = Date.now();
  r.fs.playCallEnd();
  await r.until(() => r.fired("stopped").length >= 1, 8000, "siprec::stopped");
  await Bun.sleep(700);
  // A frozen SRS is not woken (its buffered packets would count as received): it is killed as it is.
  r.a.p.kill(o.primaryStopped === true ? "SIGKILL" : "SIGTERM");
  r.b.p.kill("SIGTERM");
  await Promise.all([r.a.p.exited, r.b.p.exited]);
  const expected = Math.round((endedAt - startedAt) / PTIME_MS);
  const got = received([r.a.dir, r.b.dir]);
  const lostMs = ["1", "2"].map((l) => Math.max(0, (expected - (got.get(l) ?? 0)) * PTIME_MS));
  const stopped = r.fired("stopped").at(-1)!;
  const reportedGapMs = Number(stopped.get("SIPREC-Gap-Ms") ?? 0);
  const unreportedMs = Math.max(...lostMs.map((l) => Math.max(0, l - reportedGapMs)));
  const interrupted = r
    .fired("failed")
    .map((e) => e.get("SIPREC-Interrupted"))
    .filter((x) => x !== undefined);
  const started = r.fired("started");
  const told = [interrupted.length > 0 ? `failed(${interrupted.join(",")})` : "", `started×${started.length}`, `stopped gap ${reportedGapMs}`]
    .filter((x) => x !== "")
    .join(", ");
  const recovered = o.expectRecovery === true ? (started.length >= 2 ? "yes" : "NO") : "n/a";
  matrix.push({ name, lostMs, reportedGapMs, unreportedMs, recovered, told });
  // Edges: the first and last packets around the events (up to EDGE_MS), plus what a killed SRS had not written.
  expect(unreportedMs).toBeLessThanOrEqual(EDGE_MS + (o.srsUnwrittenMs ?? 0));
  if (o.expectRecovery === true) expect(started.length).toBeGreaterThanOrEqual(2);
  return { interrupted, reportedGapMs, lostMs };
}

describe.skipIf(!RUN)("fault matrix", () => {
  test("SRS BYE mid-call: srs-bye reported, the backup takes the rest", async () => {
    const r = await rig({ primaryFlags: ["--bye-after", "2"] });
    const c = await runCase("SRS BYE mid-call", r, async () => {}, { expectRecovery: true });
    expect(c.interrupted).toEqual(["srs-bye"]);
    expect(c.reportedGapMs).toBeLessThan(1000);
  }, 60_000);

  test("SRS SIGKILL mid-call: the reset connection is noticed at once (transport-lost), the backup takes the rest", async () => {
    const r = await rig();
    const c = await runCase("SRS SIGKILL mid-call", r, async () => void r.a.p.kill("SIGKILL"), { expectRecovery: true, srsUnwrittenMs: UNWRITTEN_AT_KILL_MS });
    expect(c.interrupted).toEqual(["transport-lost"]);
  }, 60_000);

  test("SRS silent (SIGSTOP): its RTCP stops, rtcp-silence after 3 of its intervals, the backup takes the rest; the quiet time counts in the gap", async () => {
    const r = await rig();
    const c = await runCase("SRS silent (SIGSTOP)", r, async () => void r.a.p.kill("SIGSTOP"), {
      expectRecovery: true,
      primaryStopped: true,
      tailMs: 6000,
      srsUnwrittenMs: UNWRITTEN_AT_KILL_MS,
    });
    expect(c.interrupted).toEqual(["rtcp-silence"]);
    expect(c.reportedGapMs).toBeGreaterThan(2500);
  }, 60_000);

  test("SRS TCP reset (the SRS still up): one OPTIONS probe on a new connection, the recording goes on, nothing lost", async () => {
    const r = await rig({ proxy: true });
    const c = await runCase("SRS TCP reset", r, async () => r.proxy!.cut());
    expect(c.interrupted).toEqual([]);
    expect(r.log()).toContain("probing with OPTIONS");
  }, 60_000);

  test("ESL dropped 5 times in 3 s: media flows on, the stop still arrives, nothing lost", async () => {
    const r = await rig();
    const c = await runCase(
      "ESL dropped 5× in 3 s",
      r,
      async () => {
        for (let i = 0; i < 5; i++) {
          r.fs.dropEsl();
          await Bun.sleep(600);
        }
      },
      { tailMs: 1500 },
    );
    expect(c.interrupted).toEqual([]);
    expect(r.fs.connections).toBeGreaterThanOrEqual(6);
  }, 60_000);

  test("daemon SIGKILL + restart: the orphaned dialog ended, the call recorded again, the downtime reported as the gap", async () => {
    const r = await rig();
    let first: ReturnType<Rig["spawn"]> | undefined;
    const orig = r.spawn;
    const spawn = () => (first = orig());
    const rr = { ...r, spawn };
    const c = await runCase(
      "daemon SIGKILL + restart",
      rr,
      async () => {
        first!.kill("SIGKILL");
        await first!.exited;
        r.fs.callAlreadyUp();
        await Bun.sleep(300);
        orig();
      },
      { expectRecovery: true },
    );
    expect(c.reportedGapMs).toBeGreaterThan(200);
    expect(r.fired("started").at(-1)!.get("SIPREC-Reason")).toContain("after a daemon restart");
  }, 60_000);

  test("a call starting during the resync at startup (the channel list predates it): recorded, not stopped", async () => {
    const r = await rig();
    const c = await runCase("call during resync (startup)", r, async () => {}, { beforeCall: async () => r.fs.staleChannelLists(3), tailMs: 2500 });
    expect(r.fired("stopped").length).toBe(1);
    expect(c.lostMs.every((l) => l < 400)).toBe(true);
  }, 60_000);

  test("a call starting during the resync after a reconnect: recorded, not stopped", async () => {
    const r = await rig();
    const c = await runCase("call during resync (reconnect)", r, async () => {}, {
      beforeCall: async () => {
        const n = r.fs.connections;
        r.fs.staleChannelLists(3);
        r.fs.dropEsl();
        await r.until(() => r.fs.connections > n && r.fs.commands.filter((x) => x.startsWith("event plain ")).length >= 2, 5000, "the reconnect");
      },
      tailMs: 2500,
    });
    expect(c.interrupted).toEqual([]);
  }, 60_000);

  test("SIGHUP with a large bad config during 50 recordings: refused off the main thread, every recording whole", async () => {
    const r = await rig();
    const daemon = r.spawn();
    await r.until(() => r.fs.commands.some((c) => c.startsWith("event plain ")), 8000, "the ESL subscription");
    const calls = Array.from(
      { length: 50 },
      (_, i) => [`fa${String(i).padStart(6, "0")}-0000-4000-8000-000000000001`, `fb${String(i).padStart(6, "0")}-0000-4000-8000-000000000002`] as const,
    );
    for (const [a, b] of calls) r.fs.playCallStart(a, b);
    await r.until(() => r.fired("started").length === 50, 20_000, "50 recordings");
    const startedAt = Date.now();
    await Bun.sleep(1000);
    let bad = r.good;
    for (let i = 0; i < 3000; i++) bad += `\n[[srs]]\nname = "s${i}"\nuri = "sip:srs@127.0.0.1:5070"\ntransprt = "tcp"\npriority = -1`;
    writeFileSync(r.config, bad);
    daemon.kill("SIGHUP");
    await r.until(() => r.log().includes("config reload refused"), 20_000, "the refusal");
    await Bun.sleep(1500);
    const endedAt = Date.now();
    for (const [a, b] of calls) r.fs.playCallEnd(a, b);
    await r.until(() => r.fired("stopped").length === 50, 20_000, "50 stops");
    await Bun.sleep(700);
    r.a.p.kill("SIGTERM");
    await r.a.p.exited;
    const reports = readdirSync(r.a.dir).map((f) => JSON.parse(readFileSync(join(r.a.dir, f, "report.json"), "utf8")) as { streams: { packets: number }[] });
    expect(reports.length).toBe(50);
    // Each recording holds at least the span from the last start to the first end.
    const least = Math.round((endedAt - startedAt) / PTIME_MS);
    const short = reports.flatMap((x) => x.streams).filter((s) => s.packets < least);
    expect(r.fired("failed")).toEqual([]);
    const worst = Math.max(0, ...reports.flatMap((x) => x.streams).map((s) => (least - s.packets) * PTIME_MS));
    matrix.push({
      name: "SIGHUP bad config, 50 recordings",
      lostMs: [worst],
      reportedGapMs: 0,
      unreportedMs: worst,
      recovered: "n/a",
      told: "config reload refused (log)",
    });
    expect(short).toEqual([]);
  }, 90_000);
});
