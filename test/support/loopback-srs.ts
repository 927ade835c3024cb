/** The reference SRS on 127.0.0.1 (any free port, TCP and UDP) writing into a fresh temporary folder: what the integration tests record into. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cryptoIds } from "../../src/platform/crypto-ids.ts";
import { systemClock } from "../../src/platform/system-clock.ts";
import { loadLibxml } from "../../src/siprec/metadata/libxml.ts";
import { type SrsServerOptions, openSrs } from "../../src/srs/open-srs.ts";
import type { SrsServer } from "../../src/srs/server.ts";

export async function loopbackSrs(extra: Partial<SrsServerOptions> = {}): Promise<{ server: SrsServer; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), "siprec-srs-"));
  const server = await openSrs({
    host: "127.0.0.1",
    port: 0,
    transports: ["tcp", "udp"],
    dir,
    lenient: false,
    clock: systemClock,
    ids: cryptoIds,
    lib: await loadLibxml(),
    ...extra,
  });
  return { server, dir };
}
