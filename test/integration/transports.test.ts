/**
 * One transport rule end to end (test-call through the CLI against
 * `siprec srs` on 127.0.0.1): the URI's transport parameter is used, a
 * flag against it is a usage error, and an INVITE over 1300 bytes toward
 * a UDP target goes over TCP (RFC 3261 §18.1.1).
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSrs } from "../../src/srs/open-srs.ts";
import { run } from "../../src/cli/run.ts";
import { EXIT } from "../../src/cli/exit-codes.ts";
import { nodeConfigFs } from "../../src/config/load.ts";
import { cryptoIds } from "../../src/platform/crypto-ids.ts";
import { systemClock } from "../../src/platform/system-clock.ts";
import { loadLibxml } from "../../src/siprec/metadata/libxml.ts";
import { header } from "../../src/sip/message/headers.ts";
import type { Peer } from "../../src/sip/transport.ts";
import { memoryIo } from "../support/memory-io.ts";

setDefaultTimeout(30_000);

async function srs() {
  const server = await openSrs({
    host: "127.0.0.1",
    port: 0,
    transports: ["udp", "tcp"],
    dir: mkdtempSync(join(tmpdir(), "siprec-srs-")),
    lenient: false,
    clock: systemClock,
    ids: cryptoIds,
    lib: await loadLibxml(),
  });
  const seen: { from: Peer; via: string; size: number }[] = [];
  const answer = server.ua.onInvite;
  server.ua.onInvite = (inv) => {
    seen.push({ from: inv.from, via: header(inv.request, "via") ?? "", size: inv.request.body.length });
    answer(inv);
  };
  return { server, seen };
}

const io = () => Object.assign(memoryIo(), { clock: systemClock, fs: nodeConfigFs });

describe("transports", () => {
  test("--srs 'sip:…;transport=udp': the URI's transport is used (no made-up 503); the large INVITE goes over TCP to the same port", async () => {
    const { server, seen } = await srs();
    try {
      const out = io();
      const code = await run(["test-call", "--srs", `sip:srs@127.0.0.1:${server.portOf("udp")};transport=udp`, "--duration", "1"], out);
      expect(out.stderr.join("\n")).not.toContain("no udp transport");
      expect(code).toBe(EXIT.OK);
      expect(seen.length).toBe(1);
      // A SIPREC INVITE (SDP + metadata) is over 1300 bytes: TCP, and its Via says so.
      expect(seen[0]?.size).toBeGreaterThan(1300);
      expect(seen[0]?.from.protocol).toBe("tcp");
      expect(seen[0]?.via).toStartWith("SIP/2.0/TCP ");
    } finally {
      await server.stop();
    }
  });

  test("--transport tls on a ;transport=udp URI is a usage error naming both (not two transport= parameters)", async () => {
    const out = io();
    const code = await run(["test-call", "--srs", "sip:srs@127.0.0.1:5999;transport=udp", "--transport", "tls", "--duration", "1"], out);
    expect(code).toBe(EXIT.USAGE);
    expect(out.stderr.join("\n")).toContain("transport tls contradicts sip:srs@127.0.0.1:5999;transport=udp, which says udp");
  });

  test("--transport udp toward a sips: URI is a usage error; sips: alone needs no flag", async () => {
    const out = io();
    expect(await run(["test-call", "--srs", "sips:srs@127.0.0.1:5999", "--transport", "udp", "--duration", "1"], out)).toBe(EXIT.USAGE);
    expect(out.stderr.join("\n")).toContain("contradicts");
  });
});
