/** Channel data, the call table, triggers and tap originates, on the real FreeSWITCH events. */
import { describe, expect, test } from "bun:test";
import { channelFromEvent } from "./channel.ts";
import { CallTable, channelUuidsFromShow } from "./call-table.ts";
import { type TriggerConfig, Triggers } from "./triggers.ts";
import { TAP_LEG_ACCOUNTING, originateOutcome, tapOriginateCommand } from "./tap-command.ts";
import { fixtureEvents, withHeaders } from "../../test/support/esl-events.ts";
import { sentCommands } from "../../test/support/esl-fixtures.ts";

const A = "327f0dfa-fd7e-4caf-8d4f-7763a90079bb";
const B = "f4f5b02e-08df-43f9-a39c-0be47a4b5228";
const TAP_A = "656b9548-eba2-4e82-bf16-119977caa1fc";
const GROUPS = new Set(["default", "backup"]);
const eventTrigger: TriggerConfig = { kind: "event", srs_groups: ["default"] };

describe("channel data from events", () => {
  test("the A-leg of esl-call-plain", () => {
    const answer = fixtureEvents("esl-call-plain")[1]!;
    expect(channelFromEvent(answer)).toMatchObject({
      uuid: A,
      name: "sofia/internal/1001@127.0.0.1:5070",
      direction: "inbound",
      callerIdName: "Lab UAC",
      callerIdNumber: "1001",
      destination: "siprec-bridge",
      context: "lab",
      profile: "internal",
      fromUri: "1001@127.0.0.1:5070",
      toUri: "siprec-bridge@127.0.0.1:5060",
      sipCallId: "1-5443@127.0.0.1",
      readCodec: "PCMU",
      readRate: 8000,
      originator: undefined,
      tapOf: undefined,
      answered: true,
    });
  });

  test("the B-leg names its originator; a tap leg names its recording; a bare sendevent has no channel", () => {
    const ev = fixtureEvents("esl-call-plain");
    expect(channelFromEvent(ev[4]!)).toMatchObject({ uuid: B, direction: "outbound", originator: A, otherLegUuid: A });
    expect(channelFromEvent(ev[6]!)).toBeUndefined();
    const tap = fixtureEvents("esl-tap-legs")[18]!;
    expect(channelFromEvent(tap)).toMatchObject({ tapOf: "34b54d89-ba79-4813-a8ff-8fa4b9115fb6", direction: "outbound" });
  });
});

describe("call table", () => {
  test("esl-call-plain: answer, bridge to B, DTMF, hold/unhold, unbridge, hangups; nothing left after", () => {
    const table = new CallTable();
    const changes = fixtureEvents("esl-call-plain").flatMap((e) => table.apply(e));
    expect(changes).toEqual([
      { kind: "answer", uuid: A },
      { kind: "answer", uuid: B },
      { kind: "bridge", uuid: A, otherUuid: B, previousOtherUuid: undefined },
      { kind: "dtmf", uuid: A, digit: "5", durationSamples: 1600 },
      { kind: "hold", uuid: A },
      { kind: "unhold", uuid: A },
      { kind: "unbridge", uuid: A, otherUuid: B },
      { kind: "hangup", uuid: B, cause: "NORMAL_CLEARING" },
      { kind: "hangup", uuid: A, cause: "NORMAL_CLEARING" },
    ]);
    expect(table.size).toBe(0);
  });

  test("a re-bridge to a new leg (transfer) reports the previous other leg", () => {
    const table = new CallTable();
    const ev = fixtureEvents("esl-call-plain");
    for (const e of ev.slice(0, 6)) table.apply(e);
    expect(table.peer(A)?.info.uuid).toBe(B);
    const C = "0c0c0c0c-0000-4000-8000-000000000001";
    const rebridge = withHeaders(ev[5]!, { "Bridge-B-Unique-ID": C, "Other-Leg-Unique-ID": C });
    expect(table.apply(rebridge)).toEqual([{ kind: "bridge", uuid: A, otherUuid: C, previousOtherUuid: B }]);
    expect(table.apply(rebridge)).toEqual([]);
  });

  test("resync from `show channels as json` drops channels FreeSWITCH no longer has", () => {
    const table = new CallTable();
    for (const e of fixtureEvents("esl-call-plain").slice(0, 6)) table.apply(e);
    expect(channelUuidsFromShow('{"row_count": 0}\n')).toEqual([]);
    expect(channelUuidsFromShow(`{"row_count":1,"rows":[{"uuid":"${A}","name":"x"}]}`)).toEqual([A]);
    expect(channelUuidsFromShow("-ERR no reply\n")).toBeUndefined();
    expect(table.resync([A])).toEqual([B]);
    expect(table.size).toBe(1);
  });

  test("bounded: past the limit the oldest channel is evicted and counted", () => {
    const table = new CallTable(2);
    const create = fixtureEvents("esl-call-plain")[0]!;
    for (let i = 0; i < 5; i++) table.apply(withHeaders(create, { "Unique-ID": `00000000-0000-4000-8000-00000000000${i}` }));
    expect(table.size).toBe(2);
    expect(table.evicted).toBe(3);
  });
});

