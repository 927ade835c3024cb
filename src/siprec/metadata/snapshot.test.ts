import { beforeAll, describe, expect, test } from "bun:test";
import { buildMetadataXml } from "./build.ts";
import { type Libxml, loadLibxml } from "./libxml.ts";
import { newMetadataId } from "./model.ts";
import { buildExtensionData, buildSnapshot, diffMetadata, isEmptyUpdate, type CallView } from "./snapshot.ts";
import { validateMetadataXsd } from "./xsd.ts";
import { FixedIds } from "../../../test/support/fixed-ids.ts";

let lib: Libxml;
beforeAll(async () => {
  lib = await loadLibxml();
});

const ids = new FixedIds(42);
const [g, s, alice, bob, carol, s1, s2, s3] = Array.from({ length: 8 }, () => newMetadataId(ids)) as [
  string,
  string,
  string,
  string,
  string,
  string,
  string,
  string,
];
const T0 = "2026-11-26T12:00:00Z";
const T1 = "2026-11-26T12:05:00Z";

const twoParty: CallView = {
  groupId: g,
  sessionId: s,
  sipSessionIds: ["ab30317f1a784dc48ff824d0d3715d86;remote=47755a9de7794ba387653f2099600ef2"],
  startTime: T0,
  participants: [
    { id: alice, aor: "sip:alice@example.com", name: "Alice", joinTime: T0 },
    { id: bob, aor: "sip:bob@example.com", joinTime: T0 },
  ],
  streams: [
    { id: s1, label: "1", senders: [alice], receivers: [bob] },
    { id: s2, label: "2", senders: [bob], receivers: [alice] },
  ],
  recordingAssociateTime: T0,
};

const valid = (xml: string) => expect(validateMetadataXsd(lib, xml)).toEqual([]);

describe("complete snapshot", () => {
  test("two-party call: who sends and receives which labelled stream", () => {
    const m = buildSnapshot(twoParty);
    valid(buildMetadataXml(m));
    expect(m.streams.map((x) => x.label)).toEqual(["1", "2"]);
    expect(m.participantStreamAssocs).toEqual([
      { participantId: alice, send: [s1], recv: [s2], extensions: [] },
      { participantId: bob, send: [s2], recv: [s1], extensions: [] },
    ]);
    expect(m.participants[1]?.nameIds).toEqual([{ aor: "sip:bob@example.com" }]);
  });
});

describe("partial updates", () => {
  const before = buildSnapshot(twoParty);

  test("no change: empty update", () => {
    expect(isEmptyUpdate(diffMetadata(before, buildSnapshot(twoParty)))).toBe(true);
  });

  test("a participant joins: only the new objects and changed associations", () => {
    const after = buildSnapshot({
      ...twoParty,
      participants: [...twoParty.participants, { id: carol, aor: "sip:carol@example.com", name: "Carol", joinTime: T1 }],
      streams: [
        { id: s1, label: "1", senders: [alice], receivers: [bob, carol] },
        { id: s2, label: "2", senders: [bob], receivers: [alice, carol] },
        { id: s3, label: "3", senders: [carol], receivers: [alice, bob] },
      ],
    });
    const d = diffMetadata(before, after);
    valid(buildMetadataXml(d));
    expect(d.datamode).toBe("partial");
    expect(d.participants.map((p) => p.id)).toEqual([carol]);
    expect(d.streams.map((x) => x.label)).toEqual(["3"]);
    expect(d.participantSessionAssocs.map((a) => a.participantId)).toEqual([carol]);
    expect(d.participantStreamAssocs.map((a) => a.participantId)).toEqual([alice, bob, carol]);
    expect(d.groups).toEqual([]);
    expect(d.sessions).toEqual([]);
  });

  test("a participant leaves: disassociate-time and no send/recv (RFC 7865 §6.8.1)", () => {
    const after = buildSnapshot({ ...twoParty, participants: [twoParty.participants[0]!, { ...twoParty.participants[1]!, leaveTime: T1 }] });
    const d = diffMetadata(before, after);
    valid(buildMetadataXml(d));
    expect(d.participantSessionAssocs).toEqual([{ participantId: bob, sessionId: s, associateTime: T0, disassociateTime: T1, params: [], extensions: [] }]);
    expect(d.participantStreamAssocs).toEqual([{ participantId: bob, send: [], recv: [], extensions: [] }]);
    expect(d.participants).toEqual([]);
  });

  test("the call ends: session stop-time and reason, recording disassociated", () => {
    const after = buildSnapshot({ ...twoParty, stopTime: T1, reason: { cause: 200, protocol: "SIP", text: "Call completed" }, recordingDisassociateTime: T1 });
    const d = diffMetadata(before, after);
    valid(buildMetadataXml(d));
    expect(d.sessions[0]).toMatchObject({ stopTime: T1, reasons: [{ cause: 200, protocol: "SIP", text: "Call completed" }] });
    expect(d.sessionRecordingAssocs[0]?.disassociateTime).toBe(T1);
  });
});

describe("extension data from the configured mapping", () => {
  const mapping = [
    { from: "header" as const, name: "Session-ID", element: "session-id" },
    { from: "header" as const, name: "User-to-User", element: "uui" },
    { from: "variable" as const, name: "account_code", element: "account" },
    { from: "variable" as const, name: "missing", element: "nothing" },
  ];
  test("values the call has, under their own namespace, in the session", () => {
    const ext = buildExtensionData(
      "urn:example:ext",
      mapping,
      new Map([
        ["session-id", "ab30317f"],
        ["User-To-User", "04a1<&>;encoding=hex"],
      ]),
      new Map([["account_code", "42"]]),
    );
    expect(ext?.children.map((c) => (typeof c === "string" ? c : [c.name, c.children[0]]))).toEqual([
      ["session-id", "ab30317f"],
      ["uui", "04a1<&>;encoding=hex"],
      ["account", "42"],
    ]);
    const xml = buildMetadataXml(buildSnapshot({ ...twoParty, ...(ext === undefined ? {} : { extensionData: ext }) }));
    valid(xml);
    expect(xml).toContain('<extensiondata xmlns="urn:example:ext">');
    expect(xml).toContain("<uui>04a1&lt;&amp;&gt;;encoding=hex</uui>");
  });
  test("nothing mapped: no element; the recording namespace is refused", () => {
    expect(buildExtensionData("urn:example:ext", mapping, new Map(), new Map())).toBeUndefined();
    expect(() => buildExtensionData("urn:ietf:params:xml:ns:recording:1", mapping, new Map(), new Map())).toThrow();
  });
});
