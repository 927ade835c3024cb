import { expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteRecordingStore } from "./sqlite-store.ts";
import type { StoredRecording } from "../recorder/ports.ts";

test("a stored recording reads back; a TLS client key and certificate never reach the file", () => {
  const path = join(mkdtempSync(join(tmpdir(), "siprec-store-")), "state.db");
  const store = new SqliteRecordingStore(path);
  const peer = {
    protocol: "tls" as const,
    host: "127.0.0.1",
    port: 5061,
    tls: { ca: "CA-PEM", cert: "CERT-PEM", key: "PRIVATE-KEY-PEM", verify: true, serverName: "srs.example.com" },
  };
  const r = {
    id: "r1",
    callUuid: "c1",
    groupId: undefined,
    groups: ["default"],
    mode: "separate",
    startedMs: 1,
    legUuids: ["l1"],
    dialogs: [{ group: "default", dialog: { callId: "x" }, peer }],
  } as unknown as StoredRecording;
  store.save(r);
  store.close();
  const onDisk = [path, `${path}-wal`]
    .filter(existsSync)
    .map((p) => readFileSync(p).toString("latin1"))
    .join("");
  expect(onDisk).toContain("srs.example.com");
  expect(onDisk).not.toContain("PRIVATE-KEY-PEM");
  const again = new SqliteRecordingStore(path);
  const [back] = again.load();
  expect(back?.dialogs[0]?.peer).toEqual({
    protocol: "tls",
    host: "127.0.0.1",
    port: 5061,
    tls: { ca: "CA-PEM", verify: true, serverName: "srs.example.com" },
  });
  again.close();
});
