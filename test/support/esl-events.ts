/** The events of an ESL capture, parsed (for tests of what consumes them). */
import { type EslEvent, parseEventFrame } from "../../src/esl/event.ts";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { EslFramer } from "../../src/esl/frame.ts";
import { type EslFixture, eslFrames } from "./esl-fixtures.ts";
import { FIXTURES } from "./vectors.ts";

export function fixtureEvents(name: EslFixture): EslEvent[] {
  return eslFrames(name)
    .filter((f) => f.contentType.startsWith("text/event-"))
    .map((f) => {
      const e = parseEventFrame(f);
      if (!e.ok) throw new Error(`${name}: ${e.error.message}`);
      return e.value;
    });
}

/** A copy of an event with some headers replaced (undefined removes one). */
export function withHeaders(e: EslEvent, changes: Record<string, string | undefined>): EslEvent {
  const headers = new Map(e.headers);
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) headers.delete(k);
    else headers.set(k, v);
  }
  const name = headers.get("Event-Name") ?? e.name;
  return { name, subclass: name === "CUSTOM" ? headers.get("Event-Subclass") : undefined, headers, body: e.body };
}

/** The events of the media-bug capture (test/fixtures/freeswitch-media-bug: RECORD_START/STOP, MEDIA_BUG_START/STOP of a uuid_record into a pipe). */
export function mediaBugEvents(): EslEvent[] {
  const bytes = new Uint8Array(readFileSync(join(FIXTURES, "freeswitch-media-bug", "esl-media-bug.esl")));
  const r = new EslFramer().push(bytes);
  if (!r.ok) throw new Error(`esl-media-bug: ${r.error.message}`);
  return r.value
    .filter((f) => f.contentType.startsWith("text/event-"))
    .map((f) => {
      const e = parseEventFrame(f);
      if (!e.ok) throw new Error(`esl-media-bug: ${e.error.message}`);
      return e.value;
    });
}
