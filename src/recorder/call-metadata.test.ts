import { beforeAll, describe, expect, test } from "bun:test";
import { rfc7989SessionIds, CallMetadata, labelOfTap, labelsFor, metadataHeaderFilter } from "./call-metadata.ts";
import { channelFromEvent } from "./channel.ts";
import { buildSnapshot, diffMetadata } from "../siprec/metadata/snapshot.ts";
import { buildMetadataXml } from "../siprec/metadata/build.ts";
import { validateMetadataXsd } from "../siprec/metadata/xsd.ts";
import { type Libxml, loadLibxml } from "../siprec/metadata/libxml.ts";
import { FixedIds } from "../../test/support/fixed-ids.ts";
import { fixtureEvents, withHeaders } from "../../test/support/esl-events.ts";

let lib: Libxml;
beforeAll(async () => {
  lib = await loadLibxml();
});

const ev = fixtureEvents("esl-call-plain");
const a = channelFromEvent(ev[2]!)!; // siprec::start: full A-leg data with the dialplan's variables
const b = channelFromEvent(ev[4]!)!;
const mapping = {
  namespace: "urn:x-siprec:extension:1",
  map: [
    { from: "variable" as const, name: "siprec_tenant", element: "tenant" },
    { from: "header" as const, name: "Call-ID", element: "call-id" },
    { from: "variable" as const, name: "absent", element: "absent" },
  ],
};
const T0 = Date.UTC(2026, 10, 26, 21, 40, 46);

describe("sipSessionID is the RFC 7989 Session-ID (RFC 7865 §6.2)", () => {
  test("from FreeSWITCH's session_uuid/remote_session_uuid, else the raw header, else none", () => {
    const vars = (o: Record<string, string>) => new Map(Object.entries(o));
    expect(
      rfc7989SessionIds(vars({ variable_session_uuid: "AB30317F1A784DC48FF824D0D3715D86", variable_remote_session_uuid: "47755a9de7794ba387653f2099600ef2" })),
    ).toEqual(["ab30317f1a784dc48ff824d0d3715d86;remote=47755a9de7794ba387653f2099600ef2"]);
    expect(rfc7989SessionIds(vars({ variable_session_uuid: "ab30317f1a784dc48ff824d0d3715d86" }))).toEqual(["ab30317f1a784dc48ff824d0d3715d86"]);
    expect(rfc7989SessionIds(vars({ variable_sip_i_session_id: "ab30317f1a784dc48ff824d0d3715d86 ; remote=00000000000000000000000000000000" }))).toEqual([
      "ab30317f1a784dc48ff824d0d3715d86;remote=00000000000000000000000000000000",
    ]);
    expect(rfc7989SessionIds(vars({ variable_sip_call_id: "1-5443@127.0.0.1", variable_sip_i_session_id: "not-a-uuid" }))).toEqual([]);
  });
});

