/** The real network of the SRC apps: SIP stacks on sockets, UDP RTP sockets of one host, DNS location. */
import { srsPeers } from "../config/srs-target.ts";
import type { PortAllocator } from "../rtp/port-allocator.ts";
import { udpRtpSockets } from "../rtp/udp-socket.ts";
import type { SrcNet } from "../siprec/session/net-port.ts";
import { openSipStack } from "../sip/stack.ts";

export function realNet(host: string, ports?: PortAllocator): SrcNet {
  return { openStack: openSipStack, sockets: udpRtpSockets(host, ports), locate: (uri, transport, tls) => srsPeers(uri, transport, tls) };
}
