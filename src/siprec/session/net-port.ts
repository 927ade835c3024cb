/**
 * The network an SRC app (test-call, replay) runs on, as its engine sees
 * it: a SIP stack to open, RTP sockets for its streams, and RFC 3263
 * location of its SRS. The real one is platform/net.ts; tests may hand
 * in their own.
 */
import type { RtpSocketPort } from "../../rtp/rtp-socket-port.ts";
import type { ClientTls, Peer } from "../../sip/transport.ts";
import type { OpenSipStack } from "../../sip/ua/stack-port.ts";

export interface SrcNet {
  readonly openStack: OpenSipStack;
  readonly sockets: RtpSocketPort;
  /** Where the SRS at `uri` is (RFC 3263), each address carrying `tls` when given. */
  locate(uri: string, transport: "udp" | "tcp" | "tls", tls?: ClientTls): Promise<Peer[]>;
}
