/**
 * A real FreeSWITCH for the daemon's tests. It takes an existing install
 * (the way an operator's machine has one: $SIPREC_FREESWITCH, else
 * /usr/local/freeswitch or /opt/freeswitch), writes the suite's own
 * configuration (freeswitch.xml beside this file) into a temporary folder,
 * and starts it there with every writable path in that folder, on free
 * loopback ports. `stop()` (and process exit) always ends what was started.
 * Without an install, `findFreeswitch()` says why, and the real-FreeSWITCH
 * tests print that one line and skip.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../sip-stack.ts";
import { EslProbe } from "./esl-probe.ts";

export interface FreeswitchInstall {
  readonly prefix: string;
  readonly bin: string;
  readonly modDir: string;
  readonly version: string;
}

/** Modules freeswitch.xml loads; the harness refuses an install without them, naming the missing ones. */
export const REQUIRED_MODULES = [
  "mod_console",
  "mod_logfile",
  "mod_event_socket",
  "mod_sofia",
  "mod_loopback",
  "mod_commands",
  "mod_dptools",
  "mod_db",
  "mod_hash",
  "mod_dialplan_xml",
  "mod_spandsp",
  "mod_opus",
  "mod_sndfile",
  "mod_native_file",
  "mod_tone_stream",
];

const PREFIXES = ["/usr/local/freeswitch", "/opt/freeswitch"];

let said = false;

/** findFreeswitch() for a test file: the install, or undefined after printing (once per run) why the tests skip. */
export function freeswitchOrSkip(): FreeswitchInstall | undefined {
  const found = findFreeswitch();
  if (!("skip" in found)) return found;
  if (!said) console.log(found.skip);
  said = true;
  return undefined;
}

/** The install to test against, or the one-line reason there is none. */
export function findFreeswitch(env: Record<string, string | undefined> = process.env): FreeswitchInstall | { readonly skip: string } {
  const given = env["SIPREC_FREESWITCH"];
  const candidates = given !== undefined && given !== "" ? [given] : PREFIXES;
  for (const prefix of candidates) {
    const bin = join(prefix, "bin", "freeswitch");
    if (!existsSync(bin)) continue;
    const modDir = [join(prefix, "lib", "freeswitch", "mod"), join(prefix, "mod")].find((d) => existsSync(join(d, "mod_sofia.so")));
    if (modDir === undefined) return { skip: `real-FreeSWITCH tests skipped: ${prefix} has no mod_sofia.so (lib/freeswitch/mod)` };
    const missing = REQUIRED_MODULES.filter((m) => !existsSync(join(modDir, `${m}.so`)));
    if (missing.length > 0) return { skip: `real-FreeSWITCH tests skipped: ${prefix} lacks ${missing.join(", ")}` };
    const v = Bun.spawnSync([bin, "-version"], { stdout: "pipe", stderr: "pipe" });
    const version = /FreeSWITCH version: (\S+)/.exec(v.stdout.toString() + v.stderr.toString())?.[1] ?? "unknown";
    if (!version.startsWith("1.10.")) return { skip: `real-FreeSWITCH tests skipped: ${bin} is version ${version}, the suite needs 1.10` };
    return { prefix, bin, modDir, version };
  }
  return { skip: `real-FreeSWITCH tests skipped: no FreeSWITCH install (set SIPREC_FREESWITCH to its prefix; looked in ${candidates.join(", ")})` };
}

export interface FreeswitchPorts {
  readonly esl: number;
  readonly internal: number;
  readonly external: number;
  readonly rtpMin: number;
  readonly rtpMax: number;
}

const live = new Set<ReturnType<typeof Bun.spawn>>();
process.on("exit", () => {
  for (const p of live) p.kill("SIGKILL");
});

let rtpWindow = 0;

const CERT_CACHE = join(tmpdir(), "siprec-freeswitch-test-certs");
const CERTS = ["dtls-srtp.pem", "wss.pem"];

function cacheCerts(from: string): void {
  mkdirSync(CERT_CACHE, { recursive: true, mode: 0o700 });
  for (const c of CERTS) if (existsSync(join(from, c))) copyFileSync(join(from, c), join(CERT_CACHE, c));
}

