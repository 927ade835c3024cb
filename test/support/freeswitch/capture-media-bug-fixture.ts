/**
 * Records the media-bug fixtures from a real FreeSWITCH (run by hand:
 * `SIPREC_FREESWITCH=/opt/freeswitch bun test/support/freeswitch/capture-media-bug-fixture.ts`):
 * a call (phone 440 Hz, A-leg 660 Hz), `uuid_record` of the A-leg with the
 * daemon's variables into a pipe read here, and the raw ESL bytes of an
 * `event plain` connection meanwhile (RECORD_START, MEDIA_BUG_START,
 * RECORD_STOP, MEDIA_BUG_STOP). Writes test/fixtures/freeswitch-media-bug/.
 */
import { closeSync, constants, mkdirSync, mkdtempSync, openSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RECORD_VARS } from "../../../src/recorder/record-command.ts";
import { RealFreeswitch, findFreeswitch } from "./instance.ts";

const install = findFreeswitch();
if ("skip" in install) throw new Error(install.skip);
const out = new URL("../../fixtures/freeswitch-media-bug/", import.meta.url).pathname;
mkdirSync(out, { recursive: true });
const fs = await RealFreeswitch.start(install);
const raw: Uint8Array[] = [];
const sent: string[] = [];
const sock = await Bun.connect({ hostname: "127.0.0.1", port: fs.ports.esl, socket: { data: (_s, d) => void raw.push(new Uint8Array(d)) } });
const say = async (line: string): Promise<void> => {
  sent.push(line);
  sock.write(`${line}\n\n`);
  await Bun.sleep(200);
};
try {
  await Bun.sleep(200);
  await say(`auth ${fs.password}`);
  await say("event plain RECORD_START RECORD_STOP MEDIA_BUG_START MEDIA_BUG_STOP");
  const { phone, aLeg } = await fs.call("tone-660", { toneHz: 440 });
  await Bun.sleep(500);
  const dir = mkdtempSync(join(tmpdir(), "siprec-fixture-"));
  const fifo = join(dir, "rec.r8");
  Bun.spawnSync(["mkfifo", fifo]);
  const fd = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
  const pcm: Uint8Array[] = [];
  const reader = Bun.file(fd).stream().getReader();
  void (async () => {
    for (;;) {
      const r = await reader.read();
      if (r.done) return;
      pcm.push(r.value);
    }
  })();
  await say(`api uuid_record ${aLeg} start ${fifo} 0 {${RECORD_VARS.join(",")},record_sample_rate=8000}`);
  await Bun.sleep(1000);
  await say(`api uuid_record ${aLeg} stop ${fifo}`);
  await Bun.sleep(500);
  await reader.cancel();
  closeSync(fd);
  await fs.esl.api(`uuid_kill ${phone}`);
  await Bun.sleep(300);
  writeFileSync(join(out, "esl-media-bug.esl"), Buffer.concat(raw));
  writeFileSync(join(out, "esl-media-bug.sent"), `${sent.join("\n\n")}\n\n`);
  writeFileSync(join(out, "stereo-440-660.r8"), Buffer.concat(pcm));
  console.log(`wrote ${out}: ${Buffer.concat(pcm).length} bytes of PCM, ${Buffer.concat(raw).length} bytes of ESL`);
} finally {
  sock.end();
  await fs.stop();
}
