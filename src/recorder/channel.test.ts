import { describe, expect, test } from "bun:test";
import { heapStats } from "bun:jsc";
import { parseEventPlain } from "../esl/event.ts";
import { channelFromEvent } from "./channel.ts";
import { eslFrames } from "../../test/support/esl-fixtures.ts";

/** The real CHANNEL_ANSWER of the plain-event capture, with a 20 KiB variable added (a long dialplan export). */
function answerBytes(): Uint8Array {
  const frame = eslFrames("esl-call-plain").find((f) => f.body !== undefined && new TextDecoder().decode(f.body).includes("Event-Name: CHANNEL_ANSWER"));
  if (frame?.body === undefined) throw new Error("no CHANNEL_ANSWER in esl-call-plain");
  const text = new TextDecoder().decode(frame.body);
  return new TextEncoder().encode(text.replace("\n", `\nvariable_long_export: ${"x".repeat(20_000)}\n`));
}

describe("channelFromEvent", () => {
  test("a tracked channel does not hold on to its event's text", () => {
    const bytes = answerBytes();
    const keep = (k: string): boolean => k === "variable_sip_call_id" || k === "variable_sip_from_uri" || k === "variable_sip_to_uri";
    Bun.gc(true);
    const before = heapStats().heapSize + heapStats().extraMemorySize;
    const channels = [];
    for (let i = 0; i < 300; i++) {
      const e = parseEventPlain(bytes);
      if (!e.ok) throw new Error(e.error.message);
      channels.push(channelFromEvent(e.value, keep));
    }
    Bun.gc(true);
    const perChannel = (heapStats().heapSize + heapStats().extraMemorySize - before) / channels.length;
    expect(channels[0]?.callState).toBe("EARLY");
    expect(channels[0]?.headers.size).toBe(3);
    // Each event's decoded text is > 40 KiB; what a channel keeps is a few hundred bytes of values.
    expect(perChannel).toBeLessThan(8_000);
  });
});