export class RealFreeswitch {
  readonly password = "ClueCon-test";
  #proc: ReturnType<typeof Bun.spawn>;

  private constructor(
    readonly install: FreeswitchInstall,
    readonly dir: string,
    readonly ports: FreeswitchPorts,
    proc: ReturnType<typeof Bun.spawn>,
    readonly esl: EslProbe,
  ) {
    this.#proc = proc;
  }

  /** `same`: start again on a stopped instance's ports (a FreeSWITCH restart), in a new folder. */
  static async start(install: FreeswitchInstall, same?: FreeswitchPorts): Promise<RealFreeswitch> {
    const dir = mkdtempSync(join(tmpdir(), "siprec-fs-"));
    // FreeSWITCH hands out RTP ports from its own range: a window of 1,000 below the kernel's
    // ephemeral range (32768+, where freePort() finds SIP/ESL ports) and clear of the daemon's tests.
    const rtpMin = 10_000 + ((process.pid + rtpWindow++) % 8) * 1000;
    const ports: FreeswitchPorts = same ?? { esl: await freePort(), internal: await freePort(), external: await freePort(), rtpMin, rtpMax: rtpMin + 998 };
    const folders = ["conf", "log", "db", "run", "temp", "storage", "cache", "recordings", "sounds", "certs", "scripts"];
    for (const f of folders) mkdirSync(join(dir, f));
    const template = readFileSync(new URL("./freeswitch.xml", import.meta.url), "utf8");
    const fill: Record<string, string> = {
      ESL_PORT: String(ports.esl),
      ESL_PASSWORD: "ClueCon-test",
      INTERNAL_PORT: String(ports.internal),
      EXTERNAL_PORT: String(ports.external),
      RTP_MIN: String(ports.rtpMin),
      RTP_MAX: String(ports.rtpMax),
      LOG_DIR: join(dir, "log"),
    };
    writeFileSync(
      join(dir, "conf", "freeswitch.xml"),
      template.replace(/@([A-Z_]+)@/g, (m, k: string) => fill[k] ?? m),
    );
    const args = [install.bin, "-nc", "-nonat", "-nf", "-mod", install.modDir, ...folders.flatMap((f) => [`-${f}`, join(dir, f)])];
    // FreeSWITCH makes two 4096-bit RSA keys (DTLS, WSS) at its first start in a folder: ~6 s. One
    // start per machine makes them; later instances copy them (test keys, never used for real traffic).
    const cached = CERTS.filter((c) => existsSync(join(CERT_CACHE, c)));
    if (cached.length === CERTS.length) for (const c of CERTS) copyFileSync(join(CERT_CACHE, c), join(dir, "certs", c));
    const proc = Bun.spawn(args, { cwd: dir, stdout: "ignore", stderr: Bun.file(join(dir, "log", "stderr.txt")) });
    live.add(proc);
    const end = Date.now() + 30_000;
    for (;;) {
      try {
        const esl = await EslProbe.connect(ports.esl, "ClueCon-test");
        if ((await esl.api("status")).includes("is ready")) {
          const sofia = await esl.api("sofia status");
          if (sofia.includes("internal") && sofia.includes("external")) {
            if (cached.length < CERTS.length) cacheCerts(join(dir, "certs"));
            return new RealFreeswitch(install, dir, ports, proc, esl);
          }
        }
        esl.close();
      } catch {
        // not listening yet
      }
      if (proc.exitCode !== null || Date.now() > end) {
        proc.kill("SIGKILL");
        live.delete(proc);
        throw new Error(`FreeSWITCH did not come up (exit ${proc.exitCode}); log tail:\n${tail(join(dir, "log", "freeswitch.log"))}`);
      }
      await Bun.sleep(200);
    }
  }

  get pid(): number {
    return this.#proc.pid;
  }

  /** FreeSWITCH's own log, last lines. */
  logTail(lines = 30): string {
    return tail(join(this.dir, "log", "freeswitch.log"), lines);
  }

