/**
 * The compiled `siprec daemon` as systemd runs it: SIGKILL mid-recording
 * and a restart (orphaned SRS dialog ended, old tap legs hung up, the call
 * recorded again in the same metadata group), and a SIGTERM drain.
 */
import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import { BIN, ensureBinary } from "../support/siprec-bin.ts";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSrs } from "../../src/srs/open-srs.ts";
import { systemClock } from "../../src/platform/system-clock.ts";
import { cryptoIds } from "../../src/platform/crypto-ids.ts";
import { loadLibxml } from "../../src/siprec/metadata/libxml.ts";
import { FsEmulator } from "../support/fs-emulator.ts";

beforeAll(() => ensureBinary());

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function until(pred: () => boolean, ms: number, what: string, log: () => string): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${log()}`);
    await Bun.sleep(20);
  }
}

async function setup() {
  const dir = mkdtempSync(join(tmpdir(), "siprec-bin-daemon-"));
  const fs = await FsEmulator.start();
  const srs = await openSrs({
    host: "127.0.0.1",
    port: 0,
    transports: ["tcp"],
    dir: join(dir, "recordings"),
    lenient: false,
    clock: systemClock,
    ids: cryptoIds,
    lib: await loadLibxml(),
  });
  cleanup.push(async () => {
    await srs.stop();
    fs.stop();
  });
  const config = join(dir, "siprec.toml");
  writeFileSync(
    config,
    [
      "[freeswitch]",
      'host = "127.0.0.1"',
      `port = ${fs.port}`,
      'event_format = "plain"',
      "reconnect_initial_ms = 50",
      "[tap]",
      'address = "127.0.0.1"',
      "sip_port = 0",
      "answer_timeout_ms = 1500",
      "rtp_port_min = 42000",
      "rtp_port_max = 42999",
      'method = "legs"',
      "[[srs]]",
      'name = "local"',
      `uri = "sip:srs@127.0.0.1:${srs.portOf("tcp")}"`,
      'transport = "tcp"',
      "options_interval = 0",
      "[recording]",
      'rtp_address = "127.0.0.1"',
      "[state]",
      `path = "${join(dir, "state.db")}"`,
      "[log]",
      'format = "json"',
    ].join("\n"),
  );
  let stderr = "";
  const spawn = () => {
    const p = Bun.spawn([BIN, "daemon", "-c", config], { cwd: dir, env: { PATH: process.env["PATH"] ?? "/usr/bin" }, stdout: "pipe", stderr: "pipe" });
    void (async () => {
      for await (const chunk of p.stderr) stderr += new TextDecoder().decode(chunk);
    })();
    cleanup.push(async () => {
      p.kill("SIGKILL");
      await p.exited;
    });
    return p;
  };
  return { fs, srs, dir, spawn, log: () => stderr.split("\n").slice(-20).join("\n") };
}

const groupId = (folder: string): string => {
  // The complete snapshot (metadata-1); later files are partial updates (the stop-time one among them).
  const xml = existsSync(join(folder, "metadata-1.xml")) ? readFileSync(join(folder, "metadata-1.xml"), "utf8") : "";
  return /<group group_id="([^"]+)"/.exec(xml)?.[1] ?? "";
};

describe("compiled siprec daemon", () => {
  test("SIGKILL mid-recording, then restart: orphaned SRS dialog gets its BYE, old tap legs are killed, the call is recorded again in the same group", async () => {
    const { fs, srs, spawn, log } = await setup();
    const first = spawn();
    await until(() => fs.commands.some((c) => c.startsWith("event plain ")), 8000, "the first daemon's subscription", log);
    fs.playCallStart();
    await until(() => fs.fired.some((e) => e.get("Event-Subclass") === "siprec::started"), 8000, "siprec::started", log);
    await Bun.sleep(500);
    first.kill("SIGKILL");
    await first.exited;
    fs.callAlreadyUp();
    const oldLegs = fs.legs.legs.map((l) => l.plan.legUuid);
    // The SRS still waits on the dead daemon's dialog (the report, if any, says why it ended).
    expect(srs.finished.map((r) => [r.endedBy, r.events])).toEqual([]);

    const second = spawn();
    await until(() => srs.finished.length === 1, 8000, "the orphaned dialog's BYE", log);
    expect(srs.finished[0]!.endedBy).toBe("client");
    await until(() => fs.fired.filter((e) => e.get("Event-Subclass") === "siprec::started").length === 2, 8000, "the call recorded again", log);
    for (const leg of oldLegs) expect(fs.commands).toContain(`api uuid_kill ${leg}`);
    await Bun.sleep(500);
    fs.playCallEnd();
    await until(() => srs.finished.length === 2, 8000, "the second recording to end", log);
    const [a, b] = srs.finished.map((r) => r.folder);
    expect(groupId(a!)).not.toBe("");
    expect(groupId(b!)).toBe(groupId(a!));
    second.kill("SIGTERM");
    expect(await second.exited).toBe(0);
  }, 40_000);

  test("SIGTERM drains: BYE to the SRS, exit 0 within the bound", async () => {
    const { fs, srs, spawn, log } = await setup();
    const p = spawn();
    await until(() => fs.commands.some((c) => c.startsWith("event plain ")), 8000, "the subscription", log);
    fs.playCallStart();
    await until(() => fs.fired.some((e) => e.get("Event-Subclass") === "siprec::started"), 8000, "siprec::started", log);
    await Bun.sleep(300);
    const t0 = Date.now();
    p.kill("SIGTERM");
    expect(await p.exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5000);
    await until(() => srs.finished.length === 1, 3000, "the BYE", log);
    expect(srs.finished[0]!.endedBy).toBe("client");
  }, 30_000);
});
