/**
 * The product as an operator runs it, around a real FreeSWITCH: the
 * compiled `siprec daemon` (its own config in a temporary folder) and the
 * compiled `siprec srs`, both on loopback. Scenarios read what the SRS
 * wrote (report.json, label-N.wav, metadata-N.xml), what FreeSWITCH was
 * told (CUSTOM siprec::* events, channel variables) and what it has left.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../sip-stack.ts";
import type { RealFreeswitch } from "./instance.ts";

import { BIN, ensureBinary } from "../siprec-bin.ts";

export { BIN, ensureBinary };

export interface SrsReport {
  readonly callId: string;
  readonly folder: string;
  readonly endedBy: "client" | "srs";
  readonly metadataVersions: number;
  readonly streams: readonly {
    label: string;
    codec: string;
    sampleRate: number;
    wav: string;
    packets: number;
    payloadBytes: number;
    dtmfPackets: number;
    whilePaused: number;
    durationMs: number;
  }[];
  readonly pauses: readonly { label?: string; fromMs: number; toMs: number }[];
  readonly events: readonly { atMs: number; what: string }[];
}

interface Proc {
  proc: ReturnType<typeof Bun.spawn>;
  out: string;
}

function spawnLogged(cmd: string[], cwd: string): Proc {
  const p: Proc = { proc: Bun.spawn(cmd, { cwd, env: { PATH: process.env["PATH"] ?? "/usr/bin" }, stdout: "pipe", stderr: "pipe" }), out: "" };
  for (const stream of [p.proc.stdout, p.proc.stderr] as ReadableStream<Uint8Array>[]) {
    void (async () => {
      for await (const chunk of stream) p.out += new TextDecoder().decode(chunk);
    })();
  }
  return p;
}

export interface RigOptions {
  /** Lines added under [recording]. */
  readonly recording?: readonly string[];
  /** Whole sections appended to the config (e.g. more [[trigger]]s). */
  readonly extra?: readonly string[];
  /** Replaces the default event trigger. */
  readonly triggers?: readonly string[];
  /** Extra flags for `siprec srs`. */
  readonly srsFlags?: readonly string[];
  /** The ESL password the daemon uses (default: FreeSWITCH's). */
  readonly password?: string;
  /** The ESL port the daemon connects to (default: FreeSWITCH's; e.g. a TcpProxy in between). */
  readonly eslPort?: number;
  /** [tap] profile (default: internal). */
  readonly tapProfile?: string;
  /** [tap] method (default: legs); media-bug pipes go in the rig's folder. */
  readonly tapMethod?: "legs" | "media-bug";
  /** Don't wait for the daemon to connect (it is expected to fail). */
  readonly noWait?: boolean;
}

export class DaemonRig {
  #daemon: Proc | undefined;
  #srs: Proc | undefined;
  readonly config: string;
  readonly recordings: string;
  controlPort = 0;
  srsPort = 0;

  private constructor(
    readonly fs: RealFreeswitch,
    readonly dir: string,
    readonly o: RigOptions,
  ) {
    this.config = join(dir, "siprec.toml");
    this.recordings = join(dir, "recordings");
  }

  static async start(fs: RealFreeswitch, o: RigOptions = {}): Promise<DaemonRig> {
    ensureBinary();
    const rig = new DaemonRig(fs, mkdtempSync(join(tmpdir(), "siprec-real-")), o);
    await rig.startSrs();
    rig.controlPort = await freePort();
    rig.writeConfig();
    rig.startDaemon();
    if (o.noWait === true) return rig;
    await rig.until(() => rig.daemonLog.includes('"msg":"connected to FreeSWITCH"'), 10_000, "the daemon's ESL connection");
    return rig;
  }

  writeConfig(): void {
    const o = this.o;
    writeFileSync(
      this.config,
      [
        "[freeswitch]",
        'host = "127.0.0.1"',
        `port = ${o.eslPort ?? this.fs.ports.esl}`,
        `password = "${o.password ?? this.fs.password}"`,
        "reconnect_initial_ms = 100",
        "reconnect_max_ms = 1000",
        "[tap]",
        'address = "127.0.0.1"',
        "sip_port = 0",
        `profile = "${o.tapProfile ?? "internal"}"`,
        "answer_timeout_ms = 3000",
        "rtp_port_min = 36000",
        "rtp_port_max = 37999",
        `method = "${o.tapMethod ?? "legs"}"`,
        `pipe_dir = "${join(this.dir, "tap")}"`,
        "[[srs]]",
        'name = "local"',
        `uri = "sip:srs@127.0.0.1:${this.srsPort}"`,
        'transport = "tcp"',
        'group = "default"',
        "options_interval = 0",
        "[recording]",
        'rtp_address = "127.0.0.1"',
        "rtp_port_min = 38000",
        "rtp_port_max = 39999",
        ...(o.recording ?? []),
        ...(o.triggers ?? ["[[trigger]]", 'kind = "event"', 'srs_groups = ["default"]']),
        "[control]",
        "enabled = true",
        'address = "127.0.0.1"',
        `port = ${this.controlPort}`,
        "[state]",
        `path = "${join(this.dir, "state.db")}"`,
        "[log]",
        'level = "debug"',
        'format = "json"',
        ...(o.extra ?? []),
      ].join("\n"),
    );
  }

