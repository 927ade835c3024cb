/**
 * Active recordings on disk (bun:sqlite), so that after a crash or SIGKILL
 * the next daemon can end the SRS dialogs the dead one left open, hang up
 * its tap legs, and record the calls that are still up. WAL mode: a write
 * per state change costs little and survives a kill.
 */
import { Database } from "bun:sqlite";
import type { RecordingStore, StoredRecording } from "../recorder/ports.ts";

export class SqliteRecordingStore implements RecordingStore {
  readonly #db: Database;
  readonly #save: ReturnType<Database["prepare"]>;
  readonly #remove: ReturnType<Database["prepare"]>;
  readonly #alive: ReturnType<Database["prepare"]>;
  /** When the previous process was last known alive (its heartbeat), read before this one writes its own. */
  readonly previousAliveMs: number | undefined;

  constructor(path: string) {
    this.#db = new Database(path, { create: true, strict: true });
    this.#db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
    this.#db.exec("CREATE TABLE IF NOT EXISTS recordings (id TEXT PRIMARY KEY, call_uuid TEXT NOT NULL, body TEXT NOT NULL, updated_ms INTEGER NOT NULL)");
    this.#save = this.#db.prepare(
      "INSERT INTO recordings (id, call_uuid, body, updated_ms) VALUES ($id, $call, $body, $at) ON CONFLICT(id) DO UPDATE SET body = excluded.body, updated_ms = excluded.updated_ms",
    );
    this.#remove = this.#db.prepare("DELETE FROM recordings WHERE id = $id");
    this.#db.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)");
    const row = this.#db.query("SELECT value FROM meta WHERE key = 'alive_ms'").get() as { value: number } | null;
    this.previousAliveMs = row === null ? undefined : row.value;
    this.#alive = this.#db.prepare("INSERT INTO meta (key, value) VALUES ('alive_ms', $at) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  }

  /** The heartbeat (every second while recording): after a crash, how much audio the dead process left unrecorded. */
  alive(nowMs: number): void {
    try {
      this.#alive.run({ at: nowMs });
    } catch {
      // A full or read-only disk must not take the daemon down; the next restart's gap is then counted from the recording's start.
    }
  }

  save(r: StoredRecording): void {
    // A client TLS key never goes to disk: the trust anchors and name are enough to end a dialog later.
    const body = JSON.stringify(r, (k, v: unknown) => (k === "key" || k === "cert" ? undefined : v));
    this.#save.run({ id: r.id, call: r.callUuid, body, at: Date.now() });
  }

  remove(id: string): void {
    this.#remove.run({ id });
  }

  /** Rows that do not parse (a torn write, a file from a future version) are dropped, not fatal. */
  load(): StoredRecording[] {
    const rows = this.#db.query("SELECT id, body FROM recordings").all() as { id: string; body: string }[];
    const out: StoredRecording[] = [];
    for (const row of rows) {
      try {
        const r = JSON.parse(row.body) as StoredRecording;
        if (typeof r.callUuid === "string" && Array.isArray(r.dialogs) && Array.isArray(r.legUuids)) out.push(r);
        else this.remove(row.id);
      } catch {
        this.remove(row.id);
      }
    }
    return out;
  }

  close(): void {
    this.#db.close();
  }
}
