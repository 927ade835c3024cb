/** The channel audit on the recorder engine with in-memory surroundings: it ends only recordings of calls FreeSWITCH confirms gone. */
import { describe, expect, test } from "bun:test";
import { auditChannels } from "./channel-audit.ts";
import { Recorder } from "./recorder.ts";
import { Triggers } from "./triggers.ts";
import { silentLogger } from "../lib/log.ts";
import { ok } from "../lib/result.ts";
import { RecorderWorld, flush } from "../../test/support/recorder-fakes.ts";
import { fixtureEvents } from "../../test/support/esl-events.ts";

const A = "327f0dfa-fd7e-4caf-8d4f-7763a90079bb";
const ev = fixtureEvents("esl-call-plain");
const GROUPS = new Set(["default"]);

async function recording() {
  const w = new RecorderWorld();
  const rec = new Recorder(w.deps(), new Triggers([{ kind: "event", srs_groups: ["default"] }], GROUPS), GROUPS);
  for (const e of ev.slice(0, 3)) {
    rec.onEvent(e);
    await flush();
  }
  w.answerLeg("read");
  w.answerLeg("write");
  await flush();
  expect(rec.recordings.map((r) => [r.callUuid, r.status])).toEqual([[A, "recording"]]);
  return rec;
}

/** FreeSWITCH's answers: an empty channel list, and `exists` to uuid_exists. */
const fs = (exists: "true" | "false") => {
  const asked: string[] = [];
  return { asked, esl: { api: async (c: string) => (asked.push(c), ok(c.startsWith("show channels") ? '{"row_count": 0}\n' : exists)) } };
};

describe("channel audit", () => {
  test("a call missing from show channels but still in FreeSWITCH's session table (the list lags) keeps its recording", async () => {
    const rec = await recording();
    const f = fs("true");
    expect(await auditChannels({ esl: f.esl, recorder: rec, log: silentLogger })).toEqual([]);
    expect(f.asked).toEqual(["show channels as json", `uuid_exists ${A}`]);
    expect(rec.recordings[0]?.status).toBe("recording");
  });

  test("a call FreeSWITCH confirms gone has its recording stopped", async () => {
    const rec = await recording();
    await auditChannels({ esl: fs("false").esl, recorder: rec, log: silentLogger });
    await flush();
    expect(rec.recordings.map((r) => r.status)).not.toContain("recording");
  });
});
