/**
 * A SIPREC session as it would appear in a capture taken between an SRC
 * (10.1.1.1) and an SRS (10.2.2.2): INVITE with multipart SDP (two sendonly
 * m-lines labelled "10" and "11") and RFC 7865 metadata, a 200 OK whose
 * recvonly SDP does not repeat the labels (they map by position), ACK, the
 * audio of the fixture call `1-5700@127.0.0.1` (caller 440 Hz → label 10,
 * callee 880 Hz → label 11) sent to the SRS's ports, BYE. Built from the
 * real fixture's RTP bytes and timing; only the SIP around it is ours.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CaptureReader } from "../../src/pcap/reader.ts";
import { UdpStream } from "../../src/pcap/datagrams.ts";
import { CallExtractor } from "../../src/pcap/calls.ts";
import { buildRecordingBody } from "../../src/siprec/body.ts";
import { buildMetadataXml } from "../../src/siprec/metadata/build.ts";
import { type CallView, buildSnapshot, diffMetadata } from "../../src/siprec/metadata/snapshot.ts";
import { FS_FIXTURES } from "./esl-fixtures.ts";
import { newCryptoAttr, splitKeySalt } from "../../src/sdp/crypto-attr.ts";
import { SrtpContext } from "../../src/rtp/srtp/context.ts";
import { FixedIds } from "./fixed-ids.ts";
import { type Rec, frame, ipv4, pcapFile, udp } from "./pcap-writer.ts";

export const SIPREC_CAPTURE_CALL_ID = "rs-7f3a@10.1.1.1";
export const ORIGINAL_CS_CALL_ID = "orig-cs-42@pbx.example.com";

export function fixtureFlows(): { caller: { timeUs: number; bytes: Uint8Array }[]; callee: { timeUs: number; bytes: Uint8Array }[] } {
  const r = new CaptureReader();
  const udpStream = new UdpStream();
  const calls = new CallExtractor({ keepPackets: (id) => id === "1-5700@127.0.0.1" });
  const got = r.push(new Uint8Array(readFileSync(join(FS_FIXTURES, "call-pcmu-two-way.pcap"))));
  if (!got.ok) throw new Error(got.error.message);
  for (const p of got.value) for (const d of udpStream.pushAll(p)) calls.push(d);
  const call = calls.calls.get("1-5700@127.0.0.1");
  const flow = (s: string) => call?.flows.find((f) => f.speaker === s)?.kept ?? [];
  return { caller: flow("caller"), callee: flow("callee") };
}

/** The captured session's view: Alice (label 10) and Bob (label 11); `transferred`: Bob left and Carol took his place. */
function capturedView(transferred: boolean): CallView {
  const ids = new FixedIds(7);
  const id = () => btoa(String.fromCharCode(...ids.bytes(16)));
  const [alice, bob, group, session, s10, s11, carol] = [id(), id(), id(), id(), id(), id(), id()];
  const t = "2026-11-26T21:41:46Z";
  const later = "2026-11-26T21:41:48Z";
  return {
    groupId: group,
    sessionId: session,
    sipSessionIds: [ORIGINAL_CS_CALL_ID],
    startTime: t,
    recordingAssociateTime: t,
    participants: [
      { id: alice, aor: "sip:alice@pbx.example.com", name: "Alice Agent", joinTime: t },
      { id: bob, aor: "sip:+15551230000@carrier.example.net", name: "Bob Customer", joinTime: t, ...(transferred ? { leaveTime: later } : {}) },
      ...(transferred ? [{ id: carol, aor: "sip:carol@pbx.example.com", name: "Carol Supervisor", joinTime: later }] : []),
    ],
    streams: [
      { id: s10, label: "10", senders: [alice], receivers: [transferred ? carol : bob] },
      { id: s11, label: "11", senders: [transferred ? carol : bob], receivers: [alice] },
    ],
  };
}

export function siprecCaptureMetadata(): string {
  return buildMetadataXml(buildSnapshot(capturedView(false)));
}

/** The partial update (RFC 7865 §5.1.2) the SRC sent when Bob left and Carol joined. */
export function siprecCaptureTransfer(): string {
  const before = buildSnapshot(capturedView(false));
  return buildMetadataXml(diffMetadata(before, buildSnapshot(capturedView(true))));
}

/**
 * `transferAtS`: a partial metadata UPDATE (Bob leaves, Carol joins) this far into the audio.
 * `srtp`: RTP/SAVP with SDES keys in both SDPs, the audio protected with the offer's key
 * (`wrongKey`: protected with another key than the one the offer shows).
 */