describe("triggers", () => {
  test("esl-call-plain with an event trigger: start, the delivered pauses/resumes, stop — all for A", () => {
    const t = new Triggers([eventTrigger], GROUPS);
    const intents = fixtureEvents("esl-call-plain").flatMap((e) => t.evaluate(e).intents);
    expect(intents.map((i) => [i.action, i.callUuid, i.srsGroups])).toEqual([
      ["start", A, ["default"]],
      ["pause", A, undefined],
      ["resume", A, undefined],
      ["pause", A, undefined],
      ["resume", A, undefined],
      ["stop", A, ["default"]],
    ]);
    expect(t.subclasses).toEqual(["siprec::start", "siprec::pause", "siprec::resume", "siprec::stop"]);
  });

  test("a variable trigger fires on the A-leg only (not B, not our tap legs) and its value names the group", () => {
    const t = new Triggers([{ kind: "variable", variable: "siprec_srs", on: "answer", srs_groups: ["backup"] }], GROUPS);
    const intents = fixtureEvents("esl-tap-legs").flatMap((e) => t.evaluate(e).intents);
    expect(intents).toEqual([{ action: "start", callUuid: TAP_A, srsGroups: ["default"], streams: undefined, source: "variable" }]);
    const exported = new Triggers([{ kind: "variable", variable: "siprec_exported", on: "answer", srs_groups: ["backup"] }], GROUPS);
    expect(
      fixtureEvents("esl-tap-legs")
        .flatMap((e) => exported.evaluate(e).intents)
        .map((i) => [i.callUuid, i.srsGroups]),
    ).toEqual([[TAP_A, ["backup"]]]);
  });

  test("rules match call fields at answer; a rule that matches nothing records nothing", () => {
    const hit = new Triggers(
      [{ kind: "rule", match: { context: "^lab$", destination: "^siprec-", direction: "inbound" }, srs_groups: ["default"], streams: "mixed" }],
      GROUPS,
    );
    expect(fixtureEvents("esl-tap-legs").flatMap((e) => hit.evaluate(e).intents)).toEqual([
      { action: "start", callUuid: TAP_A, srsGroups: ["default"], streams: "mixed", source: "rule" },
    ]);
    const miss = new Triggers([{ kind: "rule", match: { direction: "outbound" }, srs_groups: ["default"] }], GROUPS);
    expect(fixtureEvents("esl-tap-legs").flatMap((e) => miss.evaluate(e).intents)).toEqual([]);
  });

  test("bad CUSTOM events: unknown group, bad stream mode, no target — a problem naming the call, no intent", () => {
    const t = new Triggers([eventTrigger], GROUPS);
    const start = fixtureEvents("esl-call-plain")[2]!;
    expect(t.evaluate(withHeaders(start, { "SIPREC-SRS": "nice-prod" }))).toEqual({
      intents: [],
      problems: [{ code: "TRIGGER_UNKNOWN_GROUP", message: "siprec::start names SRS group(s) not in the config: nice-prod", callUuid: A }],
    });
    expect(t.evaluate(withHeaders(start, { "SIPREC-Streams": "stereo" })).problems[0]?.code).toBe("TRIGGER_BAD_STREAMS");
    expect(t.evaluate(withHeaders(start, { "SIPREC-Target-UUID": undefined, "Unique-ID": undefined })).problems[0]?.code).toBe("TRIGGER_NO_TARGET");
    expect(t.evaluate(withHeaders(start, { "SIPREC-SRS": "default,backup", "SIPREC-Streams": "mixed" })).intents[0]).toMatchObject({
      srsGroups: ["default", "backup"],
      streams: "mixed",
    });
  });

  test("SIPREC-Caller / SIPREC-Callee on siprec::start name the parties; a malformed one is refused", () => {
    const t = new Triggers([eventTrigger], GROUPS);
    const start = fixtureEvents("esl-call-plain")[2]!;
    const ok = t.evaluate(
      withHeaders(start, { "SIPREC-Caller": '"Jane Doe" <sip:+15551230001@carrier.example>', "SIPREC-Callee": "sip:queue-sales@pbx.example" }),
    );
    expect(ok.intents[0]?.parties).toEqual({
      caller: { name: "Jane Doe", aor: "sip:+15551230001@carrier.example" },
      callee: { name: "", aor: "sip:queue-sales@pbx.example" },
    });
    const bad = t.evaluate(withHeaders(start, { "SIPREC-Caller": "Jane <javascript:alert(1)>" }));
    expect(bad.problems[0]?.code).toBe("TRIGGER_BAD_PARTY");
    expect(bad.intents).toEqual([]);
  });

  test("without an event trigger, CUSTOM siprec events are not subscribed and do nothing", () => {
    const t = new Triggers([{ kind: "rule", match: { context: "^nothing$" }, srs_groups: ["default"] }], GROUPS);
    expect(t.subclasses).toEqual([]);
    expect(fixtureEvents("esl-call-plain").flatMap((e) => t.evaluate(e).intents)).toEqual([]);
  });
});

