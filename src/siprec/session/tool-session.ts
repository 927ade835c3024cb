/**
 * The recording session of the operator tools (test-call, replay): one
 * SRS, located through the tool's network port, with the tools' fixed
 * session settings (20 ms, telephone-events, RTCP on its own port, the
 * default failover list, 10 s set-up, 8 s per INVITE).
 */
import type { Clock } from "../../lib/clock.ts";
import type { IdSource } from "../../lib/ids.ts";
import type { Logger } from "../../lib/log.ts";
import type { ClientTls } from "../../sip/transport.ts";
import type { SipStack } from "../../sip/ua/stack-port.ts";
import type { UserAgent } from "../../sip/ua/user-agent.ts";
import type { RecordingMetadata } from "../metadata/model.ts";
import type { OfferCodec } from "../offer.ts";
import { DEFAULT_FAILOVER_ON } from "./failover.ts";
import type { SrcNet } from "./net-port.ts";
import { RecordingSession } from "./recording-session.ts";
import type { MediaDriver, MetadataSource } from "./types.ts";

export interface ToolSessionOptions {
  /** Who is recording: the From user and the media group. */
  readonly tool: "test-call" | "replay";
  readonly ua: UserAgent;
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly logger?: Logger;
  readonly net: SrcNet;
  readonly srsUri: string;
  readonly transport: "udp" | "tcp" | "tls";
  readonly tls?: ClientTls;
  readonly credentials?: { readonly username: string; readonly password: string };
  readonly codecs: readonly OfferCodec[];
  readonly srtp: "off" | "offer" | "require";
  /** SDES suites offered, in order (default AES_CM_128_HMAC_SHA1_80). */
  readonly srtpSuites?: readonly string[];
  readonly localHost: string;
  readonly media: MediaDriver;
  readonly metadata: MetadataSource;
  readonly snapshot?: () => RecordingMetadata;
  readonly labels: readonly string[];
}

export function toolSession(o: ToolSessionOptions): RecordingSession {
  return new RecordingSession({
    ua: o.ua,
    clock: o.clock,
    ids: o.ids,
    ...(o.logger === undefined ? {} : { logger: o.logger }),
    config: {
      codecs: o.codecs,
      ptime: 20,
      telephoneEvent: true,
      rtcpMux: false,
      srtp: o.srtp,
      srtpSuites: o.srtpSuites ?? ["AES_CM_128_HMAC_SHA1_80"],
      transport: o.transport,
      failoverOn: DEFAULT_FAILOVER_ON,
      setupTimeoutMs: 10_000,
      inviteTimeoutMs: 8_000,
      fromUri: `sip:${o.tool}@${o.localHost}`,
      localAddress: o.localHost,
    },
    servers: [
      {
        name: "srs",
        uri: o.srsUri,
        peers: () => o.net.locate(o.srsUri, o.transport, o.tls),
        ...(o.credentials === undefined ? {} : { credentials: o.credentials }),
      },
    ],
    media: o.media,
    metadata: o.metadata,
    ...(o.snapshot === undefined ? {} : { snapshot: o.snapshot }),
    labels: o.labels,
    group: o.tool,
  });
}

/** The SIP stack a tool runs on (one per call, or one shared by a run of calls). */
export function openToolStack(o: {
  readonly net: SrcNet;
  readonly localHost: string;
  readonly transport: "udp" | "tcp" | "tls";
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly tls?: ClientTls;
  readonly logger?: Logger;
  readonly inviteDeadlineMs?: number;
}): Promise<SipStack> {
  return o.net.openStack({
    role: "src",
    host: o.localHost,
    protocols: [o.transport],
    clock: o.clock,
    ids: o.ids,
    ...(o.inviteDeadlineMs === undefined ? {} : { inviteDeadlineMs: o.inviteDeadlineMs }),
    ...(o.tls === undefined ? {} : { tls: o.tls }),
    ...(o.logger === undefined ? {} : { logger: o.logger }),
  });
}
