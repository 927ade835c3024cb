/**
 * An in-memory RTP socket network for tests: sockets on one host, datagrams
 * delivered at once (or dropped), every send recorded. Implements the same
 * RtpSocketPort as udpRtpSockets; test/contract/rtp-socket.test.ts runs one
 * contract on both.
 */
import type { PacketHandler, RtpEndpoint, RtpSocketPort, RtpStreamSockets } from "../../src/rtp/rtp-socket-port.ts";

export interface SentDatagram {
  readonly fromPort: number;
  readonly toPort: number;
  readonly toHost: string;
  readonly data: Uint8Array;
}

export class MemoryRtpNetwork {
  readonly #bound = new Map<number, PacketHandler>();
  readonly sent: SentDatagram[] = [];
  #next: number;
  /** Return true to drop a datagram. */
  drop: (d: SentDatagram) => boolean = () => false;

  constructor(
    readonly host = "127.0.0.1",
    firstPort = 40000,
    /** Pairs (or muxed sockets) this network hands out at most. */
    private readonly capacity = 1000,
  ) {
    this.#next = firstPort;
  }

  /** A socket of this network on `port` (a peer standing in for the SRS). */
  bind(port: number, onPacket: PacketHandler): RtpEndpoint {
    this.#bound.set(port, onPacket);
    return this.#endpoint(port, () => {});
  }

  #endpoint(port: number, onClose: () => void): RtpEndpoint {
    let closed = false;
    return {
      port,
      send: (data, toPort, toHost) => {
        if (closed) return false;
        const d = { fromPort: port, toPort, toHost, data: data.slice() };
        this.sent.push(d);
        if (!this.drop(d) && toHost === this.host) this.#bound.get(toPort)?.(d.data, this.host, port);
        return true;
      },
      close: () => {
        if (closed) return;
        closed = true;
        this.#bound.delete(port);
        onClose();
      },
    };
  }

  readonly sockets: RtpSocketPort & { inUse: number } = ((net: MemoryRtpNetwork) => {
    const port: RtpSocketPort & { inUse: number } = {
      inUse: 0,
      async open(r): Promise<RtpStreamSockets | undefined> {
        if (port.inUse >= net.capacity) return undefined;
        port.inUse++;
        const base = net.#next;
        net.#next += 2;
        let open = r.rtcpMux ? 1 : 2;
        const closed = () => {
          if (--open === 0) port.inUse--;
        };
        net.#bound.set(base, r.onRtp);
        const rtp = net.#endpoint(base, closed);
        if (r.rtcpMux) return { rtp };
        net.#bound.set(base + 1, r.onRtcp);
        return { rtp, rtcp: net.#endpoint(base + 1, closed) };
      },
    };
    return port;
  })(this);
}
