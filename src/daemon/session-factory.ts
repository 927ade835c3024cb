/**
 * From the config to one RecordingSession per (recording, SRS group): the
 * group's servers in priority order (config order on ties), each located by
 * RFC 3263 on use, skipped while its OPTIONS checks say it is down.
 */
import type { Config } from "../config/secrets.ts";
import { srsPeers, transportOf } from "../config/srs-target.ts";
import type { ClientTls } from "../sip/transport.ts";
import type { SourceAddresses } from "../sip/udp-source-address.ts";
import type { OpenSessionArgs, SessionPort } from "../recorder/ports.ts";
import type { OfferCodec } from "../siprec/offer.ts";
import { RecordingSession } from "../siprec/session/recording-session.ts";
import type { SrsTarget } from "../siprec/session/types.ts";
import { failoverOrder } from "../siprec/session/failover.ts";
import type { Resolver } from "../sip/ua/locate.ts";
import type { UserAgent } from "../sip/ua/user-agent.ts";
import type { Clock } from "../lib/clock.ts";
import type { IdSource } from "../lib/ids.ts";
import type { Logger } from "../lib/log.ts";

export interface SessionFactoryDeps {
  readonly ua: UserAgent;
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly log: Logger;
  /** Our address toward each SRS host: SIP (Via/Contact/From) and media (c=). */
  readonly addresses: { readonly sip: SourceAddresses; readonly media: SourceAddresses };
  readonly isUsable: (name: string) => boolean;
  config(): Config;
  /** The TLS client settings of a [[srs]] (its CA, client certificate, name). */
  tlsOf?(name: string): ClientTls | undefined;
  /** DNS for RFC 3263 location (the daemon shares one caching resolver). */
  readonly dns?: Resolver;
}

export function openSession(d: SessionFactoryDeps, args: OpenSessionArgs): SessionPort {
  const cfg = d.config();
  const servers = failoverOrder(cfg.srs, args.group);
  const first = servers[0];
  const targets: SrsTarget[] = servers.map((s) => ({
    name: s.name,
    uri: s.uri,
    peers: async () => {
      const peers = await srsPeers(s.uri, transportOf(s), d.tlsOf?.(s.name), d.dns, () => d.ids.uint32() / 2 ** 32);
      // The source address toward each, before any header or SDP is built.
      for (const p of peers) await Promise.all([d.addresses.sip.prime(p.host), d.addresses.media.prime(p.host)]);
      return peers;
    },
    ...(s.auth_username === undefined || s.auth_password === undefined
      ? {}
      : { credentials: { username: s.auth_username, password: s.auth_password.reveal() } }),
  }));
  const r = cfg.recording;
  return new RecordingSession({
    ua: d.ua,
    clock: d.clock,
    ids: d.ids,
    logger: d.log.child({ recordingId: args.recordingId, group: args.group }),
    config: {
      codecs: r.codecs as OfferCodec[],
      ptime: r.ptime,
      telephoneEvent: r.dtmf === "forward",
      rtcpMux: r.rtcp_mux,
      rtcpTimeoutIntervals: r.rtcp_timeout_intervals,
      srtp: r.srtp,
      srtpSuites: r.srtp_suites,
      srtpOverPlain: r.srtp_over_plain,
      transport: first === undefined ? "tcp" : transportOf(first),
      failoverOn: r.failover_on,
      setupTimeoutMs: r.setup_timeout_ms,
      inviteTimeoutMs: Math.min(8_000, r.setup_timeout_ms),
      fromUri: `sip:siprec@${d.addresses.sip.for(undefined)}`,
      localAddress: d.addresses.media.for(undefined),
    },
    localAddressFor: (peer) => ({ sip: d.addresses.sip.for(peer.host), media: d.addresses.media.for(peer.host) }),
    servers: targets,
    isUsable: (name) => !(args.skipServers ?? []).includes(name) && d.isUsable(name),
    media: args.media.driverFor(args.group),
    metadata: args.metadata,
    labels: args.labels,
    group: args.group,
  });
}
