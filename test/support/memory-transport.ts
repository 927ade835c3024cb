/**
 * In-memory SIP transports for tests: a set of endpoints on a fake network
 * that delivers synchronously (or drops, when a test says so), recording
 * every message sent. The same contract suite runs on these and on real
 * sockets.
 */
import type { InboundHandler, LocalAddress, Peer, SipTransport, TransportProtocol } from "../../src/sip/transport.ts";
import { TransportError } from "../../src/sip/transport.ts";
import { UDP_REQUEST_LIMIT } from "../../src/sip/udp-transport.ts";

export class MemoryNetwork {
  readonly endpoints = new Map<string, MemoryTransport>();
  /** Return true to drop a message (loss simulation). */
  drop: (bytes: Uint8Array, from: LocalAddress, to: Peer) => boolean = () => false;
  readonly log: { from: string; to: string; text: string }[] = [];

  endpoint(protocol: TransportProtocol, host: string, port: number, onMessage: InboundHandler): MemoryTransport {
    const t = new MemoryTransport(this, protocol, { host, port }, onMessage);
    this.endpoints.set(`${protocol}:${host}:${port}`, t);
    return t;
  }
}

export class MemoryTransport implements SipTransport {
  readonly reliable: boolean;
  closed = false;
  constructor(
    private readonly net: MemoryNetwork,
    readonly protocol: TransportProtocol,
    readonly local: LocalAddress,
    readonly onMessage: InboundHandler,
  ) {
    this.reliable = protocol !== "udp";
  }

  async send(bytes: Uint8Array, to: Peer): Promise<void> {
    if (this.closed) throw new TransportError("TRANSPORT_CLOSED", "transport closed");
    const isRequest = new TextDecoder().decode(bytes.subarray(0, 4)) !== "SIP/";
    if (!this.reliable && isRequest && bytes.length > UDP_REQUEST_LIMIT)
      throw new TransportError("TRANSPORT_TOO_LARGE", `a ${bytes.length}-byte request may not go over UDP`);
    const dest = this.net.endpoints.get(`${to.protocol}:${to.host}:${to.port}`);
    if (dest === undefined || dest.closed) {
      if (this.reliable) throw new TransportError("TRANSPORT_CONNECT", `connection refused by ${to.host}:${to.port}`);
      return;
    }
    this.net.log.push({ from: `${this.local.host}:${this.local.port}`, to: `${to.host}:${to.port}`, text: new TextDecoder().decode(bytes) });
    if (this.net.drop(bytes, this.local, to)) return;
    dest.onMessage(bytes.slice(), { protocol: this.protocol, host: this.local.host, port: this.local.port });
  }

  close(): void {
    this.closed = true;
  }
}
