import { describe, expect, test } from "bun:test";
import { DtmfEmitter, QUEUE_MAX, parseTelephoneEvent } from "./dtmf.ts";
import { ManualClock } from "../../test/support/manual-clock.ts";

function rig() {
  const clock = new ManualClock();
  const sent: { marker: boolean; ts: number; event: number; end: boolean; duration: number }[] = [];
  const e = new DtmfEmitter({ clock, clockRate: 8000, intervalMs: 20 }, (marker, ts, payload) => {
    const p = parseTelephoneEvent(payload);
    if (p !== undefined) sent.push({ marker, ts, event: p.event, end: p.end, duration: p.duration });
  });
  let ts = 1000;
  const now = () => ts;
  return { clock, sent, e, advanceTs: (n: number) => (ts += n), now };
}

describe("DtmfEmitter.enqueue: digits that arrive while one plays", () => {
  test("a quick '12' (the second event 0.1 s into the first) becomes two events, the second after the first's end, each with its own start timestamp", () => {
    const { clock, sent, e, now, advanceTs } = rig();
    expect(e.enqueue("1", 200, now)).toBe(true);
    clock.advance(100);
    advanceTs(800);
    expect(e.enqueue("2", 200, now)).toBe(true);
    for (let i = 0; i < 40; i++) {
      clock.advance(20);
      advanceTs(160);
    }
    const events = [...new Set(sent.map((s) => `${s.event}@${s.ts}`))];
    expect(events.length).toBe(2);
    expect(sent.filter((s) => s.marker).map((s) => s.event)).toEqual([1, 2]);
    expect(sent.filter((s) => s.end).map((s) => s.event)).toEqual([1, 1, 1, 2, 2, 2]);
    const [first, second] = [sent.find((s) => s.event === 1)!, sent.find((s) => s.event === 2)!];
    expect(second.ts).toBeGreaterThan(first.ts + 1600);
    expect(e.busy).toBe(false);
  });

  test(`at most ${QUEUE_MAX} digits wait; cancel() drops the waiting ones`, () => {
    const { clock, sent, e, now } = rig();
    expect(e.enqueue("1", 100, now)).toBe(true);
    for (let i = 0; i < QUEUE_MAX; i++) expect(e.enqueue("5", 100, now)).toBe(true);
    expect(e.enqueue("9", 100, now)).toBe(false);
    expect(e.enqueue("x", 100, now)).toBe(false);
    e.cancel();
    const before = sent.length;
    clock.advance(5000);
    expect(sent.length).toBe(before);
    expect(e.busy).toBe(false);
  });

  test("no timeline yet (timestamp unknown): the digit is not sent", () => {
    const { e } = rig();
    expect(e.enqueue("1", 100, () => undefined)).toBe(false);
  });
});
