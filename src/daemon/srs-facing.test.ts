import { describe, expect, test } from "bun:test";
import { srsFacing } from "./srs-facing.ts";
import { parseConfigText } from "../config/parse.ts";
import { resolveSecrets } from "../config/secrets.ts";
import type { Config } from "../config/secrets.ts";
import { SourceAddresses, sourceAddressToward } from "../sip/udp-source-address.ts";

async function config(text: string): Promise<Config> {
  const d = parseConfigText(text);
  if (!d.ok) throw new Error(JSON.stringify(d.error));
  const r = await resolveSecrets(d.value, { env: {}, readText: async () => ({ ok: false, error: "not used" }) });
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value;
}

describe("the SRS-facing side of the daemon", () => {
  test("every SRS on loopback: one stack (the tap's), RTP bound to the tap address, auto addresses", async () => {
    const f = srsFacing(await config(`[tap]\naddress = "127.0.0.1"\n[[srs]]\nname = "a"\nuri = "sip:srs@127.0.0.1:5070"\n`));
    expect([f.sipBind, f.separate, f.rtpBind]).toEqual(["127.0.0.1", false, "127.0.0.1"]);
    expect(f.sip.for("127.0.0.1")).toBe("127.0.0.1");
  });

  test("a remote SRS: a separate stack on all interfaces, RTP on all interfaces (decided, not bound: tests bind loopback only)", async () => {
    const f = srsFacing(await config(`[tap]\naddress = "127.0.0.1"\n[[srs]]\nname = "r"\nuri = "sip:srs@198.51.100.7:5060"\n`));
    expect([f.sipBind, f.separate, f.rtpBind]).toEqual(["0.0.0.0", true, "0.0.0.0"]);
    // Until primed (the kernel's route lookup before the first INVITE), the fallback.
    expect(f.sip.for("198.51.100.7")).toBe("127.0.0.1");
  });

  test("explicit sip_address/media_address win; the stack binds sip_address", async () => {
    const f = srsFacing(
      await config(
        `[tap]\naddress = "127.0.0.1"\n[recording]\nsip_address = "127.0.0.2"\nmedia_address = "127.0.0.3"\n[[srs]]\nname = "a"\nuri = "sip:srs@127.0.0.2:5070"\n`,
      ),
    );
    expect([f.sipBind, f.separate]).toEqual(["127.0.0.2", true]);
    expect([f.sip.for("127.0.0.2"), f.media.for("127.0.0.2"), await f.media.prime("127.0.0.2")]).toEqual(["127.0.0.2", "127.0.0.3", "127.0.0.3"]);
  });

  test("the kernel's source address toward loopback hosts is loopback; names are not looked up", async () => {
    expect(await sourceAddressToward("127.0.0.1")).toBe("127.0.0.1");
    expect(await sourceAddressToward("::1")).toBe("::1");
    expect(await sourceAddressToward("srs.example.com")).toBeUndefined();
    const a = new SourceAddresses(undefined, "127.0.0.1");
    expect(await a.prime("srs.example.com")).toBe("127.0.0.1");
  });
});
