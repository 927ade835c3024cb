/**
 * The SIP stack of every app: transports on one host, the transaction layer
 * and the one user agent on it (SipStack in sip/ua/stack-port.ts). The
 * daemon, the reference SRS, test-call and replay all open theirs here.
 */
import { selfSignedCertificate } from "../platform/self-signed-cert.ts";
import { VERSION } from "../platform/version.ts";
import { StreamTransport } from "./tcp-transport.ts";
import { TransactionLayer } from "./transaction/layer.ts";
import type { Peer, SipTransport, TransportProtocol } from "./transport.ts";
import { UdpTransport } from "./udp-transport.ts";
import { SIP_CLOSE_LINGER_MS, type SipStack, type SipStackOptions } from "./ua/stack-port.ts";
import { UserAgent } from "./ua/user-agent.ts";

export type { SipStack, SipStackOptions } from "./ua/stack-port.ts";

export async function openSipStack(o: SipStackOptions): Promise<SipStack> {
  let ua: UserAgent | undefined;
  let layer: TransactionLayer | undefined;
  // A connection we opened that the peer closed or reset: its dialogs probe at once (DialogSession.transportLost).
  const onConnectionLost = (peer: Peer, why: string) => ua?.connectionLost(peer, why);
  // RFC 3261 §18.1.1: a UDP stack also needs TCP for requests over 1300 bytes.
  const protocols = o.protocols.includes("udp") && !o.protocols.includes("tcp") ? [...o.protocols, "tcp" as const] : o.protocols;
  const onMessage = (b: Uint8Array, from: Peer) => layer?.receive(b, from);
  // TLS always listens, so Via and Contact carry a real port and a peer can open a new connection to us;
  // without a configured certificate the listener has a generated self-signed one.
  let cert: { cert: string; key: string } | undefined;
  const generated = () => {
    if (cert === undefined) {
      cert = selfSignedCertificate("siprec", [o.host]);
      o.logger?.warn(
        "TLS listener with a self-signed certificate (no certificate configured): a peer that verifies ours cannot open connections to us; in-dialog requests then reuse our connection",
        { host: o.host },
      );
    }
    return cert;
  };
  const logger = o.logger === undefined ? {} : { logger: o.logger };
  const open = async (): Promise<Map<TransportProtocol, SipTransport>> => {
    const transports = new Map<TransportProtocol, SipTransport>();
    let port = o.listenPort ?? 0;
    try {
      for (const p of protocols) {
        const tls = { ...(o.tls === undefined ? {} : { tls: o.tls }), ...(p === "tls" && o.tls?.cert === undefined ? { listenCert: generated() } : {}) };
        const t =
          p === "udp"
            ? await UdpTransport.open({ host: o.host, port, onMessage })
            : await StreamTransport.open({
                protocol: p,
                host: o.host,
                port: p === "tls" && port !== 0 ? port + 1 : port,
                listen: true,
                clock: o.clock,
                onMessage,
                onConnectionLost,
                ...tls,
                ...logger,
              });
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
  const live = transports;
  layer = new TransactionLayer({ clock: o.clock, transports: live, ...logger });
  ua = new UserAgent({
    layer,
    clock: o.clock,
    ids: o.ids,
    // Via/Contact carry the address that reaches the peer (advertise) and the port we listen on.
    local: (p, peer) => {
      const l = live.get(p)?.local ?? { host: o.host, port: 0 };
      return o.advertise === undefined ? l : { host: o.advertise(peer), port: l.port };
    },
    // RFC 7866 §6.1.1: the SRC's Contact carries +sip.src, the SRS's +sip.srs.
    contactParams: o.role === "srs" ? ";+sip.srs" : ";+sip.src",
    supported: ["siprec", "timer"],
    ...(o.accept === undefined ? {} : { accept: o.accept }),
    ...(o.inviteDeadlineMs === undefined ? {} : { inviteDeadlineMs: o.inviteDeadlineMs }),
    userAgent: o.userAgent ?? `siprec/${VERSION}`,
    ...logger,
  });
  const theLayer = layer;
  let closing: Promise<void> | undefined;
  return {
    ua,
    layer: theLayer,
    transports: live,
    portOf: (p) => live.get(p)?.local.port,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        o.clock.setTimer(SIP_CLOSE_LINGER_MS, () => {
          theLayer.close();
          for (const t of live.values()) t.close();
          resolve();
        });
      })),
  };
}