  /** A new channel uuid FreeSWITCH accepts as origination_uuid. */
  static uuid(): string {
    return crypto.randomUUID();
  }

  /**
   * A call through FreeSWITCH's two profiles: the phone leg (`phoneUuid`, from
   * the internal profile) calls `dest` on the external profile and plays
   * `toneHz`; the inbound leg there runs `dest` in the dialplan. Returns the
   * inbound leg's uuid: the call's A-leg, as when a phone calls in.
   */
  /** `callerNumber`: the phone's caller id (the recorded party's AOR in the metadata, so a bench can tell calls apart). */
  async call(dest: string, o: { toneHz?: number; codec?: string; phoneUuid?: string; callerNumber?: string } = {}): Promise<{ phone: string; aLeg: string }> {
    const phone = o.phoneUuid ?? RealFreeswitch.uuid();
    // The phone runs the dialplan's tone (or park) extension once answered: `&playback(...)` in an originate plays its tone once, not in a loop.
    const app = o.toneHz === undefined ? "park XML default" : `tone-${o.toneHz} XML default`;
    const r = await this.esl.api(
      `originate {origination_uuid=${phone},absolute_codec_string=${o.codec ?? "PCMU"},ignore_early_media=true${o.callerNumber === undefined ? "" : `,origination_caller_id_number=${o.callerNumber}`}}sofia/internal/${dest}@127.0.0.1:${this.ports.external} ${app}`,
    );
    if (!r.startsWith("+OK")) throw new Error(`originate ${dest}: ${r.trim()}\n${this.logTail()}`);
    const callId = (await this.esl.api(`uuid_getvar ${phone} sip_call_id`)).trim();
    return { phone, aLeg: await this.legWith(callId, phone) };
  }

  /** The other channel carrying SIP Call-ID `callId` (the inbound side of a loop call). */
  async legWith(callId: string, not: string): Promise<string> {
    for (let i = 0; i < 50; i++) {
      const rows = (JSON.parse(await this.esl.api("show channels as json")) as { rows?: { uuid: string }[] }).rows ?? [];
      for (const row of rows) {
        if (row.uuid === not) continue;
        if ((await this.esl.api(`uuid_getvar ${row.uuid} sip_call_id`)).trim() === callId) return row.uuid;
      }
      await Bun.sleep(50);
    }
    throw new Error(`no second leg with Call-ID ${callId}`);
  }

  /** Channels FreeSWITCH has now (tap legs included). */
  async channels(): Promise<{ uuid: string; name: string; direction: string; dest: string }[]> {
    const rows = (JSON.parse(await this.esl.api("show channels as json")) as { rows?: Record<string, string>[] }).rows ?? [];
    return rows.map((r) => ({ uuid: r["uuid"] ?? "", name: r["name"] ?? "", direction: r["direction"] ?? "", dest: r["dest"] ?? "" }));
  }

  async getVar(uuid: string, name: string): Promise<string> {
    return (await this.esl.api(`uuid_getvar ${uuid} ${name}`)).trim();
  }

  /** Ends every call, then FreeSWITCH itself (SIGKILL when it does not go within 10 s). */
  async stop(): Promise<void> {
    if (!live.has(this.#proc)) return;
    try {
      await Promise.race([this.esl.api("hupall NORMAL_CLEARING"), Bun.sleep(2000)]);
      this.esl.close();
    } catch {
      // already gone
    }
    this.#proc.kill("SIGTERM");
    await Promise.race([this.#proc.exited, Bun.sleep(10_000)]);
    if (this.#proc.exitCode === null) this.#proc.kill("SIGKILL");
    await this.#proc.exited;
    live.delete(this.#proc);
  }

  /** Kills FreeSWITCH at once (a crash): every call dies with it. */
  async kill(): Promise<void> {
    this.#proc.kill("SIGKILL");
    await this.#proc.exited;
    live.delete(this.#proc);
  }
}

function tail(path: string, lines = 30): string {
  return existsSync(path) ? readFileSync(path, "utf8").split("\n").slice(-lines).join("\n") : "(no log)";
}
