import { describe, expect, test } from "bun:test";
import { locate, srvOrder, type Resolver } from "./locate.ts";
import { CachingResolver } from "./resolver-cache.ts";
import { OptionsMonitor, isAlive } from "./options-monitor.ts";
import { ManualClock } from "../../../test/support/manual-clock.ts";
import { settle } from "../../../test/support/ua-pair.ts";

function fakeDns(
  srv: Record<string, { name: string; port: number; priority: number; weight: number }[]>,
  a: Record<string, string[]>,
): Resolver & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    srv: async (n) => (asked.push(`SRV ${n}`), srv[n] ?? []),
    addresses: async (h) => (asked.push(`A ${h}`), a[h] ?? []),
  };
}

describe("RFC 3263 server location", () => {
  test("numeric hosts skip DNS; default ports 5060 / 5061", async () => {
    const dns = fakeDns({}, {});
    expect(await locate("sip:srs@192.0.2.10", "tcp", dns)).toEqual({ ok: true, value: [{ protocol: "tcp", host: "192.0.2.10", port: 5060 }] });
    expect(await locate("sips:srs@[2001:db8::1]:5071", undefined, dns)).toEqual({ ok: true, value: [{ protocol: "tls", host: "2001:db8::1", port: 5071 }] });
    expect(dns.asked).toEqual([]);
  });

  test("SRV by priority then weight, each name resolved; every address is a fail-over target", async () => {
    const dns = fakeDns(
      {
        "_sip._tcp.rec.example.com": [
          { name: "b.example.com", port: 5080, priority: 20, weight: 0 },
          { name: "a1.example.com", port: 5060, priority: 10, weight: 10 },
          { name: "a2.example.com", port: 5062, priority: 10, weight: 60 },
        ],
      },
      { "a1.example.com": ["192.0.2.1"], "a2.example.com": ["192.0.2.2", "2001:db8::2"], "b.example.com": ["192.0.2.3"] },
    );
    const r = await locate("sip:srs@rec.example.com", "tcp", dns);
    expect(r.ok && r.value.map((p) => `${p.host}:${p.port}`)).toEqual(["192.0.2.2:5062", "2001:db8::2:5062", "192.0.2.1:5060", "192.0.2.3:5080"]);
  });

  test("RFC 2782 weighted draw within a priority: shares follow the weights, weight 0 only rarely first, lower priority always first", () => {
    const recs = [
      { name: "w0", port: 1, priority: 10, weight: 0 },
      { name: "w10", port: 1, priority: 10, weight: 10 },
      { name: "w30", port: 1, priority: 10, weight: 30 },
      { name: "w60", port: 1, priority: 10, weight: 60 },
      { name: "backup", port: 1, priority: 20, weight: 100 },
    ];
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const first = new Map<string, number>();
    const N = 20_000;
    for (let i = 0; i < N; i++) {
      const o = srvOrder(recs, random);
      expect(o.length).toBe(5);
      expect(o[4]!.name).toBe("backup");
      first.set(o[0]!.name, (first.get(o[0]!.name) ?? 0) + 1);
    }
    // Picked first in proportion to weight/(sum+1): 60/101, 30/101, 10/101, and weight 0 about 1/101.
    for (const [name, w] of [
      ["w60", 60],
      ["w30", 30],
      ["w10", 10],
      ["w0", 1],
    ] as const)
      expect(Math.abs((first.get(name) ?? 0) / N - w / 101)).toBeLessThan(0.015);
    // Without randomness: higher weight first (the deterministic order the tests above rely on).
    expect(srvOrder(recs).map((r) => r.name)).toEqual(["w60", "w30", "w10", "w0", "backup"]);
  });

  test("the caching resolver: one query per name per TTL, failures cached briefly, concurrent lookups shared, bounded", async () => {
    const clock = new ManualClock();
    let failing = true;
    const inner = fakeDns({ "_sip._tcp.rec.example.com": [{ name: "a.example.com", port: 5060, priority: 1, weight: 1 }] }, { "a.example.com": ["192.0.2.1"] });
    const flaky: Resolver = {
      srv: inner.srv,
      addresses: async (h) => (failing && h === "down.example.com" ? Promise.reject(new Error("SERVFAIL")) : inner.addresses(h)),
    };
    const dns = new CachingResolver(flaky, clock, { ttlMs: 30_000, negativeTtlMs: 5_000, maxEntries: 3 });
    await Promise.all([locate("sip:srs@rec.example.com", "tcp", dns), locate("sip:srs@rec.example.com", "tcp", dns)]);
    await locate("sip:srs@rec.example.com", "tcp", dns);
    expect(inner.asked).toEqual(["SRV _sip._tcp.rec.example.com", "A a.example.com"]);
    clock.advance(30_001);
    await locate("sip:srs@rec.example.com", "tcp", dns);
    expect(inner.asked.length).toBe(4);
    expect(await dns.addresses("down.example.com")).toEqual([]);
    failing = false;
    expect(await dns.addresses("down.example.com")).toEqual([]); // still the cached failure
    clock.advance(5_001);
    expect(await dns.addresses("down.example.com")).toEqual([]); // asked again (fake has no record), not an error
    const before = dns.queries;
    for (const h of ["x1", "x2", "x3", "x4"]) await dns.addresses(h);
    await dns.addresses("x1"); // pushed out by the bound: asked again
    expect(dns.queries).toBe(before + 5);
  });

  test("sips: uses _sips._tcp; a transport parameter picks the SRV service", async () => {
    const dns = fakeDns({}, { "rec.example.com": ["192.0.2.9"] });
    await locate("sips:srs@rec.example.com", undefined, dns);
    await locate("sip:srs@rec.example.com;transport=udp", "tcp", dns);
    expect(dns.asked.filter((x) => x.startsWith("SRV"))).toEqual(["SRV _sips._tcp.rec.example.com", "SRV _sip._udp.rec.example.com"]);
  });

  test("an explicit port skips SRV; no SRV falls back to A/AAAA", async () => {
    const dns = fakeDns({}, { "rec.example.com": ["192.0.2.5"] });
    expect(await locate("sip:srs@rec.example.com:5099", "tcp", dns)).toEqual({ ok: true, value: [{ protocol: "tcp", host: "192.0.2.5", port: 5099 }] });
    expect(dns.asked).toEqual(["A rec.example.com"]);
    expect(await locate("sip:srs@rec.example.com", "tls", dns)).toEqual({ ok: true, value: [{ protocol: "tls", host: "192.0.2.5", port: 5061 }] });
  });

  test("nothing resolves, bad URIs", async () => {
    const dns = fakeDns({}, {});
    expect(await locate("sip:srs@nowhere.example", "tcp", dns)).toMatchObject({ ok: false, error: { code: "LOCATE_NOT_FOUND" } });
    expect(await locate("tel:+1555", "tcp", dns)).toMatchObject({ ok: false, error: { code: "LOCATE_BAD_URI" } });
  });
});

