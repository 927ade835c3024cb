/** A real SIP stack on 127.0.0.1 (system clock, real sockets) for integration tests. */
import { systemClock } from "../../src/platform/system-clock.ts";
import { cryptoIds } from "../../src/platform/crypto-ids.ts";
import { StreamTransport } from "../../src/sip/tcp-transport.ts";
import { TransactionLayer } from "../../src/sip/transaction/layer.ts";
import type { Peer, SipTransport } from "../../src/sip/transport.ts";
import { UdpTransport } from "../../src/sip/udp-transport.ts";
import { UserAgent } from "../../src/sip/ua/user-agent.ts";

export interface Stack {
  readonly ua: UserAgent;
  readonly layer: TransactionLayer;
  readonly transport: SipTransport;
  /** Messages this stack sent, first line each. */
  readonly sent: string[];
  peer(port: number): Peer;
  close(): void;
}

export async function sipStack(protocol: "udp" | "tcp", contactParams = ";+sip.src"): Promise<Stack> {
  let layer!: TransactionLayer;
  const onMessage = (b: Uint8Array, from: Peer) => layer.receive(b, from);
  const inner: SipTransport =
    protocol === "udp"
      ? await UdpTransport.open({ host: "127.0.0.1", port: 0, onMessage })
      : await StreamTransport.open({ protocol: "tcp", host: "127.0.0.1", port: 0, listen: true, clock: systemClock, onMessage });
  const sent: string[] = [];
  const transport: SipTransport = {
    protocol: inner.protocol,
    reliable: inner.reliable,
    local: inner.local,
    send: (b, to) => {
      sent.push(new TextDecoder().decode(b.subarray(0, 80)).split("\r\n")[0] ?? "");
      return inner.send(b, to);
    },
    close: () => inner.close(),
  };
  layer = new TransactionLayer({ clock: systemClock, transports: new Map([[protocol, transport]]) });
  const ua = new UserAgent({
    layer,
    clock: systemClock,
    ids: cryptoIds,
    local: () => inner.local,
    contactParams,
    supported: ["siprec"],
    userAgent: "siprec-test",
  });
  return {
    ua,
    layer,
    transport,
    sent,
    peer: (port) => ({ protocol, host: "127.0.0.1", port }),
    close: () => {
      layer.close();
      inner.close();
    },
  };
}

/** A port free for both UDP and TCP on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  for (;;) {
    const u = await Bun.udpSocket({ hostname: "127.0.0.1", port: 0 });
    const port = u.port;
    u.close();
    try {
      const l = Bun.listen({ hostname: "127.0.0.1", port, socket: { data() {} } });
      l.stop(true);
      return port;
    } catch {
      // taken for TCP: try another
    }
  }
}
