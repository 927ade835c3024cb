import { describe, expect, test } from "bun:test";
import { type EslEvent, eventKey, headerArray, parseEventJson, parseEventPlain, urlDecode } from "./event.ts";
import type { EslFixture } from "../../test/support/esl-fixtures.ts";
import { fixtureEvents } from "../../test/support/esl-events.ts";

const A_PLAIN = "327f0dfa-fd7e-4caf-8d4f-7763a90079bb";
const A_JSON = "51de1bd1-b331-4179-98c2-a3a8cabd93be";

const events = (name: EslFixture): EslEvent[] => fixtureEvents(name);

const ORDER = [
  "CHANNEL_CREATE",
  "CHANNEL_ANSWER",
  "CUSTOM/siprec::start",
  "CHANNEL_CREATE",
  "CHANNEL_ANSWER",
  "CHANNEL_BRIDGE",
  "CUSTOM/siprec::pause",
  "CUSTOM/siprec::resume",
  "DTMF",
  "BACKGROUND_JOB",
  "CHANNEL_HOLD",
  "CHANNEL_UNHOLD",
  "CUSTOM/siprec::pause",
  "CUSTOM/siprec::resume",
  "CUSTOM/siprec::stop",
  "CHANNEL_UNBRIDGE",
  "CHANNEL_HANGUP_COMPLETE",
  "CHANNEL_HANGUP_COMPLETE",
];

describe("ESL events from the real captures", () => {
  for (const [name, a] of [
    ["esl-call-plain", A_PLAIN],
    ["esl-call-json", A_JSON],
  ] as const) {
    test(`${name}: the 18 events in the README's order, with its facts`, () => {
      const ev = events(name);
      expect(ev.map(eventKey)).toEqual(ORDER);
      const start = ev[2]!;
      expect(start.headers.get("Unique-ID")).toBe(a);
      expect(start.headers.get("variable_siprec_srs")).toBe("default");
      expect(start.headers.get("variable_siprec_session_id")).toBe(`lab-${a}`);
      expect(start.headers.get("variable_siprec_tenant")).toBe("lab");
      expect(start.headers.get("variable_siprec_exported")).toBe("yes");
      expect(start.headers.get("Event-Calling-Function")).toBe("event_function");
      expect([...start.headers.keys()][0]).toBe("Event-Subclass");
      // URL-decoded: ':' and '@' come back, '/' was never encoded.
      expect(ev[0]!.headers.get("Channel-Name")).toBe("sofia/internal/1001@127.0.0.1:5070");
      expect(ev[0]!.headers.get("Caller-Destination-Number")).toBe("siprec-bridge");
      expect(ev[0]!.headers.get("Caller-Context")).toBe("lab");
      // The sendevent without Unique-ID is delivered bare; the one with it never appears.
      const pause = ev[6]!;
      expect(pause.headers.get("SIPREC-Via")).toBe("sendevent");
      expect(pause.headers.has("Unique-ID")).toBe(false);
      expect(pause.headers.get("Event-Calling-Function")).toBe("parse_command");
      expect(ev.some((e) => e.headers.get("SIPREC-Via") === "sendevent-with-unique-id")).toBe(false);
      // uuid_broadcast takes " aleg" as its leg argument, so the header ends before it.
      expect(ev[12]!.headers.get("SIPREC-Via")).toBe("uuid_broadcast");
      expect(ev[14]!.headers.get("Hangup-Cause")).toBe("NORMAL_CLEARING");
      expect(ev[8]!.headers.get("DTMF-Digit")).toBe("5");
      expect(ev[8]!.headers.get("DTMF-Duration")).toBe("1600");
      expect(ev[8]!.headers.get("DTMF-Source")).toBe("RTP");
      expect(ev[10]!.headers.get("Channel-Call-State")).toBe("HELD");
      const job = ev[9]!;
      expect(job.headers.get("Job-Command")).toBe("uuid_getvar");
      expect(job.headers.get("Job-Command-Arg")).toBe(`${a} siprec_session_id`);
      expect(job.body).toBe(`lab-${a}`);
      expect(job.body!.length).toBe(40);
    });
  }

  test("esl-call-plain: header counts 163 (start), 19 (sendevent), 212 (uuid_broadcast)", () => {
    const ev = events("esl-call-plain");
    expect(ev[2]!.headers.size).toBe(163);
    expect(ev[6]!.headers.size).toBe(19);
    expect(ev[12]!.headers.size).toBe(212);
    expect(ev[13]!.headers.size).toBe(212);
  });

  test("plain and JSON runs carry the same header names for the same events", () => {
    const plain = events("esl-call-plain");
    const json = events("esl-call-json");
    const differing = plain.filter((p, i) => {
      const j = new Set(json[i]!.headers.keys());
      return [...p.headers.keys()].some((k) => !j.has(k) && !k.startsWith("variable_"));
    });
    expect(differing.map(eventKey)).toEqual([]);
  });

  test("esl-tap-legs: BACKGROUND_JOB bodies of the originates", () => {
    const jobs = events("esl-tap-legs").filter((e) => e.name === "BACKGROUND_JOB");
    expect(jobs.map((j) => [j.headers.get("Job-UUID"), j.body])).toEqual([
      ["7f6d642a-7396-49e1-b7b0-f14ab24012ab", "+OK f0111d3c-842e-4095-932d-db77b8a72b61\n"],
      ["51bba95d-94ca-471f-8741-569983096147", "+OK b0f47a72-dca6-4356-8086-42a6627bab99\n"],
      ["ae7c06cb-ab90-4ca5-b769-74f24735746f", "-ERR NORMAL_TEMPORARY_FAILURE\n"],
      ["ec67a290-568b-4c80-aabf-789b47d1225c", "+OK 2ff93631-f2c1-4139-910a-35bc8d0a5e72\n"],
    ]);
  });
});