describe("OPTIONS health monitor", () => {
  test("which statuses prove a server alive", () => {
    expect([200, 404, 405, 481, 501].every(isAlive)).toBe(true);
    expect([408, 500, 503, 504, 600].some(isAlive)).toBe(false);
  });

  test("hysteresis: down after 2 failures, up after 2 successes, probes every interval", async () => {
    const clock = new ManualClock();
    const changes: string[] = [];
    const script = [200, 503, 408, 408, 200, 200, 200];
    let probes = 0;
    const m = new OptionsMonitor({ clock, onChange: (n, h, s) => changes.push(`${n}:${h}:${s}`) });
    m.add({ name: "srs1", intervalMs: 30_000, probe: async () => script[probes++] ?? 200 });
    await settle();
    expect(m.health("srs1")).toBe("up");
    for (let i = 0; i < 6; i++) {
      clock.advance(30_000);
      await settle();
    }
    expect(probes).toBe(7);
    expect(changes).toEqual(["srs1:up:200", "srs1:down:408", "srs1:up:200"]);
    expect(m.isUsable("srs1")).toBe(true);
    m.stop();
    m.stop();
    expect(clock.pendingCount).toBe(0);
  });

  test("outcomes of real calls count too; unknown servers are usable", () => {
    const m = new OptionsMonitor({ clock: new ManualClock() });
    m.add({ name: "quiet", intervalMs: 0, probe: async () => 200 });
    expect(m.isUsable("quiet")).toBe(true);
    m.report("quiet", 408);
    m.report("quiet", 503);
    expect(m.health("quiet")).toBe("down");
    expect(m.snapshot()).toEqual([{ name: "quiet", health: "down", lastStatus: 503 }]);
  });
});
