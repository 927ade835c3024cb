/**
 * A SIGHUP reload that never blocks media (#15 item 7): the file is checked
 * in a Worker (config-check-worker.ts) with a deadline; only a file it
 * found good is loaded here, which is quick. A bad file is refused with the
 * worker's message and the running config stays. One reload at a time: a
 * SIGHUP during one is folded into one more run after it.
 */
import { type ConfigFs, type LoadedConfig, loadConfig } from "../config/load.ts";
import type { CheckVerdict } from "./config-check-worker.ts";
import type { Clock } from "../lib/clock.ts";
import { type Result, err, ok } from "../lib/result.ts";

const CHECK_DEADLINE_MS = 10_000;

export interface ReloadSource {
  readonly path: string;
  readonly env: Record<string, string | undefined>;
  readonly fs: ConfigFs;
  readonly clock: Clock;
}

/** Checks off the main thread; resolves with the loaded config or why it was refused. */
export async function reloadConfig(src: ReloadSource): Promise<Result<LoadedConfig, string>> {
  const verdict = await checkInWorker(src);
  if (!verdict.ok) return err(verdict.message);
  const loaded = await loadConfig({ explicitPath: src.path, env: src.env, fs: src.fs });
  return loaded.ok ? ok(loaded.value) : err(loaded.error.message);
}

function checkInWorker(src: ReloadSource): Promise<CheckVerdict> {
  return new Promise((resolve) => {
    let worker: Worker;
    try {
      worker = new Worker(new URL("./config-check-worker.ts", import.meta.url).href);
    } catch (e) {
      return resolve({ ok: false, message: `cannot start the config check: ${e instanceof Error ? e.message : String(e)}` });
    }
    const done = (v: CheckVerdict) => {
      src.clock.clearTimer(timer);
      worker.terminate();
      resolve(v);
    };
    const timer = src.clock.setTimer(CHECK_DEADLINE_MS, () => done({ ok: false, message: `the config check took longer than ${CHECK_DEADLINE_MS} ms` }));
    worker.onmessage = (e: MessageEvent<CheckVerdict>) => done(e.data);
    worker.onerror = (e) => done({ ok: false, message: `the config check failed: ${e.message}` });
    worker.postMessage({ path: src.path, env: src.env });
  });
}

/** Serialises reloads: a SIGHUP while one runs makes exactly one more run afterwards. */
export class ReloadQueue {
  #running = false;
  #again = false;

  constructor(private readonly run: () => Promise<void>) {}

  request(): void {
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = true;
    void (async () => {
      do {
        this.#again = false;
        await this.run().catch(() => {});
      } while (this.#again);
      this.#running = false;
    })();
  }
}
