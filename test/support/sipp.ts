/** Runs SIPp (Debian package sip-tester) against our stack on 127.0.0.1. */
import { mkdtempSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const SCENARIOS = new URL("../integration/sipp/", import.meta.url).pathname;

export interface SippRun {
  readonly exited: Promise<{ code: number; errors: string }>;
  kill(): void;
}

export interface SippOptions {
  readonly scenario: string;
  readonly port: number;
  readonly transport: "udp" | "tcp";
  /** For a UAC scenario: where to call. */
  readonly remote?: string;
  readonly timeoutS?: number;
  /** SIPp's [media_port] (-mp); 0 lets it choose. */
  readonly mediaPort?: number;
}

export function sipp(o: SippOptions): SippRun {
  const dir = mkdtempSync(join(tmpdir(), "siprec-sipp-"));
  const errorFile = join(dir, "errors.log");
  const args = [
    "sipp",
    "-sf",
    join(SCENARIOS, o.scenario),
    "-i",
    "127.0.0.1",
    "-p",
    String(o.port),
    "-m",
    "1",
    "-t",
    o.transport === "udp" ? "u1" : "t1",
    "-nostdin",
    "-timeout",
    `${o.timeoutS ?? 20}s`,
    "-timeout_error",
    "-trace_err",
    "-error_file",
    errorFile,
    "-mp",
    String(o.mediaPort ?? 0),
  ];
  if (o.remote !== undefined) args.push(o.remote);
  const proc = Bun.spawn(args, { cwd: dir, stdout: "ignore", stderr: "pipe" });
  return {
    exited: proc.exited.then(async (code) => ({
      code,
      errors: `${await new Response(proc.stderr).text()}${existsSync(errorFile) ? readFileSync(errorFile, "utf8") : ""}`,
    })),
    kill: () => proc.kill(),
  };
}

export function hasSipp(): boolean {
  return Bun.which("sipp") !== null;
}
