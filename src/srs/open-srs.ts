/**
 * The reference SRS on real sockets and files: its SIP stack listening on
 * `host:port` over `transports` (TLS on port + 1 beside the others), RTP
 * from the tools' port range, recordings under `dir`.
 */
import { udpRtpSockets } from "../rtp/udp-socket.ts";
import { openSipStack } from "../sip/stack.ts";
import { fileRecordingSink } from "./file-recording-sink.ts";
import { SRS_ACCEPT, type SrsBehaviour, SrsServer } from "./server.ts";

export interface SrsServerOptions extends SrsBehaviour {
  readonly port: number;
  readonly transports: readonly ("udp" | "tcp" | "tls")[];
  /** PEM certificate and key for TLS (listening on port + 1 when TCP or UDP use port). */
  readonly tls?: { readonly cert: string; readonly key: string };
  readonly dir: string;
}

export async function openSrs(o: SrsServerOptions): Promise<SrsServer> {
  const stack = await openSipStack({
    role: "srs",
    host: o.host,
    listenPort: o.port,
    protocols: o.transports,
    clock: o.clock,
    ids: o.ids,
    accept: SRS_ACCEPT,
    userAgent: "siprec-srs",
    ...(o.tls === undefined ? {} : { tls: { cert: o.tls.cert, key: o.tls.key } }),
    ...(o.logger === undefined ? {} : { logger: o.logger }),
  });
  return new SrsServer(o, { stack, sockets: udpRtpSockets(o.host), sink: fileRecordingSink(o.dir) });
}
