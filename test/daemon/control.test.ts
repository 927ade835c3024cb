/** The daemon's control API and metrics, against the FreeSWITCH emulator and siprec srs. */
import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "../../src/cli/run.ts";
import { nodeConfigFs } from "../../src/config/load.ts";
import type { MemoryReport } from "../../src/daemon/memory-report.ts";
import { CALL_A } from "../support/fs-emulator.ts";
import { memoryIo } from "../support/memory-io.ts";
import { type DaemonRig, startRig } from "./support.ts";

let rig: DaemonRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const TOKEN = "t0k3n-for-tests";
const CONTROL = `[control]\nenabled = true\naddress = "127.0.0.1"\nport = 0\ntoken = "${TOKEN}"`;
const auth = { authorization: `Bearer ${TOKEN}` };

describe("control API", () => {
  test("token, health, metrics, start by API, pause/stop by API, refusals with codes", async () => {
    // A rule that matches nothing: only the API starts recordings here.
    rig = await startRig({ extra: `${CONTROL}\n[[trigger]]\nkind = "rule"\nmatch = { context = "^nothing$" }`, srsOptions: { rtcpIntervalMs: 200 } });
    const r = rig;
    await r.until(() => r.controlUrl() !== undefined && r.fs.commands.some((c) => c.startsWith("event plain ")), 5000, "the control API and ESL");
    const base = r.controlUrl()!;
    expect((await fetch(`${base}/healthz`)).status).toBe(401);
    expect((await fetch(`${base}/healthz`, { headers: { authorization: "Bearer nope" } })).status).toBe(401);
    expect((await fetch(`${base}/healthz`, { headers: { authorization: "Bearer " } })).status).toBe(401);
    const health = await fetch(`${base}/healthz`, { headers: auth });
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: "ok", esl: "ready", recordings: 0 });
    // The event subscription has no CUSTOM subclasses when no event trigger is configured.
    expect(r.fs.commands.find((c) => c.startsWith("event plain "))).not.toContain("CUSTOM");

    const post = (path: string, body: string): Promise<Response> =>
      fetch(`${base}${path}`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body });
    expect(await (await post("/recordings", "{not json")).json()).toMatchObject({ error: { code: "BAD_BODY" } });
    // A chunked body has no Content-Length to refuse up front: the server stops reading it at 64 KiB.
    const chunked = new ReadableStream({
      start: (c) => {
        for (let i = 0; i < 4; i++) c.enqueue(new Uint8Array(32 * 1024).fill(0x20));
        c.close();
      },
    });
    expect((await fetch(`${base}/recordings`, { method: "POST", headers: auth, body: chunked })).status).toBe(413);
    expect((await post("/recordings", JSON.stringify({ uuid: CALL_A }))).status).toBe(404); // no such channel yet
    r.fs.playCallStart();
    await Bun.sleep(200);
    expect(await (await post("/recordings", JSON.stringify({ uuid: CALL_A, srs: "nope" }))).json()).toMatchObject({ error: { code: "GROUP_UNKNOWN" } });
    const created = await post("/recordings", JSON.stringify({ uuid: CALL_A, srs: "default", streams: "separate" }));
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    await r.until(() => r.fired("started").length === 1, 8000, "siprec::started");
    const list = (await (await fetch(`${base}/recordings`, { headers: auth })).json()) as { recordings: { id: string; status: string }[] };
    expect(list.recordings).toEqual([expect.objectContaining({ id, status: "recording", mode: "separate" })]);
    // `siprec status` reads the same through the config's control address and token.
    const cfgPath = join(r.dir, "status.toml");
    writeFileSync(
      cfgPath,
      readFileSync(join(r.dir, "siprec.toml"), "utf8").replace(
        /\[control\]\nenabled = true\naddress = "127.0.0.1"\nport = 0/,
        `[control]\nenabled = true\naddress = "127.0.0.1"\nport = ${new URL(base).port}`,
      ),
    );
    const io = memoryIo();
    Object.assign(io, { fs: nodeConfigFs });
    expect(await run(["status", "-c", cfgPath], io)).toBe(0);
    expect(io.stdout).toContain("FreeSWITCH event socket: ready");
    expect(io.stdout).toContain(`  ${id}  call ${CALL_A}  recording  separate  -> default`);

    // Where the memory is, after a full collection: the one recording, the heap's objects by type.
    const mem = (await (await fetch(`${base}/debug/memory`, { headers: auth })).json()) as MemoryReport;
    expect(mem.recordings).toBe(1);
    expect(mem.rssBytes).toBeGreaterThan(mem.heapBytes);
    expect(mem.heapBytes).toBeGreaterThan(1_000_000);
    expect(mem.objects).toBeGreaterThan(1000);
    expect(Object.keys(mem.objectTypes).length).toBe(40);
    expect(mem.objectTypes["Object"]).toBeGreaterThan(100);
    expect((await fetch(`${base}/debug/memory`)).status).toBe(401);

    await Bun.sleep(300);
    const metrics = await (await fetch(`${base}/metrics`, { headers: auth })).text();
    expect(metrics).toContain("siprec_recordings_active 1");
    expect(metrics).toContain("siprec_esl_connected 1");
    expect(metrics).toContain("siprec_recordings_started_total 1");
    const forwarded = Number(/siprec_rtp_packets_forwarded_total (\d+)/.exec(metrics)?.[1]);
    expect(forwarded).toBeGreaterThan(10);
    // The SRS's receiver reports (every ~200 ms here) reach the metric per recording, group and label.
    for (const label of ["1", "2"])
      expect(metrics).toMatch(new RegExp(`siprec_rtcp_fraction_lost\\{recording="${id}",group="default",label="${label}"\\} 0\\b`));

    expect((await post(`/recordings/${id}/pause`, "")).status).toBe(202);
    await r.until(() => r.fired("paused").length === 1, 3000, "siprec::paused");
    expect((await post("/recordings/00000000-0000-4000-8000-000000000000/stop", "")).status).toBe(404);
    expect((await post(`/recordings/${id}/stop`, "")).status).toBe(202);
    await r.until(() => r.srs.finished.length === 1, 5000, "the SRS to see the BYE");
    expect((await fetch(`${base}/nope`, { headers: auth })).status).toBe(404);
    const after = await (await fetch(`${base}/metrics`, { headers: auth })).text();
    expect(after).toContain("siprec_recordings_active 0");
    expect(after).toContain("siprec_recordings_stopped_total 1");
  }, 30_000);
});
