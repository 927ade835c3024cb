/**
 * The transport port the SIP transaction layer needs (conventions.md: ports
 * belong to their consumer). Adapters: udp-transport.ts, tcp-transport.ts
 * (TCP and TLS); tests use an in-memory pair.
 */
export type TransportProtocol = "udp" | "tcp" | "tls";

/**
 * RFC 3261 §18.1.1: "If a request is within 200 bytes of the path MTU, or if
 * it is larger than 1300 bytes and the path MTU is unknown, the request MUST
 * be sent using an RFC 2914 congestion controlled transport protocol, such
 * as TCP."
 */
export const UDP_REQUEST_LIMIT = 1300;

/** The peer a request of `size` bytes goes to: a UDP target becomes TCP (same host and port) above the limit. */
export function peerForSize(peer: Peer, size: number): Peer {
  return peer.protocol === "udp" && size > UDP_REQUEST_LIMIT ? { ...peer, protocol: "tcp" } : peer;
}

/** A TLS client's settings toward one server (per SRS: its trust anchors, client certificate, name). */
export interface ClientTls {
  /** PEM trust anchors; the system store when absent. */
  readonly ca?: string;
  /** PEM client certificate and key (mutual TLS). */
  readonly cert?: string;
  readonly key?: string;
  /** Verify the server's certificate and name (default true). */
  readonly verify?: boolean;
  /** The name the certificate must carry (RFC 5922 §7.2: the URI's domain, not the address it resolved to). */
  readonly serverName?: string;
}

/** A stack's own TLS settings: its certificate (a listener always, a client for mutual TLS) and, as a client, the defaults toward every server. */
export interface TlsSettings extends ClientTls {
  /** Listening side: require a client certificate signed by `ca` (mutual TLS). */
  readonly requireClientCert?: boolean;
}

export interface Peer {
  readonly protocol: TransportProtocol;
  readonly host: string;
  readonly port: number;
  /** TLS toward this peer, over the transport's own settings. */
  readonly tls?: ClientTls;
  /** For stream transports: the connection a request arrived on, so responses use it (RFC 3261 §18.2.2). */
  readonly connectionId?: number;
}

export interface LocalAddress {
  readonly host: string;
  readonly port: number;
}

export type TransportErrorCode = "TRANSPORT_CONNECT" | "TRANSPORT_TLS" | "TRANSPORT_CLOSED" | "TRANSPORT_SEND" | "TRANSPORT_TOO_LARGE";

export class TransportError extends Error {
  override readonly name = "TransportError";
  constructor(
    readonly code: TransportErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface InboundHandler {
  /** A whole message: a datagram, or one message framed out of a stream. */
  (bytes: Uint8Array, from: Peer): void;
}

export interface SipTransport {
  readonly protocol: TransportProtocol;
  /** Reliable transports (TCP, TLS) turn off retransmission timers (RFC 3261 §17). */
  readonly reliable: boolean;
  readonly local: LocalAddress;
  /** Sends one message; rejects with a TransportError. */
  send(bytes: Uint8Array, to: Peer): Promise<void>;
  close(): void;
}

export function peerKey(p: Peer): string {
  return `${p.protocol}:${p.host}:${p.port}`;
}
