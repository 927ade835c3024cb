/**
 * SIP over UDP (Bun.udpSocket). One datagram is one message. RFC 3261
 * §18.1.1: "If a request is within 200 bytes of the path MTU, or if it is
 * larger than 1300 bytes and the path MTU is unknown, the request MUST be
 * sent using an RFC 2914 congestion controlled transport protocol, such as
 * TCP" — so larger requests are refused here unless explicitly allowed.
 */
import type { udp } from "bun";
import { type InboundHandler, type LocalAddress, type Peer, type SipTransport, TransportError } from "./transport.ts";

export { UDP_REQUEST_LIMIT } from "./transport.ts";
import { UDP_REQUEST_LIMIT } from "./transport.ts";
/** The largest datagram we accept or send at all. */
export const MAX_DATAGRAM = 65_507;

export interface UdpOptions {
  readonly host: string;
  readonly port: number;
  readonly onMessage: InboundHandler;
  /** Send requests above 1300 bytes anyway (the operator chose UDP knowingly). */
  readonly allowLargeRequests?: boolean;
  /** ICMP errors (port unreachable) surface here; UDP carries on regardless. */
  readonly onError?: (e: Error) => void;
}

export class UdpTransport implements SipTransport {
  readonly protocol = "udp" as const;
  readonly reliable = false;
  #closed = false;

  private constructor(
    private readonly socket: udp.Socket<"buffer">,
    readonly local: LocalAddress,
    private readonly allowLarge: boolean,
  ) {}

  static async open(o: UdpOptions): Promise<UdpTransport> {
    const socket = await Bun.udpSocket({
      hostname: o.host,
      port: o.port,
      socket: {
        data(_s, buf, port, address) {
          if (buf.length === 0 || buf.length > MAX_DATAGRAM) return;
          // Keep-alive datagrams (CRLF) carry no message.
          if (buf.length <= 4 && buf.every((b) => b === 0x0d || b === 0x0a)) return;
          o.onMessage(new Uint8Array(buf), { protocol: "udp", host: address, port });
        },
        // An ICMP "port unreachable" for an earlier datagram arrives as ECONNREFUSED on a later receive.
        // Without a handler the runtime throws it; for UDP it only means that peer is not there (yet).
        error(_s, e) {
          o.onError?.(e);
        },
      },
    });
    return new UdpTransport(socket, { host: o.host, port: socket.port }, o.allowLargeRequests === true);
  }

  async send(bytes: Uint8Array, to: Peer): Promise<void> {
    if (this.#closed) throw new TransportError("TRANSPORT_CLOSED", "the UDP transport is closed");
    const isRequest = !(bytes[0] === 0x53 && bytes[1] === 0x49 && bytes[2] === 0x50 && bytes[3] === 0x2f);
    if (isRequest && bytes.length > UDP_REQUEST_LIMIT && !this.allowLarge) {
      throw new TransportError("TRANSPORT_TOO_LARGE", `a ${bytes.length}-byte request may not go over UDP (RFC 3261 §18.1.1: over 1300 bytes use TCP or TLS)`);
    }
    if (bytes.length > MAX_DATAGRAM) throw new TransportError("TRANSPORT_TOO_LARGE", `${bytes.length} bytes do not fit in a UDP datagram`);
    const host = to.host.replace(/^\[|\]$/g, "");
    if (!this.socket.send(bytes, to.port, host)) throw new TransportError("TRANSPORT_SEND", `UDP send to ${host}:${to.port} failed`);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.socket.close();
  }
}