describe("ESL events: bad input", () => {
  const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

  test("an inner Content-Length longer than the body is refused", () => {
    const r = parseEventPlain(enc("Event-Name: BACKGROUND_JOB\nContent-Length: 99\n\nshort"));
    expect(!r.ok && r.error.code).toBe("ESL_EVENT_BAD_LENGTH");
  });

  test("a JSON _body that disagrees with its Content-Length is refused", () => {
    const r = parseEventJson('{"Event-Name":"BACKGROUND_JOB","Content-Length":"3","_body":"four"}');
    expect(!r.ok && r.error.code).toBe("ESL_EVENT_BAD_LENGTH");
  });

  test("events without a name, non-object JSON and non-string values are refused with their code", () => {
    expect(parseEventPlain(enc("Core-UUID: x\n\n"))).toMatchObject({ ok: false, error: { code: "ESL_EVENT_NO_NAME" } });
    expect(parseEventJson("[1]")).toMatchObject({ ok: false, error: { code: "ESL_EVENT_BAD_JSON" } });
    expect(parseEventJson('{"Event-Name":"X","n":1}')).toMatchObject({ ok: false, error: { code: "ESL_EVENT_BAD_JSON" } });
    expect(parseEventJson("{")).toMatchObject({ ok: false, error: { code: "ESL_EVENT_BAD_JSON" } });
  });

  test("JSON arrays and plain ARRAY:: values come out alike", () => {
    const j = parseEventJson('{"Event-Name":"X","v":["a","b"]}');
    const p = parseEventPlain(enc("Event-Name: X\nv: ARRAY::a|:b\n\n"));
    expect(j.ok && p.ok && j.value.headers.get("v") === p.value.headers.get("v")).toBe(true);
    expect(headerArray("ARRAY::a|:b")).toEqual(["a", "b"]);
  });

  test("malformed percent escapes are kept as written, good ones decoded", () => {
    expect(urlDecode("a%20b%ZZc%3A")).toBe("a b%ZZc:");
    expect(urlDecode("%E2%82%AC%FF")).toBe("€%FF");
    expect(urlDecode("+OK")).toBe("+OK");
  });
});
