/**
 * Added latency of a recording as a listener would measure it: a tone
 * starts in a silent call, and the time from its first voiced RTP packet on
 * the call (the phone leg sending to FreeSWITCH) to the first voiced packet
 * of that party's stream at the SRS (the daemon sending from its recording
 * ports). Both read from one loopback capture (dumpcap, then tshark), so
 * both times come from the kernel's one clock.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RealFreeswitch } from "../../test/support/freeswitch/instance.ts";
import type { DaemonRig } from "../../test/support/freeswitch/daemon-rig.ts";

/**
 * A G.711 payload with a 20 ms piece (160 bytes) that is mostly not silence codes (0xFF/0x7F µ-law,
 * 0xD5/0x55 A-law, ±1): a 40 ms packet ([recording] ptime = 40) whose second half starts the tone is
 * voiced when it arrives, not one packet later.
 */
function voiced(hexPayload: string): boolean {
  const bytes = Buffer.from(hexPayload.replaceAll(":", ""), "hex").subarray(12);
  if (bytes.length < 80) return false;
  for (let at = 0; at < bytes.length; at += 160) {
    const piece = bytes.subarray(at, at + 160);
    let loud = 0;
    for (const b of piece) if (![0xff, 0x7f, 0xfe, 0x7e, 0xd5, 0x55].includes(b)) loud++;
    if (piece.length >= 80 && loud > piece.length / 2) return true;
  }
  return false;
}

interface Pkt {
  readonly t: number;
  readonly src: number;
  readonly dst: number;
  readonly payload: string;
}

/**
 * `calls` silent calls recorded one after another by `rig`; each gets a
 * tone from its phone leg. Returns the onset latency of each (ms).
 */
export async function onsetLatencies(fs: RealFreeswitch, rig: DaemonRig, calls: number, daemonPorts: readonly [number, number]): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), "siprec-onset-"));
  const pcap = join(dir, "onset.pcapng");
  const cap = Bun.spawn(["dumpcap", "-q", "-i", "lo", "-f", "udp", "-w", pcap], { stdout: "ignore", stderr: "pipe" });
  await Bun.sleep(1500); // dumpcap is listening
  const phones: { port: number; from: number }[] = [];
  try {
    for (let i = 0; i < calls; i++) {
      const { phone, aLeg } = await fs.call("park");
      const r = await rig.control("POST", "/recordings", { uuid: aLeg, srs: "default" });
      if (r.status >= 300) throw new Error(`recording start: ${JSON.stringify(r.json)}`);
      await rig.until(() => fs.esl.custom("siprec::started", aLeg).length > 0, 15_000, "recording up");
      await Bun.sleep(500);
      const port = Number(await fs.getVar(phone, "local_media_port"));
      phones.push({ port, from: Date.now() / 1000 });
      await fs.esl.api(`uuid_broadcast ${phone} tone_stream://%(1000,0,440);loops=-1 aleg`);
      await Bun.sleep(1000);
      await fs.esl.api(`uuid_kill ${phone}`);
      await Bun.sleep(300);
    }
  } finally {
    await Bun.sleep(500);
    cap.kill("SIGINT");
    await cap.exited;
  }
  const out = Bun.spawnSync(["tshark", "-r", pcap, "-T", "fields", "-e", "frame.time_epoch", "-e", "udp.srcport", "-e", "udp.dstport", "-e", "udp.payload"], {
    stdout: "pipe",
    stderr: "pipe",
  });
  rmSync(dir, { recursive: true, force: true });
  const pkts: Pkt[] = out.stdout
    .toString()
    .split("\n")
    .filter((l) => l.includes("\t"))
    .map((l) => {
      const [t, src, dst, payload] = l.split("\t");
      return { t: Number(t), src: Number(src), dst: Number(dst), payload: payload ?? "" };
    });
  const [lo, hi] = daemonPorts;
  const result: number[] = [];
  for (const [i, ph] of phones.entries()) {
    const until = phones[i + 1]?.from ?? Number.POSITIVE_INFINITY;
    const inWindow = pkts.filter((p) => p.t >= ph.from && p.t < until && voiced(p.payload));
    const onCall = inWindow.find((p) => p.src === ph.port);
    const atSrs = inWindow.find((p) => p.src >= lo && p.src <= hi && p.t >= (onCall?.t ?? 0));
    if (onCall !== undefined && atSrs !== undefined) result.push((atSrs.t - onCall.t) * 1000);
  }
  return result;
}
