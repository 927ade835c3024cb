/**
 * The SRS loses a recording without a BYE (#15 item 2): its RTCP stops, or
 * its TCP connection is reset and it cannot be reached again. The daemon
 * notices, tells FreeSWITCH (siprec::failed with SIPREC-Interrupted, the
 * channel variables), re-records on the group's next server and reports
 * the gap in the stop event.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { SrsServer } from "../../src/srs/server.ts";
import { openSrs } from "../../src/srs/open-srs.ts";
import { loadLibxml } from "../../src/siprec/metadata/libxml.ts";
import { cryptoIds } from "../../src/platform/crypto-ids.ts";
import { systemClock } from "../../src/platform/system-clock.ts";
import { CALL_A } from "../support/fs-emulator.ts";
import { TcpProxy } from "../support/tcp-proxy.ts";
import { type DaemonRig, callRecorded, startRig } from "./support.ts";

let rig: DaemonRig | undefined;
let backup: SrsServer | undefined;
let proxy: TcpProxy | undefined;
afterEach(async () => {
  await rig?.close();
  await backup?.stop();
  proxy?.stop();
  rig = backup = proxy = undefined;
});

async function startBackup(): Promise<SrsServer> {
  backup = await openSrs({
    host: "127.0.0.1",
    port: 0,
    transports: ["tcp"],
    dir: mkdtempSync(join(tmpdir(), "siprec-backup-")),
    lenient: false,
    clock: systemClock,
    ids: cryptoIds,
    lib: await loadLibxml(),
  });
  return backup;
}

const backupServer = (b: SrsServer) =>
  `[[srs]]\nname = "backup"\nuri = "sip:srs@127.0.0.1:${b.portOf("tcp")}"\ntransport = "tcp"\npriority = 200\noptions_interval = 0`;

describe("siprec daemon: an SRS that loses the recording without a BYE", () => {
  test("its RTCP stops (3 of its 300 ms intervals): interrupted as rtcp-silence, re-recorded on the next server, the gap in siprec::stopped and siprec_gap_ms", async () => {
    const b = await startBackup();
    rig = await startRig({ srsOptions: { rtcpIntervalMs: 300, stopRtcpAfterMs: 1200 }, extra: backupServer(b) });
    const r = rig;
    await callRecorded(r);
    await r.until(() => r.fired("failed").length === 1, 6000, "siprec::failed for the silence");
    const failed = r.fired("failed")[0]!;
    expect(failed.get("SIPREC-Interrupted")).toBe("rtcp-silence");
    expect(failed.get("SIPREC-Reason")).toContain("sent no RTCP");
    expect(r.fs.commands.some((c) => c.startsWith(`api uuid_setvar_multi ${CALL_A} siprec_interrupted=rtcp-silence`))).toBe(true);
    await r.until(() => r.fired("started").length === 2, 6000, "siprec::started on the backup");
    const gap = Number(r.fired("started")[1]!.get("SIPREC-Gap-Ms"));
    // The SRS went quiet about 3 intervals before it was noticed: that time counts as missing audio.
    expect(gap).toBeGreaterThanOrEqual(800);
    expect(gap).toBeLessThan(4000);
    await Bun.sleep(600);
    r.fs.playCallEnd();
    await r.until(() => r.fired("stopped").length === 1 && b.finished.length === 1, 6000, "the stop and the backup's recording");
    expect(Number(r.fired("stopped")[0]!.get("SIPREC-Gap-Ms"))).toBe(gap);
    expect(r.fs.commands.some((c) => c.includes(`siprec_status=stopped`) && c.includes(`siprec_gap_ms=${gap}`))).toBe(true);
    // The quiet SRS got a BYE anyway (it may be alive but deaf) and wrote what it had.
    await r.until(() => r.srs.finished.length === 1, 3000, "the first SRS's recording");
    for (const st of b.finished[0]!.streams as { packets: number }[]) expect(st.packets).toBeGreaterThan(15);
    expect(r.log.some((l) => l.includes("recording taken over") && l.includes('"gapMs"'))).toBe(true);
  }, 30_000);

  test("its TCP connection is reset and it cannot be reached again: the OPTIONS probe fails at once, interrupted as transport-lost, re-recorded on the next server", async () => {
    const b = await startBackup();
    rig = await startRig({
      extra: backupServer(b),
      srsUriFor: (port: number) => {
        proxy = TcpProxy.start(port);
        return `sip:srs@127.0.0.1:${proxy.port}`;
      },
    });
    const r = rig;
    await callRecorded(r);
    await Bun.sleep(300);
    const t0 = Date.now();
    proxy!.stop();
    proxy!.cut();
    await r.until(() => r.fired("failed").length === 1, 5000, "siprec::failed for the lost connection");
    expect(r.fired("failed")[0]!.get("SIPREC-Interrupted")).toBe("transport-lost");
    await r.until(() => r.fired("started").length === 2, 5000, "siprec::started on the backup");
    // Noticed from the reset itself, not from a later request's timeout.
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(Number(r.fired("started")[1]!.get("SIPREC-Gap-Ms"))).toBeLessThan(2000);
    r.fs.playCallEnd();
    await r.until(() => b.finished.length === 1, 5000, "the backup's recording");
  }, 30_000);

  test("a connection the SRS closes while it stays reachable is only a connection: the probe is answered and the recording goes on untouched", async () => {
    rig = await startRig({
      srsUriFor: (port: number) => {
        proxy = TcpProxy.start(port);
        return `sip:srs@127.0.0.1:${proxy.port}`;
      },
    });
    const r = rig;
    await callRecorded(r);
    proxy!.cut();
    await Bun.sleep(800);
    expect(r.fired("failed")).toEqual([]);
    expect(r.log.some((l) => l.includes("probing with OPTIONS"))).toBe(true);
    expect(proxy!.connections).toBe(2);
    r.fs.playCallEnd();
    await r.until(() => r.srs.finished.length === 1 && r.fired("stopped").length === 1, 5000, "the recording and siprec::stopped");
    expect(r.fired("failed")).toEqual([]);
  }, 30_000);
});