describe("tap-leg originate", () => {
  const base = {
    callUuid: TAP_A,
    codec: "PCMU",
    profile: "internal",
    host: "127.0.0.1",
    port: 5090,
    recordingId: "34b54d89-ba79-4813-a8ff-8fa4b9115fb6",
  };

  test("reproduces the originates of esl-tap-legs.sent (read, write, both) byte for byte, plus the accounting variables added since", () => {
    const sent = sentCommands("esl-tap-legs");
    const legs = [
      ["f0111d3c-842e-4095-932d-db77b8a72b61", "read"],
      ["b0f47a72-dca6-4356-8086-42a6627bab99", "write"],
      ["2ff93631-f2c1-4139-910a-35bc8d0a5e72", "both"],
    ] as const;
    for (const [legUuid, direction] of legs) {
      const cmd = tapOriginateCommand({ ...base, legUuid, direction });
      expect(cmd.ok).toBe(true);
      expect(cmd.ok && cmd.value).toContain(`,${TAP_LEG_ACCOUNTING.join(",")}}sofia/`);
      const captured = cmd.ok ? cmd.value.replace(`,${TAP_LEG_ACCOUNTING.join(",")}}`, "}") : "";
      expect(sent.some((s) => s.split("\n")[0] === `bgapi ${captured}`)).toBe(true);
    }
  });

  test("adds the per-recording token, and refuses values that could break out of the command", () => {
    const ok = tapOriginateCommand({ ...base, legUuid: "f0111d3c-842e-4095-932d-db77b8a72b61", direction: "read", token: "t0k3n" });
    expect(ok.ok && ok.value).toContain(`,sip_h_X-Siprec-Token=t0k3n,${TAP_LEG_ACCOUNTING.join(",")}}sofia/internal/tap@127.0.0.1:5090 `);
    for (const bad of [{ callUuid: `${TAP_A}) '&park()` }, { codec: "PCMU,foo=bar" }, { profile: "internal}x" }, { token: "a b" }, { port: 70000 }]) {
      expect(tapOriginateCommand({ ...base, legUuid: "f0111d3c-842e-4095-932d-db77b8a72b61", direction: "read", ...bad })).toMatchObject({
        ok: false,
        error: { code: "TAP_BAD_VALUE" },
      });
    }
  });

  test("originate outcomes from the captured BACKGROUND_JOB bodies", () => {
    expect(originateOutcome("+OK f0111d3c-842e-4095-932d-db77b8a72b61\n")).toEqual({ ok: true, legUuid: "f0111d3c-842e-4095-932d-db77b8a72b61" });
    expect(originateOutcome("-ERR NORMAL_TEMPORARY_FAILURE\n")).toEqual({ ok: false, cause: "NORMAL_TEMPORARY_FAILURE" });
    expect(originateOutcome("")).toEqual({ ok: false, cause: "EMPTY_REPLY" });
  });
});
