import { describe, expect, test } from "bun:test";
import { heapStats } from "bun:jsc";
import { detach, detachOptional } from "./detach.ts";

/** Heap bytes held per kept value when each is cut out of its own 20 KiB text by `cut`. */
function heldPerValue(cut: (text: string) => string): number {
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  Bun.gc(true);
  const before = heapStats().heapSize + heapStats().extraMemorySize;
  const kept: string[] = [];
  for (let i = 0; i < 500; i++) {
    // Decoded from bytes like an ESL event: one flat string per event.
    const text = decoder.decode(encoder.encode(`Event-Name: CHANNEL_ANSWER\nChannel-Call-State: ACTIVE-${i}\n${"x".repeat(20_000)}`));
    kept.push(cut(text));
  }
  Bun.gc(true);
  const after = heapStats().heapSize + heapStats().extraMemorySize;
  expect(kept[7]).toBe("ACTIVE-7");
  return (after - before) / kept.length;
}

const value = (text: string): string => text.slice(text.indexOf("ACTIVE"), text.indexOf("\n", text.indexOf("ACTIVE")));

describe("detach", () => {
  test("a slice holds on to its whole text; a detached slice does not", () => {
    // The premise: without detach a short value costs its whole parent text (if Bun ever copies, this shows it).
    expect(heldPerValue(value)).toBeGreaterThan(10_000);
    expect(heldPerValue((t) => detach(value(t)))).toBeLessThan(500);
  });

  test("keeps the characters exactly (non-ASCII, lone surrogates, empty)", () => {
    for (const s of ["", "a", "Ünïcödé ☎", "\ud800x", "sip:1001@127.0.0.1;tag=abc"]) expect(detach(s)).toBe(s);
    expect(detachOptional(undefined)).toBeUndefined();
    expect(detachOptional("x")).toBe("x");
  });
});
