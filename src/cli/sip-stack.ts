/** A SIP stack for the apps: transports on one host, the transaction layer, a user agent. */
import type { Clock } from "../lib/clock.ts";
import type { IdSource } from "../lib/ids.ts";
import type { Logger } from "../lib/log.ts";
import { StreamTransport, type TlsSettings } from "../sip/tcp-transport.ts";
import { TransactionLayer } from "../sip/transaction/layer.ts";
import type { Peer, SipTransport, TransportProtocol } from "../sip/transport.ts";
import { UdpTransport } from "../sip/udp-transport.ts";
import { UserAgent } from "../sip/ua/user-agent.ts";
import { VERSION } from "./version.ts";
import { selfSignedCertificate } from "../platform/self-signed-cert.ts";

export interface AppStack {
  readonly ua: UserAgent;
  readonly layer: TransactionLayer;
  readonly transports: ReadonlyMap<TransportProtocol, SipTransport>;
  close(): void;
}

export async function openAppStack(o: { host: string; protocols: readonly ("udp" | "tcp" | "tls")[]; clock: Clock; ids: IdSource; logger?: Logger; contactParams?: string; tls?: TlsSettings; listenPort?: number; inviteDeadlineMs?: number; advertise?: (peer: Peer | undefined) => string }): Promise<AppStack> {
  let layer!: TransactionLayer;
  let ua: UserAgent | undefined;
  // A connection we opened that the peer closed or reset: its dialogs probe at once (DialogSession.transportLost).
  const onConnectionLost = (peer: Peer, why: string) => ua?.connectionLost(peer, why);
  // RFC 3261 §18.1.1: a UDP stack also needs TCP for requests over 1300 bytes.
  const protocols = o.protocols.includes("udp") && !o.protocols.includes("tcp") ? [...o.protocols, "tcp" as const] : o.protocols;
  const onMessage = (b: Uint8Array, from: Peer) => layer.receive(b, from);
  // TLS always listens, so Via and Contact carry a real port and an SRS can open a new connection to us;
  // without a configured certificate the listener has a generated self-signed one.
  let cert: { cert: string; key: string } | undefined;
  const generated = () => {
    if (cert === undefined) {
      cert = selfSignedCertificate("siprec", [o.host]);
      o.logger?.warn("TLS listener with a self-signed certificate (no certificate configured): an SRS that verifies ours cannot open connections to us; in-dialog requests then reuse our connection", { host: o.host });
    }
    return cert;
  };
  const open = async (): Promise<Map<TransportProtocol, SipTransport>> => {
    const transports = new Map<TransportProtocol, SipTransport>();
    let port = o.listenPort ?? 0;
    try {
      for (const p of protocols) {
        const t =
          p === "udp"
            ? await UdpTransport.open({ host: o.host, port, onMessage })
            : await StreamTransport.open({ protocol: p, host: o.host, port: p === "tls" && port !== 0 ? port + 1 : port, listen: true, clock: o.clock, onMessage, onConnectionLost, ...(o.tls === undefined ? {} : { tls: o.tls }), ...(p === "tls" && o.tls?.cert === undefined ? { listenCert: generated() } : {}), ...(o.logger === undefined ? {} : { logger: o.logger }) });
        transports.set(p, t);
        if (port === 0 && t.local.port !== 0) port = t.local.port;
      }
    } catch (e) {
      for (const t of transports.values()) t.close();
      throw e;
    }
    return transports;
  };
  // With port 0 the first transport picks a free port and the others take the same number,
  // which another socket may already hold for that protocol: pick again (a few times).
  let transports: Map<TransportProtocol, SipTransport> | undefined;
  for (let tries = 0; transports === undefined; tries++) {
    try {
      transports = await open();
    } catch (e) {
      if ((o.listenPort ?? 0) !== 0 || protocols.length < 2 || tries >= 8) throw e;
    }
  }
  layer = new TransactionLayer({ clock: o.clock, transports, ...(o.logger === undefined ? {} : { logger: o.logger }) });
  ua = new UserAgent({
    layer,
    clock: o.clock,
    ids: o.ids,
    // Via/Contact carry the address that reaches the peer (advertise) and the port we listen on.
    local: (p, peer) => {
      const l = transports.get(p)?.local ?? { host: o.host, port: 0 };
      return o.advertise === undefined ? l : { host: o.advertise(peer), port: l.port };
    },
    contactParams: o.contactParams ?? ";+sip.src",
    supported: ["siprec", "timer"],
    ...(o.inviteDeadlineMs === undefined ? {} : { inviteDeadlineMs: o.inviteDeadlineMs }),
    userAgent: `siprec/${VERSION}`,
    ...(o.logger === undefined ? {} : { logger: o.logger }),
  });
  return {
    ua,
    layer,
    transports,
    close: () => {
      layer.close();
      for (const t of transports.values()) t.close();
    },
  };
}
