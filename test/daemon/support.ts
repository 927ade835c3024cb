/** Runs `siprec daemon` in process against the FreeSWITCH emulator and the reference SRS. */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "../../src/cli/run.ts";
import type { Io } from "../../src/cli/io.ts";
import { nodeConfigFs } from "../../src/config/load.ts";
import { systemClock } from "../../src/platform/system-clock.ts";
import { cryptoIds } from "../../src/platform/crypto-ids.ts";
import type { SrsServer } from "../../src/srs/server.ts";
import { openSrs } from "../../src/srs/open-srs.ts";
import { loadLibxml } from "../../src/siprec/metadata/libxml.ts";
import { parseWav } from "../../src/media/wav.ts";
import { dominantFrequency } from "../../src/media/tone.ts";
import { FsEmulator, type FsEmulatorOptions } from "../support/fs-emulator.ts";

export interface DaemonRig {
  readonly fs: FsEmulator;
  readonly srs: SrsServer;
  readonly dir: string;
  readonly log: string[];
  readonly exit: Promise<number>;
  stop(signal?: string): void;
  until(pred: () => boolean, ms?: number, what?: string): Promise<void>;
  fired(kind: string): Map<string, string>[];
  readonly config: string;
  /** What SIGHUP does. */
  reload(): void;
  /** The control API's base URL, once the daemon logged it. */
  controlUrl(): string | undefined;
  close(): Promise<void>;
}

/** `tls`: the SRS listens on TLS only with this certificate, and the [[srs]] trusts `caPem` through tls_ca_file. */
export async function startRig(
  o: FsEmulatorOptions & {
    recording?: string;
    /** Lines added under [tap] (e.g. method = "media-bug"). */
    tap?: string;
    extra?: string;
    srsOptions?: { reject?: number; rtcpIntervalMs?: number; byeAfterMs?: number; stopRtcpAfterMs?: number };
    srsUri?: string;
    srsUriFor?: (srsPort: number) => string;
    srsHost?: string;
    tls?: { cert: string; key: string; caPem: string };
  } = {},
): Promise<DaemonRig> {
  const dir = mkdtempSync(join(tmpdir(), "siprec-daemon-"));
  const fs = await FsEmulator.start(o);
  const transport = o.tls === undefined ? "tcp" : "tls";
  const srsHost = o.srsHost ?? "127.0.0.1";
  const srs = await openSrs({
    host: srsHost,
    port: 0,
    transports: [transport],
    ...(o.tls === undefined ? {} : { tls: { cert: o.tls.cert, key: o.tls.key } }),
    dir: join(dir, "recordings"),
    lenient: false,
    ...(o.srsOptions ?? {}),
    clock: systemClock,
    ids: cryptoIds,
    lib: await loadLibxml(),
  });
  if (o.tls !== undefined) writeFileSync(join(dir, "srs-ca.pem"), o.tls.caPem);
  const config = join(dir, "siprec.toml");
  writeFileSync(
    config,
    [
      "[freeswitch]",
      'host = "127.0.0.1"',
      `port = ${fs.port}`,
      'password = "ClueCon"',
      `event_format = "${o.format ?? "plain"}"`,
      "reconnect_initial_ms = 50",
      "reconnect_max_ms = 200",
      "[tap]",
      'address = "127.0.0.1"',
      "sip_port = 0",
      "answer_timeout_ms = 1500",
      "rtp_port_min = 41000",
      "rtp_port_max = 41999",
      `pipe_dir = "${join(dir, "tap")}"`,
      // The emulator suites test tap legs unless they ask for the media-bug tap (its own file).
      o.tap ?? 'method = "legs"',
      "[[srs]]",
      'name = "local"',
      `uri = "${o.srsUri ?? o.srsUriFor?.(srs.portOf(transport) as number) ?? `sip:srs@${srsHost}:${srs.portOf(transport)}`}"`,
      `transport = "${transport}"`,
      "options_interval = 0",
      ...(o.tls === undefined ? [] : [`tls_ca_file = "${join(dir, "srs-ca.pem")}"`]),
      "[recording]",
      'rtp_address = "127.0.0.1"',
      o.recording ?? "",
      "[state]",
      `path = "${join(dir, "state.db")}"`,
      "[log]",
      'level = "info"',
      'format = "json"',
      o.extra ?? "",
    ].join("\n"),
  );
  const log: string[] = [];
  let signal: (s: string) => void = () => {};
  let reload: () => void = () => {};
  const stopped = new Promise<string>((r) => (signal = r));
  const io: Io = {
    out: (t) => void log.push(t),
    err: (t) => void log.push(t),
    status: () => {},
    env: {},
    stdoutIsTTY: false,
    stderrIsTTY: false,
    fs: nodeConfigFs,
    clock: systemClock,
    readStdin: async () => ({ bytes: new Uint8Array(0), truncated: false }),
    stopSignal: () => stopped,
    onReload: (fn) => {
      reload = fn;
    },
  };
  const exit = run(["daemon", "-c", config], io);
  const until = async (pred: () => boolean, ms = 8000, what = "condition"): Promise<void> => {
    const end = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > end)
        throw new Error(
          `timed out waiting for ${what}; ESL connections ${fs.connections}, commands ${JSON.stringify(fs.commands.slice(-5))}; daemon log tail:\n${log.slice(-15).join("\n")}`,
        );
      await Bun.sleep(10);
    }
  };
  return {
    fs,
    srs,
    dir,
    log,
    exit,
    stop: (s = "SIGTERM") => signal(s),
    config,
    reload: () => reload(),
    until,
    fired: (kind) => fs.fired.filter((e) => e.get("Event-Subclass") === `siprec::${kind}`),
    controlUrl: () => log.map((l) => /"url":"(http:[^"]+)"/.exec(l)?.[1]).find((u) => u !== undefined),
    close: async () => {
      signal("SIGTERM");
      await exit;
      await srs.stop();
      fs.stop();
    },
  };
}

/** The dominant tone (of 440/880 Hz) in a recorded WAV, and its length. */
export function wavTone(path: string): { hz: number; ms: number } {
  const w = parseWav(new Uint8Array(readFileSync(path)));
  if (!w.ok) throw new Error(w.error.message);
  const s = w.value.samples8k;
  const voiced = s.subarray(Math.floor(s.length / 4), Math.floor(s.length / 4) + 1600);
  return { hz: dominantFrequency(voiced, 8000, [440, 880]), ms: w.value.durationMs };
}

/** The daemon has subscribed to events (its ESL session is up). */
export const subscribed = (r: DaemonRig): boolean => r.fs.commands.some((c) => /^event (plain|json) /.test(c));

/** Waits for the ESL subscription, starts the fixture call and waits for siprec::started. */
export async function callRecorded(r: DaemonRig, what = "siprec::started"): Promise<void> {
  await r.until(() => subscribed(r), 5000, "the ESL subscription");
  r.fs.playCallStart();
  await r.until(() => r.fired("started").length === 1, 8000, what);
}
