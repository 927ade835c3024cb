/**
 * At start-up the reference SRS looks for recordings an earlier run of it
 * left unfinished (killed, machine lost): their report.json still says
 * "complete": false. Each is marked "interrupted" with when that was found,
 * and logged, so nobody takes a cut recording for a whole one. The WAVs and
 * metadata in such a folder hold what had arrived up to the report's
 * writtenAt (recording.ts).
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "../../lib/log.ts";

/** Folders looked at, at most (a huge recordings folder must not stall the start). */
const MAX_FOLDERS = 100_000;

export function markInterrupted(dir: string, nowMs: number, log: Logger): number {
  let names: string[];
  try {
    names = readdirSync(dir).slice(0, MAX_FOLDERS);
  } catch {
    return 0; // no folder yet: nothing was recorded
  }
  let found = 0;
  for (const name of names) {
    const path = join(dir, name, "report.json");
    try {
      if (statSync(path).size > 16 * 1024 * 1024) continue;
      const report = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
      if (report["complete"] !== false || report["interrupted"] !== undefined) continue;
      report["interrupted"] = { foundAt: new Date(nowMs).toISOString(), why: "the SRS stopped before the recording ended (killed or crashed): audio and metadata are complete up to writtenAt" };
      writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
      found++;
      log.warn("recording left unfinished by an earlier run: marked interrupted", { folder: join(dir, name), writtenAt: report["writtenAt"] });
    } catch {
      // Not a recording folder (or an unreadable report): left as it is.
    }
  }
  return found;
}
