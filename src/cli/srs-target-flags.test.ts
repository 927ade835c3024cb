import { expect, test } from "bun:test";
import { readSrsTarget } from "./srs-target-flags.ts";
import { memoryIo } from "../../test/support/memory-io.ts";

const CONF = (srtp: string) => `[recording]\nsrtp = "${srtp}"\nsrtp_suites = ["AEAD_AES_128_GCM"]\n\n[[srs]]\nname = "nice"\nuri = "sips:srs@127.0.0.1:5061"\n`;

test("--srtp means require; without it the config's [recording] srtp applies as the daemon reads it (offer included), for test-call and replay alike", async () => {
  for (const [policy, flag, want] of [
    ["offer", false, "offer"],
    ["require", false, "require"],
    ["off", false, "off"],
    ["off", true, "require"],
  ] as const) {
    const io = memoryIo({ files: { "/etc/s.toml": CONF(policy) } });
    const r = await readSrsTarget({ srs: "nice", config: "/etc/s.toml", localAddress: "127.0.0.1", ...(flag ? { srtp: true } : {}) }, io);
    if (!r.ok) throw new Error(r.message);
    expect(r.value.srtp).toBe(want);
    expect(r.value.srtpSuites).toEqual(["AEAD_AES_128_GCM"]);
    expect(r.value.target.transport).toBe("tls");
  }
});

test("a URI target: no config needed, srtp off unless asked, the default suite; the old --local wins over the default --local-address", async () => {
  const r = await readSrsTarget({ srs: "sip:srs@127.0.0.1:5070", localAddress: "127.0.0.1", local: "127.0.0.2" }, memoryIo());
  expect(r).toMatchObject({
    ok: true,
    value: { srtp: "off", srtpSuites: ["AES_CM_128_HMAC_SHA1_80"], localAddress: "127.0.0.2", target: { transport: "tcp" } },
  });
  const bad = await readSrsTarget({ srs: "sip:srs@127.0.0.1:5070", localAddress: "127.0.0.1", srtpSuite: "ROT13" }, memoryIo());
  expect(bad).toMatchObject({ ok: false, kind: "usage" });
});
