/**
 * A recording session (SRC) toward in-memory recording servers on a manual
 * clock: two SRS user agents (A, B), a media driver that logs what it is
 * told, and helpers to answer offers as the reference SRS does.
 */
import { RecordingSession } from "../../src/siprec/session/recording-session.ts";
import type { ActiveStream, LocalStream, MediaDriver, SessionConfig, StreamFigures } from "../../src/siprec/session/types.ts";
import { splitRecordingBody } from "../../src/siprec/body.ts";
import { newMetadataId } from "../../src/siprec/metadata/model.ts";
import type { CallView } from "../../src/siprec/metadata/snapshot.ts";
import { buildSrsAnswer } from "../../src/siprec/srs-answer.ts";
import { parseSdp } from "../../src/sdp/parse.ts";
import { serializeSdp } from "../../src/sdp/serialize.ts";
import { header } from "../../src/sip/message/headers.ts";
import type { SipMessage } from "../../src/sip/message/types.ts";
import { TransactionLayer } from "../../src/sip/transaction/layer.ts";
import type { Peer } from "../../src/sip/transport.ts";
import type { DialogSession } from "../../src/sip/ua/dialog-session.ts";
import { type IncomingInvite, UserAgent } from "../../src/sip/ua/user-agent.ts";
import { FixedIds } from "./fixed-ids.ts";
import { ManualClock } from "./manual-clock.ts";
import { MemoryNetwork } from "./memory-transport.ts";
import { settle } from "./ua-pair.ts";

/** The reference SRS's answer (recvonly per label) to the SDP in a message, as a body. */
export function answerOffer(
  m: SipMessage,
  ports = new Map([
    ["1", 6000],
    ["2", 6002],
  ]),
  tweak: (sdp: string) => string = (x) => x,
): { body: Uint8Array; contentType: string } {
  const body = splitRecordingBody(header(m, "content-type"), m.body);
  const offer = parseSdp(body.ok ? (body.value.sdp ?? "") : "");
  if (!offer.ok) throw new Error("no offer");
  const ans = buildSrsAnswer(offer.value, ports, "127.0.0.1", new FixedIds(9));
  return { body: new TextEncoder().encode(tweak(serializeSdp(ans.sdp))), contentType: "application/sdp" };
}

export class FakeMedia implements MediaDriver {
  readonly log: string[] = [];
  #port = 40000;
  async prepare(labels: readonly string[]): Promise<LocalStream[]> {
    return labels.map((label) => ({ label, port: (this.#port += 2), rtcpPort: this.#port + 1 }));
  }
  /** Every start() call: the streams as the driver was told them (label:status@address:port). */
  readonly starts: string[] = [];
  start(streams: readonly ActiveStream[]): void {
    if (this.starts.length === 0)
      this.log.push(
        `start ${streams
          .filter((s) => s.outcome.status === "accepted")
          .map((s) => s.local.label)
          .join(",")}`,
      );
    this.starts.push(
      streams
        .map(
          (s) =>
            `${s.local.label}:${s.outcome.status}@${s.outcome.connection.address}:${s.outcome.port}${s.sendKey === undefined ? "" : `/${s.sendKey.suite}`}`,
        )
        .join(" "),
    );
  }
  gate(open: boolean): void {
    this.log.push(open ? "gate open" : "gate closed");
  }
  stop(): StreamFigures[] {
    this.log.push("stop");
    return [{ label: "1", packets: 10, octets: 1600, gaps: 0, droppedPaused: 0 }];
  }
  release(local: readonly LocalStream[]): void {
    if (local.length > 0) this.log.push(`release ${local.map((l) => l.port).join(",")}`);
  }
}

export const CONFIG: SessionConfig = {
  codecs: ["PCMU", "PCMA"],
  ptime: 20,
  telephoneEvent: true,
  rtcpMux: false,
  srtp: "off",
  srtpSuites: ["AES_CM_128_HMAC_SHA1_80"],
  transport: "tcp",
  failoverOn: [408, 420, 480, 488, "5xx", "6xx"],
  setupTimeoutMs: 30_000,
  inviteTimeoutMs: 4000,
  fromUri: "sip:siprec@127.0.0.1",
  localAddress: "127.0.0.1",
};

export function rig(supported: readonly string[] = ["siprec", "timer"]) {
  const clock = new ManualClock();
  const net = new MemoryNetwork();
  const ids = new FixedIds(3);
  const node = (port: number, params: string) => {
    let layer!: TransactionLayer;
    const t = net.endpoint("tcp", "127.0.0.1", port, (b, from) => layer.receive(b, from));
    layer = new TransactionLayer({ clock, transports: new Map([["tcp", t]]) });
    const ua = new UserAgent({ layer, clock, ids: new FixedIds(port), local: () => ({ host: "127.0.0.1", port }), contactParams: params, supported });
    return { ua, peer: { protocol: "tcp", host: "127.0.0.1", port } as Peer };
  };
  const src = node(5060, ";+sip.src");
  const a = node(5070, ";+sip.srs");
  const b = node(5080, ";+sip.srs");
  const media = new FakeMedia();
  const [p1, p2, s1, s2] = Array.from({ length: 4 }, () => newMetadataId(ids));
  const view = (): CallView => ({
    groupId: newMetadataId(new FixedIds(1)),
    sessionId: newMetadataId(new FixedIds(2)),
    sipSessionIds: [],
    startTime: "2026-11-26T12:00:00Z",
    participants: [
      { id: p1 as string, aor: "sip:alice@example.com", joinTime: "2026-11-26T12:00:00Z" },
      { id: p2 as string, aor: "sip:bob@example.com", joinTime: "2026-11-26T12:00:00Z" },
    ],
    streams: [
      { id: s1 as string, label: "1", senders: [p1 as string], receivers: [p2 as string] },
      { id: s2 as string, label: "2", senders: [p2 as string], receivers: [p1 as string] },
    ],
    recordingAssociateTime: "2026-11-26T12:00:00Z",
  });
  const session = (over: Partial<ConstructorParameters<typeof RecordingSession>[0]> = {}) =>
    new RecordingSession({
      ua: src.ua,
      clock,
      ids,
      config: CONFIG,
      servers: [
        { name: "A", uri: "sip:srs@127.0.0.1:5070", peers: async () => [a.peer] },
        { name: "B", uri: "sip:srs@127.0.0.1:5080", peers: async () => [b.peer] },
      ],
      media,
      metadata: view,
      labels: ["1", "2"],
      group: "rec1",
      ...over,
    });
  /** An SRS that answers recvonly per label (the reference SRS's own answer builder). */
  const answer = (inv: IncomingInvite, tweak: (sdp: string) => string = (x) => x, headers: { name: string; value: string }[] = []): DialogSession | undefined =>
    inv.accept({ ...answerOffer(inv.request, undefined, tweak), headers });
  const run = async <T>(p: Promise<T>, ms = 40_000): Promise<T> => {
    let done = false;
    void p.then(() => (done = true));
    for (let t = 0; t < ms && !done; t += 50) {
      clock.advance(50);
      await settle();
    }
    return p;
  };
  return { clock, net, src, a, b, media, session, answer, run, view };
}
