import { describe, expect, test } from "bun:test";
import { FramePacer as Pacer } from "./frame-pacer.ts";
import { PortAllocator } from "./port-allocator.ts";
import { newCryptoAttr, parseInlineKey, splitKeySalt } from "../sdp/crypto-attr.ts";
import type { Clock, TimerId } from "../lib/clock.ts";
import { FixedIds } from "../../test/support/fixed-ids.ts";
import { ManualClock } from "../../test/support/manual-clock.ts";

/** A clock whose timers fire up to `maxLateMs` late (an event loop under load). */
class LateClock implements Clock {
  constructor(
    private readonly inner: ManualClock,
    private readonly maxLateMs: number,
    private seed = 1,
  ) {}
  now = () => this.inner.now();
  wallNow = () => this.inner.wallNow();
  setTimer(ms: number, fire: () => void): TimerId {
    this.seed = (this.seed * 1103515245 + 12345) & 0x7fffffff;
    return this.inner.setTimer(ms + (this.seed % (this.maxLateMs * 10)) / 10, fire);
  }
  clearTimer = (id: TimerId) => this.inner.clearTimer(id);
}

describe("pacing on absolute deadlines", () => {
  test("an hour of 20 ms frames: 180,000 ticks, the last one due at exactly 3,600,000 ms", () => {
    const clock = new ManualClock();
    let n = 0;
    let lastDue = 0;
    const p = new Pacer({ clock, ptimeMs: 20 }, (i, due) => {
      n = i + 1;
      lastDue = due;
    });
    p.start();
    clock.advance(3_600_000);
    expect(n).toBe(180_001);
    expect(lastDue).toBe(3_600_000);
  });

  test("timers firing up to 7 ms late do not accumulate drift", () => {
    const base = new ManualClock();
    const clock = new LateClock(base, 7);
    const lateness: number[] = [];
    const p = new Pacer({ clock, ptimeMs: 20 }, (_i, due) => void lateness.push(base.now() - due));
    p.start();
    base.advance(3_600_000);
    p.stop();
    expect(lateness.length).toBeGreaterThanOrEqual(179_999);
    expect(Math.max(...lateness)).toBeLessThan(20);
  });

  test("a stall: a bounded burst catches up, the rest is skipped and counted", () => {
    const base = new ManualClock();
    let stallNext = false;
    const clock: Clock = {
      now: () => base.now(),
      wallNow: () => base.wallNow(),
      // The event loop is blocked for a second: the next timer fires 1 s late.
      setTimer: (ms, fire) => base.setTimer(stallNext ? ((stallNext = false), ms + 1000) : ms, fire),
      clearTimer: (id) => base.clearTimer(id),
    };
    const ticks: { i: number; at: number }[] = [];
    const p = new Pacer({ clock, ptimeMs: 20, maxBurst: 5 }, (i) => void ticks.push({ i, at: base.now() }));
    p.start();
    base.advance(100);
    stallNext = true;
    base.advance(2000);
    const burst = ticks.filter((t) => t.at === ticks.find((x) => x.i > 5 && x.at - (ticks[ticks.indexOf(x) - 1]?.at ?? 0) > 500)?.at);
    expect(burst.length).toBe(6);
    expect(p.skipped).toBe(45);
    // After the stall the pacer is back on its original grid.
    expect(ticks.at(-1)?.at).toBe(2100);
    p.stop();
    p.stop();
    expect(base.pendingCount).toBe(0);
  });
});

describe("RTP port allocation", () => {
  test("even ports, pairs, wrap-around, full range, release", () => {
    const a = new PortAllocator(30001, 30010);
    expect(a.capacity).toBe(4);
    const got = [a.take(), a.take(), a.take(), a.take()];
    expect(got).toEqual([30002, 30004, 30006, 30008]);
    expect(a.take()).toBeUndefined();
    a.release(30004);
    expect(a.take()).toBe(30004);
    expect(() => new PortAllocator(5000, 5000)).toThrow();
  });
});

describe("SDES keys", () => {
  test("fresh 30-byte key||salt per offer, from the id source, splitting into key and salt", () => {
    const a = newCryptoAttr(1, "AES_CM_128_HMAC_SHA1_80", new FixedIds(1));
    const b = newCryptoAttr(1, "AES_CM_128_HMAC_SHA1_80", new FixedIds(2));
    expect(a.attr.keyParams).not.toBe(b.attr.keyParams);
    const parsed = parseInlineKey(a.attr.keyParams, "AES_CM_128_HMAC_SHA1_80");
    expect(parsed.ok && parsed.value.keySalt).toEqual(a.keySalt);
    const s = splitKeySalt("AES_CM_128_HMAC_SHA1_80", a.keySalt);
    expect([s.masterKey.length, s.masterSalt.length]).toEqual([16, 14]);
  });
});