  async startSrs(port = 0): Promise<void> {
    this.#srs = spawnLogged(
      [BIN, "srs", "--listen", `127.0.0.1:${port}`, "--transport", "tcp", "--dir", this.recordings, ...(this.o.srsFlags ?? [])],
      this.dir,
    );
    await this.until(() => /listening on tcp 127\.0\.0\.1:(\d+)/.test(this.#srs?.out ?? ""), 10_000, "siprec srs to listen");
    this.srsPort = Number(/listening on tcp 127\.0\.0\.1:(\d+)/.exec(this.#srs?.out ?? "")?.[1]);
  }

  async stopSrs(signal: "SIGTERM" | "SIGKILL" = "SIGTERM"): Promise<void> {
    this.#srs?.proc.kill(signal);
    await this.#srs?.proc.exited;
  }

  startDaemon(): void {
    this.#daemon = spawnLogged([BIN, "daemon", "-c", this.config], this.dir);
  }

  get daemonPid(): number | undefined {
    return this.#daemon?.proc.pid;
  }

  get daemonLog(): string {
    return this.#daemon?.out ?? "";
  }

  get srsLog(): string {
    return this.#srs?.out ?? "";
  }

  /** Stops the daemon (SIGTERM: it drains; SIGKILL: a crash) and returns its exit code. */
  async stopDaemon(signal: "SIGTERM" | "SIGKILL" = "SIGTERM"): Promise<number> {
    const d = this.#daemon;
    if (d === undefined) return 0;
    d.proc.kill(signal);
    return d.proc.exited;
  }

  /** The daemon's exit, for scenarios where it ends by itself. */
  daemonExited(): Promise<number> {
    return this.#daemon?.proc.exited ?? Promise.resolve(0);
  }

  /** Every finished recording the SRS wrote, oldest first. */
  /** The SRS's finished recordings, oldest first. */
  reports(): SrsReport[] {
    if (!existsSync(this.recordings)) return [];
    return readdirSync(this.recordings)
      .map((d) => join(this.recordings, d, "report.json"))
      .filter((p) => existsSync(p))
      .flatMap((p) => {
        try {
          // The srs writes its report while recording ("complete": false): only finished recordings count here.
          const r = JSON.parse(readFileSync(p, "utf8")) as SrsReport & { complete?: boolean };
          return r.complete === false ? [] : [r];
        } catch {
          return []; // still being written
        }
      })
      .sort((a, b) => (a.folder < b.folder ? -1 : 1));
  }

  wav(r: SrsReport, label: string): string {
    const s = r.streams.find((x) => x.label === label);
    if (s === undefined) throw new Error(`no stream labelled ${label} in ${r.folder}`);
    return join(r.folder, s.wav);
  }

  metadata(r: SrsReport): string[] {
    return Array.from({ length: r.metadataVersions }, (_, i) => readFileSync(join(r.folder, `metadata-${i + 1}.xml`), "utf8"));
  }

  /** The daemon's JSON log lines with `msg`. */
  logLines(msg: string): Record<string, unknown>[] {
    return this.daemonLog
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l["msg"] === msg);
  }

  async control(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    const r = await fetch(`http://127.0.0.1:${this.controlPort}${path}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
    });
    const text = await r.text();
    return { status: r.status, json: text === "" ? undefined : JSON.parse(text) };
  }

  async until(pred: () => boolean, ms: number, what: string): Promise<void> {
    const end = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > end) {
        // The whole logs stay beside the run for a look afterwards.
        const full = join(this.dir, "timeout-logs.txt");
        writeFileSync(full, `--- daemon ---\n${this.daemonLog}\n--- srs ---\n${this.srsLog}\n`);
        throw new Error(
          `timed out waiting for ${what} (full logs: ${full})\n--- daemon ---\n${this.daemonLog.split("\n").slice(-25).join("\n")}\n--- srs ---\n${this.srsLog.split("\n").slice(-10).join("\n")}\n--- FreeSWITCH ---\n${this.fs.logTail(15)}`,
        );
      }
      await Bun.sleep(25);
    }
  }

  async close(): Promise<void> {
    await this.stopDaemon("SIGTERM");
    await Promise.race([this.#daemon?.proc.exited, Bun.sleep(5000)]);
    this.#daemon?.proc.kill("SIGKILL");
    await this.stopSrs("SIGTERM");
  }
}