describe("call metadata from FreeSWITCH channel data", () => {
  test("separate streams: caller and callee from the captured call, label 1 = caller speaks, label 2 = callee speaks; schema-valid", () => {
    const m = new CallMetadata(new FixedIds(), a, "separate", mapping, T0);
    m.bridgedTo(b, T0 + 500);
    const v = m.view();
    // No RFC 7989 Session-ID on the captured call: no <sipSessionID> (the Call-ID is not one); the mapped Call-ID is extension data.
    expect(v.sipSessionIds).toEqual([]);
    expect(JSON.stringify(v.extensionData)).toContain("1-5443@127.0.0.1");
    const live = v.participants.filter((p) => p.leaveTime === undefined);
    expect(live.map((p) => [p.aor, p.name])).toEqual([
      ["sip:1001@127.0.0.1:5070", "Lab UAC"],
      ["sip:callee@127.0.0.1:5092", undefined],
    ]);
    const [caller, callee] = live;
    expect(v.streams.map((s) => [s.label, s.senders, s.receivers])).toEqual([
      ["1", [caller!.id], [callee!.id]],
      ["2", [callee!.id], [caller!.id]],
    ]);
    const xml = buildMetadataXml(buildSnapshot(v));
    expect(validateMetadataXsd(lib, xml)).toEqual([]);
    expect(xml).toContain("<tenant>lab</tenant>");
    expect(xml).toContain("<call-id>1-5443@127.0.0.1</call-id>");
    expect(xml).not.toContain("absent");
    expect(labelsFor("separate")).toEqual(["1", "2"]);
  });

  test("mixed: one stream both parties send", () => {
    const m = new CallMetadata(new FixedIds(), a, "mixed", mapping, T0);
    const v = m.view();
    expect(v.streams).toHaveLength(1);
    // RFC 8068 §3.3.1: every participant sends and receives the mixed stream.
    expect(v.streams[0]!.senders).toHaveLength(2);
    expect(v.streams[0]!.receivers).toEqual(v.streams[0]!.senders);
  });

  test("hold and unhold are metadata changes: every recv removed while held, restored after (RFC 7865 §6.8.1), as partial updates", () => {
    const m = new CallMetadata(new FixedIds(), a, "separate", mapping, T0);
    m.bridgedTo(b, T0 + 500);
    const before = buildSnapshot(m.view());
    expect(m.hold(true)).toBe(true);
    expect(m.hold(true)).toBe(false);
    const held = buildSnapshot(m.view());
    expect(held.participantStreamAssocs.map((x) => x.recv)).toEqual([[], []]);
    expect(held.participantStreamAssocs.every((x) => x.send.length === 1)).toBe(true);
    const partial = diffMetadata(before, held);
    expect(partial.participantStreamAssocs).toHaveLength(2);
    expect(partial.participants).toEqual([]);
    m.hold(false);
    expect(buildSnapshot(m.view()).participantStreamAssocs).toEqual(before.participantStreamAssocs);
  });

  test("a transfer to a new leg: the old callee leaves, the new one joins, as a partial update; the same leg twice changes nothing", () => {
    const m = new CallMetadata(new FixedIds(), a, "separate", mapping, T0);
    expect(m.bridgedTo(b, T0 + 500)).toBe(true);
    const before = buildSnapshot(m.view());
    const c = channelFromEvent(
      withHeaders(ev[4]!, {
        "Unique-ID": "0c0c0c0c-0000-4000-8000-000000000001",
        variable_sip_to_uri: "agent2@127.0.0.1:5094",
        "Caller-Callee-ID-Name": "Agent Two",
      }),
    )!;
    expect(m.bridgedTo(c, T0 + 9000)).toBe(true);
    expect(m.bridgedTo(c, T0 + 9500)).toBe(false);
    const after = buildSnapshot(m.view());
    const partial = diffMetadata(before, after);
    expect(partial.participants.map((p) => p.nameIds[0]!.aor)).toEqual(["sip:agent2@127.0.0.1:5094"]);
    expect(partial.participantSessionAssocs.filter((x) => x.disassociateTime !== undefined)).toHaveLength(1);
    expect(validateMetadataXsd(lib, buildMetadataXml(partial))).toEqual([]);
    const streams = m.view().streams;
    expect(streams[1]!.senders).toEqual([after.participants.at(-1)!.id]);
  });

  test("parties named by the dialplan win over channel data, and a bridge does not replace them", () => {
    const m = new CallMetadata(new FixedIds(), a, "separate", mapping, T0, undefined, {
      caller: { name: "Jane Doe", aor: "sip:+15551230001@carrier.example" },
      callee: { name: "Sales", aor: "sip:queue-sales@pbx.example" },
    });
    expect(m.bridgedTo(b, T0 + 500)).toBe(false);
    expect(m.view().participants.map((p) => [p.name, p.aor])).toEqual([
      ["Jane Doe", "sip:+15551230001@carrier.example"],
      ["Sales", "sip:queue-sales@pbx.example"],
    ]);
    expect(validateMetadataXsd(lib, buildMetadataXml(buildSnapshot(m.view())))).toEqual([]);
  });

  test("a group id carried over a restart is kept", () => {
    expect(new CallMetadata(new FixedIds(), a, "separate", mapping, T0, "AAAAAAAAQACAAAAAAAAAAA==").view().groupId).toBe("AAAAAAAAQACAAAAAAAAAAA==");
  });
});

describe("labelOfTap: labels stay by party whichever leg is recorded", () => {
  test("inbound channel (A-leg): read hears the caller → 1, write the callee → 2", () => {
    expect([labelOfTap("read", "inbound"), labelOfTap("write", "inbound")]).toEqual(["1", "2"]);
  });
  test("outbound channel (B-leg): read hears the callee → 2, write the caller → 1", () => {
    expect([labelOfTap("read", "outbound"), labelOfTap("write", "outbound")]).toEqual(["2", "1"]);
  });
});

describe("a tracked channel keeps only the headers the metadata reads", () => {
  test("the captured A-leg's ~200 headers shrink to the SIP ones and the mapped variable; the metadata built from them is the same", () => {
    const keep = metadataHeaderFilter(() => mapping);
    const slim = channelFromEvent(ev[2]!, keep)!;
    expect(ev[2]!.headers.size).toBeGreaterThan(150);
    expect(slim.headers.size).toBeLessThan(ev[2]!.headers.size / 5);
    expect(a.headers.get("variable_siprec_tenant")).toBeDefined();
    expect(slim.headers.get("variable_siprec_tenant")).toBe(a.headers.get("variable_siprec_tenant"));
    expect(slim.headers.get("variable_sip_call_id")).toBe("1-5443@127.0.0.1");
    expect([...slim.headers.keys()].every((k) => k.startsWith("variable_"))).toBe(true);
    const full = new CallMetadata(new FixedIds(), a, "separate", mapping, T0).view();
    const trimmed = new CallMetadata(new FixedIds(), slim, "separate", mapping, T0).view();
    expect(JSON.stringify(trimmed)).toBe(JSON.stringify(full));
  });
});
