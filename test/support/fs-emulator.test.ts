import { expect, test } from "bun:test";
import { EslFramer } from "../../src/esl/frame.ts";
import { parseEventFrame } from "../../src/esl/event.ts";
import { jsonFromPlainFrame } from "./fs-emulator.ts";
import { rawFrames } from "./esl-replay-server.ts";

test("the emulator's event json encoding reads back as the same event as FreeSWITCH's plain frame (headers in order, body)", () => {
  const frames = rawFrames("esl-tap-legs").filter((f) => new TextDecoder().decode(f.subarray(0, 120)).includes("text/event-plain"));
  expect(frames.length).toBeGreaterThan(50);
  const read = (bytes: Uint8Array) => {
    const got = new EslFramer().push(bytes);
    if (!got.ok || got.value.length !== 1) throw new Error("one frame expected");
    const e = parseEventFrame(got.value[0]!);
    if (!e.ok) throw new Error(e.error.message);
    return { name: e.value.name, subclass: e.value.subclass, headers: [...e.value.headers].filter(([k]) => k !== "Content-Length"), body: e.value.body };
  };
  let withBody = 0;
  for (const f of frames) {
    const plain = read(f);
    if (plain.body !== undefined) withBody++;
    expect(read(jsonFromPlainFrame(f))).toEqual(plain);
  }
  expect(withBody).toBeGreaterThan(0); // BACKGROUND_JOB bodies ride as "_body"
});
