/**
 * The RTP socket port the media engines need (conventions.md: ports belong
 * to their consumer): per stream an RTP socket and, unless RTCP is muxed
 * on it, an RTCP socket. Adapters: `udpRtpSockets` in udp-socket.ts (real
 * UDP, sendMany batching) and the in-memory network in test/support; one
 * contract test runs on both (test/contract/rtp-socket.test.ts).
 */

export interface RtpEndpoint {
  readonly port: number;
  /** Queues a datagram; false once closed. */
  send(data: Uint8Array, port: number, host: string): boolean;
  /** Idempotent; the port goes back where it came from once the stream's sockets are all closed. */
  close(): void;
}

export type PacketHandler = (data: Uint8Array, fromHost: string, fromPort: number) => void;

export interface RtpStreamSockets {
  readonly rtp: RtpEndpoint;
  /** Absent with rtcp-mux (RFC 5761): RTCP shares the RTP socket. */
  readonly rtcp?: RtpEndpoint;
}

export interface RtpSocketRequest {
  /** One socket for RTP and RTCP (RFC 5761) instead of a pair. */
  readonly rtcpMux: boolean;
  readonly onRtp: PacketHandler;
  /** RTCP on its own socket (never called with rtcpMux: RTCP arrives on onRtp). */
  readonly onRtcp: PacketHandler;
}

export interface RtpSocketPort {
  /**
   * RFC 3550 §11: "RTP SHOULD use an even destination port number and the
   * corresponding RTCP stream SHOULD use the next higher (odd) destination
   * port number". Undefined when no port (pair) is free.
   */
  open(r: RtpSocketRequest): Promise<RtpStreamSockets | undefined>;
  /** Pairs (or muxed sockets) handed out and not yet closed. */
  readonly inUse: number;
}

/** RFC 5761 §4: payload types 200-207 on a muxed socket are RTCP (SR, RR, SDES, BYE, APP, RTPFB, PSFB, XR). */
export function isRtcp(d: Uint8Array): boolean {
  return d.length >= 2 && (d[1] as number) >= 200 && (d[1] as number) <= 207;
}

/** Closes a stream's sockets (RTP and its RTCP, if separate). */
export function closeStream(s: RtpStreamSockets): void {
  s.rtp.close();
  s.rtcp?.close();
}
