import { describe, expect, test } from "bun:test";
import { type EslCommand, replyTypeOf, serializeCommand } from "./command.ts";
import { sentText } from "../../test/support/esl-fixtures.ts";

function bytes(cmds: EslCommand[]): string {
  return cmds
    .map((c) => {
      const r = serializeCommand(c);
      if (!r.ok) throw new Error(r.error.message);
      return new TextDecoder().decode(r.value);
    })
    .join("");
}

const A = "327f0dfa-fd7e-4caf-8d4f-7763a90079bb";

describe("ESL commands", () => {
  test("reproduce esl-call-plain.sent byte for byte", () => {
    const broadcast = (what: string): string =>
      `uuid_broadcast ${A} event::Event-Name=CUSTOM,Event-Subclass=siprec::${what},SIPREC-Action=${what},SIPREC-Target-UUID=${A},SIPREC-Via=uuid_broadcast aleg`;
    const out = bytes([
      { kind: "auth", password: "ClueCon" },
      {
        kind: "event",
        format: "plain",
        events: [
          "CHANNEL_CREATE",
          "CHANNEL_ANSWER",
          "CHANNEL_BRIDGE",
          "CHANNEL_UNBRIDGE",
          "CHANNEL_HOLD",
          "CHANNEL_UNHOLD",
          "CHANNEL_HANGUP_COMPLETE",
          "DTMF",
          "BACKGROUND_JOB",
        ],
        subclasses: ["siprec::start", "siprec::pause", "siprec::resume", "siprec::stop"],
      },
      {
        kind: "sendevent",
        name: "CUSTOM",
        headers: [
          ["Event-Subclass", "siprec::pause"],
          ["Unique-ID", A],
          ["SIPREC-Action", "pause"],
          ["SIPREC-Target-UUID", A],
          ["SIPREC-Via", "sendevent-with-unique-id"],
        ],
      },
      {
        kind: "sendevent",
        name: "CUSTOM",
        headers: [
          ["Event-Subclass", "siprec::pause"],
          ["SIPREC-Action", "pause"],
          ["SIPREC-Target-UUID", A],
          ["SIPREC-Via", "sendevent"],
        ],
      },
      {
        kind: "sendevent",
        name: "CUSTOM",
        headers: [
          ["Event-Subclass", "siprec::resume"],
          ["SIPREC-Action", "resume"],
          ["SIPREC-Target-UUID", A],
          ["SIPREC-Via", "sendevent"],
        ],
      },
      { kind: "bgapi", command: `uuid_getvar ${A} siprec_session_id` },
      { kind: "api", command: broadcast("pause") },
      { kind: "api", command: broadcast("resume") },
      { kind: "exit" },
    ]);
    expect(out).toBe(sentText("esl-call-plain"));
  });

  test("a bgapi with the client's Job-UUID is written as esl-tap-legs.sent shows", () => {
    const sent = sentText("esl-tap-legs");
    const cmd = sent.split("\n\n").find((c) => c.includes("Job-UUID"))!;
    const [first, header] = cmd.split("\n");
    expect(bytes([{ kind: "bgapi", command: first!.slice("bgapi ".length), jobUuid: header!.slice("Job-UUID: ".length) }])).toBe(`${cmd}\n\n`);
  });

  test("CUSTOM always goes last in a subscription, and subclasses follow it", () => {
    expect(bytes([{ kind: "event", format: "json", events: ["CUSTOM", "DTMF"], subclasses: ["siprec::start"] }])).toBe(
      "event json DTMF CUSTOM siprec::start\n\n",
    );
  });

  test("sendevent with a body ends exactly at the body", () => {
    expect(bytes([{ kind: "sendevent", name: "CUSTOM", headers: [["Event-Subclass", "siprec::failed"]], body: "né" }])).toBe(
      "sendevent CUSTOM\nEvent-Subclass: siprec::failed\ncontent-length: 3\n\nné",
    );
  });

  test("sendmsg execute and filter", () => {
    expect(
      bytes([
        {
          kind: "sendmsg",
          uuid: A,
          headers: [
            ["call-command", "execute"],
            ["execute-app-name", "playback"],
            ["execute-app-arg", "/tmp/x.wav"],
          ],
        },
      ]),
    ).toBe(`sendmsg ${A}\ncall-command: execute\nexecute-app-name: playback\nexecute-app-arg: /tmp/x.wav\n\n`);
    expect(
      bytes([
        { kind: "filter", header: "Unique-ID", value: A },
        { kind: "filter-delete", header: "Unique-ID", value: A },
      ]),
    ).toBe(`filter Unique-ID ${A}\n\nfilter delete Unique-ID ${A}\n\n`);
  });

  test("line breaks in any argument or header are refused, never sent", () => {
    const bad: EslCommand[] = [
      { kind: "api", command: "status\n\napi fsctl shutdown" },
      { kind: "auth", password: "x\r\n" },
      { kind: "bgapi", command: "status", jobUuid: "a\nb" },
      { kind: "sendevent", name: "CUSTOM", headers: [["X", "1\n\nexit"]] },
      { kind: "sendmsg", uuid: A, headers: [["a:b", "c"]] },
    ];
    for (const c of bad) expect(serializeCommand(c)).toMatchObject({ ok: false, error: { code: "ESL_COMMAND_INJECTION" } });
    expect(serializeCommand({ kind: "api", command: " " })).toMatchObject({ ok: false, error: { code: "ESL_COMMAND_EMPTY" } });
  });

  test("api gets api/response, the rest command/reply", () => {
    expect(replyTypeOf({ kind: "api", command: "status" })).toBe("api/response");
    expect(replyTypeOf({ kind: "bgapi", command: "status" })).toBe("command/reply");
  });
});