export function siprecCapture(o: { transferAtS?: number; srtp?: boolean; wrongKey?: boolean } = {}): Uint8Array {
  const { caller, callee } = fixtureFlows();
  const t0 = (caller[0]?.timeUs ?? 0) - 40_000;
  const enc = new TextEncoder();
  const keys = new FixedIds(11);
  const [srcKey, srsKey, otherKey] = [
    newCryptoAttr(1, "AES_CM_128_HMAC_SHA1_80", keys),
    newCryptoAttr(1, "AES_CM_128_HMAC_SHA1_80", keys),
    newCryptoAttr(1, "AES_CM_128_HMAC_SHA1_80", keys),
  ];
  const proto = o.srtp === true ? "RTP/SAVP" : "RTP/AVP";
  const crypto = (k: { attr: { tag: number; suite: string; keyParams: string } }) =>
    o.srtp === true ? [`a=crypto:${k.attr.tag} ${k.attr.suite} ${k.attr.keyParams}`] : [];
  const sending = o.wrongKey === true ? otherKey : srcKey;
  const protect = new Map(
    [40_000, 40_002].map((port) => [port, new SrtpContext({ suite: "AES_CM_128_HMAC_SHA1_80", ...splitKeySalt("AES_CM_128_HMAC_SHA1_80", sending.keySalt) })]),
  );
  const offer = [
    "v=0",
    "o=src 1 1 IN IP4 10.1.1.1",
    "s=-",
    "c=IN IP4 10.1.1.1",
    "t=0 0",
    `m=audio 30000 ${proto} 0 101`,
    "a=rtpmap:0 PCMU/8000",
    "a=rtpmap:101 telephone-event/8000",
    "a=label:10",
    "a=sendonly",
    ...crypto(srcKey),
    `m=audio 30002 ${proto} 0 101`,
    "a=rtpmap:0 PCMU/8000",
    "a=rtpmap:101 telephone-event/8000",
    "a=label:11",
    "a=sendonly",
    ...crypto(srcKey),
    "",
  ].join("\r\n");
  const answer = [
    "v=0",
    "o=srs 9 9 IN IP4 10.2.2.2",
    "s=-",
    "c=IN IP4 10.2.2.2",
    "t=0 0",
    `m=audio 40000 ${proto} 0`,
    "a=rtpmap:0 PCMU/8000",
    "a=recvonly",
    ...crypto(srsKey),
    `m=audio 40002 ${proto} 0`,
    "a=rtpmap:0 PCMU/8000",
    "a=recvonly",
    ...crypto(srsKey),
    "",
  ].join("\r\n");
  const body = buildRecordingBody({ sdp: offer, metadata: siprecCaptureMetadata() }, new FixedIds(3));
  const common = (cseq: string, toTag: string) => [
    `From: <sip:src@10.1.1.1>;tag=src1`,
    `To: <sip:srs@10.2.2.2>${toTag}`,
    `Call-ID: ${SIPREC_CAPTURE_CALL_ID}`,
    `CSeq: ${cseq}`,
  ];
  const msg = (start: string, headers: string[], b: Uint8Array = new Uint8Array(), type?: string): Uint8Array => {
    const head = [
      start,
      "Via: SIP/2.0/UDP 10.1.1.1:5060;branch=z9hG4bK-rs1",
      ...headers,
      "Max-Forwards: 70",
      ...(type === undefined ? [] : [`Content-Type: ${type}`]),
      `Content-Length: ${b.length}`,
      "",
      "",
    ].join("\r\n");
    const out = new Uint8Array(head.length + b.length);
    out.set(enc.encode(head));
    out.set(b, head.length);
    return out;
  };
  const sip = (timeUs: number, fromSrc: boolean, payload: Uint8Array): Rec => ({
    timeUs,
    data: frame.ethernet(ipv4(fromSrc ? "10.1.1.1" : "10.2.2.2", fromSrc ? "10.2.2.2" : "10.1.1.1", udp(5060, 5060, payload))),
  });
  const wire = (bytes: Uint8Array, port: number): Uint8Array => {
    if (o.srtp !== true) return bytes;
    const r = protect.get(port)!.protectRtp(bytes);
    if (!r.ok) throw new Error(r.error.message);
    return r.value;
  };
  const rtp = (p: { timeUs: number; bytes: Uint8Array }, port: number): Rec => ({
    timeUs: p.timeUs,
    data: frame.ethernet(ipv4("10.1.1.1", "10.2.2.2", udp(port - 10_000, port, wire(p.bytes, port)))),
  });
  const recs: Rec[] = [
    sip(
      t0,
      true,
      msg(
        "INVITE sip:srs@10.2.2.2 SIP/2.0",
        [...common("1 INVITE", ""), "Contact: <sip:src@10.1.1.1>;+sip.src", "Require: siprec", "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE"],
        body.body,
        body.contentType,
      ),
    ),
    sip(t0 + 20_000, false, msg("SIP/2.0 200 OK", [...common("1 INVITE", ";tag=srs1"), "Contact: <sip:srs@10.2.2.2>"], enc.encode(answer), "application/sdp")),
    sip(t0 + 30_000, true, msg("ACK sip:srs@10.2.2.2 SIP/2.0", common("1 ACK", ";tag=srs1"))),
    ...caller.map((p) => rtp(p, 40_000)),
    ...callee.map((p) => rtp(p, 40_002)),
  ].sort((a, b) => a.timeUs - b.timeUs);
  if (o.transferAtS !== undefined) {
    const update = buildRecordingBody({ metadata: siprecCaptureTransfer() }, new FixedIds(5));
    const at = (caller[0]?.timeUs ?? 0) + o.transferAtS * 1e6;
    recs.push(
      sip(
        at,
        true,
        msg(
          "UPDATE sip:srs@10.2.2.2 SIP/2.0",
          [...common("2 UPDATE", ";tag=srs1"), "Contact: <sip:src@10.1.1.1>;+sip.src", "Content-Disposition: recording-session"],
          update.body,
          update.contentType,
        ),
      ),
    );
    recs.sort((a, b) => a.timeUs - b.timeUs);
  }
  const end = recs[recs.length - 1]?.timeUs ?? t0;
  recs.push(sip(end + 10_000, true, msg("BYE sip:srs@10.2.2.2 SIP/2.0", common("3 BYE", ";tag=srs1"))));
  return pcapFile(1, recs);
}
