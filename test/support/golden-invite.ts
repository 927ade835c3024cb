/** A complete, valid SIPREC INVITE built with siprec's own codecs (the validator's positive control). */
import { buildMetadataXml } from "../../src/siprec/metadata/build.ts";
import { newMetadataId } from "../../src/siprec/metadata/model.ts";
import { buildSnapshot } from "../../src/siprec/metadata/snapshot.ts";
import { buildRecordingOffer } from "../../src/siprec/offer.ts";
import { serializeSdp } from "../../src/sdp/serialize.ts";
import { buildMultipart } from "../../src/sip/message/multipart.ts";
import { serializeMessage } from "../../src/sip/message/serialize.ts";
import type { HeaderField } from "../../src/sip/message/types.ts";
import { FixedIds } from "./fixed-ids.ts";

export interface GoldenParts {
  sdp: string;
  metadata: string;
  headers: HeaderField[];
  metadataType: string;
  disposition?: string;
}

export function goldenParts(): GoldenParts {
  const ids = new FixedIds(11);
  const [g, s, a, b, s1, s2] = Array.from({ length: 6 }, () => newMetadataId(ids)) as [string, string, string, string, string, string];
  const t = "2026-11-26T12:00:00Z";
  const sdp = serializeSdp(
    buildRecordingOffer({
      sessionId: "3724394400",
      sessionVersion: 1n,
      address: "127.0.0.1",
      addrType: "IP4",
      codecs: ["PCMU", "PCMA"],
      telephoneEvent: true,
      ptime: 20,
      rtcpMux: false,
      srtp: false,
      streams: [
        { label: "1", port: 20000 },
        { label: "2", port: 20002 },
      ],
    }),
  );
  const metadata = buildMetadataXml(
    buildSnapshot({
      groupId: g,
      sessionId: s,
      sipSessionIds: ["ab30317f1a784dc48ff824d0d3715d86;remote=47755a9de7794ba387653f2099600ef2"],
      startTime: t,
      participants: [
        { id: a, aor: "sip:alice@example.com", name: "Alice", joinTime: t },
        { id: b, aor: "sip:bob@example.com", name: "Bob", joinTime: t },
      ],
      streams: [
        { id: s1, label: "1", senders: [a], receivers: [b] },
        { id: s2, label: "2", senders: [b], receivers: [a] },
      ],
      recordingAssociateTime: t,
    }),
  );
  return {
    sdp,
    metadata,
    metadataType: "application/rs-metadata+xml",
    disposition: "recording-session",
    headers: [
      { name: "Via", value: "SIP/2.0/TCP 127.0.0.1:5061;branch=z9hG4bKgolden1" },
      { name: "Max-Forwards", value: "70" },
      { name: "From", value: "<sip:siprec@127.0.0.1>;tag=golden" },
      { name: "To", value: "<sip:srs@127.0.0.1>" },
      { name: "Call-ID", value: "golden-1@127.0.0.1" },
      { name: "CSeq", value: "1 INVITE" },
      { name: "Contact", value: "<sip:siprec@127.0.0.1:5061;transport=tcp>;+sip.src" },
      { name: "Require", value: "siprec" },
      { name: "Allow", value: "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE" },
      { name: "Accept", value: "application/sdp, application/rs-metadata+xml, application/rs-metadata-request" },
    ],
  };
}

export function buildInvite(p: GoldenParts = goldenParts(), boundary = "siprec-golden"): Uint8Array {
  const enc = new TextEncoder();
  const body = buildMultipart(
    [
      { contentType: "application/sdp", body: enc.encode(p.sdp) },
      { contentType: p.metadataType, ...(p.disposition === undefined ? {} : { disposition: p.disposition }), body: enc.encode(p.metadata) },
    ],
    boundary,
  );
  return serializeMessage({
    kind: "request",
    method: "INVITE",
    uri: "sip:srs@127.0.0.1",
    headers: [...p.headers, { name: "Content-Type", value: `multipart/mixed;boundary=${boundary}` }],
    body,
    bodyOffset: 0,
  });
}
