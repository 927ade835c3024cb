/**
 * Runs in a Worker: reads and checks a config file for a SIGHUP reload, so
 * the parsing, schema check and issue report of a large or broken file
 * never stall the main thread (the RTP path). It answers only a verdict;
 * the main thread loads a file the worker found good (fast: no issues).
 * Built into the executable as a second entrypoint (scripts/build.sh).
 */
import { loadConfig } from "../config/load.ts";

declare const self: Worker;

export interface CheckRequest {
  readonly path: string;
  readonly env: Record<string, string | undefined>;
}

export type CheckVerdict = { readonly ok: true } | { readonly ok: false; readonly message: string };

self.onmessage = async (e: MessageEvent<CheckRequest>) => {
  let verdict: CheckVerdict;
  try {
    const r = await loadConfig({ explicitPath: e.data.path, env: e.data.env });
    verdict = r.ok ? { ok: true } : { ok: false, message: r.error.message };
  } catch (err) {
    verdict = { ok: false, message: `internal error while checking: ${err instanceof Error ? err.message : String(err)}` };
  }
  postMessage(verdict);
};
