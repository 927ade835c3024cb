/**
 * RTP/RTCP sockets on Bun.udpSocket. Sends are queued and flushed once per
 * event-loop iteration (setImmediate, after the iteration's I/O callbacks)
 * with sendMany: the machine note for this box is that batching forwards
 * several times more packets than one send per packet. A microtask flush
 * would run after every receive callback and batch nothing.
 */
import type { udp } from "bun";
import { PortAllocator } from "./port-allocator.ts";
import type { RtpEndpoint, RtpSocketPort, RtpStreamSockets } from "./rtp-socket-port.ts";

export type { RtpEndpoint } from "./rtp-socket-port.ts";

export interface RtpSocketOptions {
  readonly host: string;
  readonly port: number;
  readonly onPacket: (data: Uint8Array, fromHost: string, fromPort: number) => void;
  readonly onError?: (e: Error) => void;
}

/** Datagrams waiting for the end of this event-loop turn, per socket. */
interface Batch {
  flush(): void;
}

/**
 * One flush per event-loop turn for every socket with datagrams waiting (a
 * stream's socket rarely has more than one per turn, so a timer per socket
 * would cost more than the send). Swapped, not copied: batches queued while
 * flushing wait for the next turn.
 */
let dirty: Batch[] = [];
let spare: Batch[] = [];
const flushAll = (): void => {
  const now = dirty;
  dirty = spare;
  spare = now;
  for (let i = 0; i < now.length; i++) (now[i] as Batch).flush();
  now.length = 0;
};

export async function openRtpSocket(o: RtpSocketOptions): Promise<RtpEndpoint> {
  const onPacket = o.onPacket;
  // "uint8array": the datagram arrives as a plain Uint8Array, no wrapper made per packet.
  const socket: udp.Socket<"uint8array"> = await Bun.udpSocket({
    hostname: o.host,
    port: o.port,
    binaryType: "uint8array",
    socket: {
      data: (_s, buf, port, address) => onPacket(buf, address, port),
      // ICMP port-unreachable from a stopped SRS arrives here; RTP carries on.
      error: (_s, e) => o.onError?.(e),
    },
  });
  let closed = false;
  const items: (Uint8Array | number | string)[] = [];
  const batch: Batch = {
    flush() {
      if (closed || items.length === 0) {
        items.length = 0;
        return;
      }
      try {
        if (items.length === 3) socket.send(items[0] as Uint8Array, items[1] as number, items[2] as string);
        else socket.sendMany(items as unknown as Parameters<typeof socket.sendMany>[0]);
      } catch (e) {
        // One socket's failure (the OS refused the send) costs its own datagrams, not the other sockets' turn.
        o.onError?.(e instanceof Error ? e : new Error(String(e)));
      }
      items.length = 0;
    },
  };
  return {
    port: socket.port,
    send(data, port, host) {
      if (closed) return false;
      if (items.length === 0) {
        if (dirty.length === 0) setImmediate(flushAll);
        dirty.push(batch);
      }
      items.push(data, port, host);
      return true;
    },
    close() {
      if (closed) return;
      closed = true;
      socket.close();
    },
  };
}

/** Opens a socket on a port from `take`, skipping ports the OS refuses (bounded tries). */
export async function openOnFreePort(
  take: () => number | undefined,
  release: (p: number) => void,
  o: Omit<RtpSocketOptions, "port">,
): Promise<RtpEndpoint | undefined> {
  for (let tries = 0; tries < 32; tries++) {
    const port = take();
    if (port === undefined) return undefined;
    try {
      return await openRtpSocket({ ...o, port });
    } catch {
      release(port);
    }
  }
  return undefined;
}

/**
 * An even RTP port and the odd RTCP port above it from `ports` (RFC 3550
 * §11: "RTP SHOULD use an even destination port number and the
 * corresponding RTCP stream SHOULD use the next higher (odd) destination
 * port number"); a pair the OS refuses is given back and the next tried.
 * The pair returns to `ports` once both sockets are closed.
 */
export async function openRtpPair(
  ports: PortAllocator,
  o: { readonly host: string; readonly onRtp: RtpSocketOptions["onPacket"]; readonly onRtcp: RtpSocketOptions["onPacket"] },
  maxTries = 32,
): Promise<{ rtp: RtpEndpoint; rtcp: RtpEndpoint } | undefined> {
  for (let tries = 0; tries < maxTries; tries++) {
    const p = ports.take();
    if (p === undefined) return undefined;
    let rtp: RtpEndpoint | undefined;
    try {
      rtp = await openRtpSocket({ host: o.host, port: p, onPacket: o.onRtp });
      const rtcp = await openRtpSocket({ host: o.host, port: p + 1, onPacket: o.onRtcp });
      let open = 2;
      const giveBack = (ep: RtpEndpoint): RtpEndpoint => {
        let closed = false;
        return {
          port: ep.port,
          send: (d, port, host) => ep.send(d, port, host),
          close: () => {
            if (closed) return;
            closed = true;
            ep.close();
            if (--open === 0) ports.release(p);
          },
        };
      };
      return { rtp: giveBack(rtp), rtcp: giveBack(rtcp) };
    } catch {
      rtp?.close();
      ports.release(p);
    }
  }
  return undefined;
}

/**
 * The tools' own RTP range (test-call, replay, srs): even RTP ports with
 * RTCP on the odd one above, like the daemon. Each process starts at a
 * random place in it, and skips ports another process holds.
 */
const TOOL_PORTS = new PortAllocator(30000, 39999, Math.floor(Math.random() * 5000));

/** An even RTP port with its RTCP on port + 1 (RFC 3550 §11), from the tools' range. */
export async function openToolRtpPair(o: {
  readonly host: string;
  readonly onRtp: RtpSocketOptions["onPacket"];
  readonly onRtcp: RtpSocketOptions["onPacket"];
}): Promise<{ rtp: RtpEndpoint; rtcp: RtpEndpoint }> {
  const pair = await openRtpPair(TOOL_PORTS, o, 512);
  if (pair === undefined) throw new Error(`no free even RTP/RTCP port pair in 30000-39999 (${TOOL_PORTS.inUse} pairs held by this process)`);
  return pair;
}

/**
 * The RTP socket port on real UDP sockets of `host`: pairs from `ports`
 * (the daemon's [recording] rtp_port_min-max) or from the tools' range,
 * a single socket on any free port with rtcp-mux.
 */
export function udpRtpSockets(host: string, ports?: PortAllocator): RtpSocketPort {
  const pool = ports ?? TOOL_PORTS;
  let muxed = 0;
  return {
    get inUse() {
      return pool.inUse + muxed;
    },
    async open(r): Promise<RtpStreamSockets | undefined> {
      if (r.rtcpMux) {
        const rtp = await openRtpSocket({ host, port: 0, onPacket: r.onRtp });
        muxed++;
        let closed = false;
        return {
          rtp: {
            port: rtp.port,
            send: (d, port, to) => rtp.send(d, port, to),
            close: () => {
              if (closed) return;
              closed = true;
              muxed--;
              rtp.close();
            },
          },
        };
      }
      // The daemon's own range is scanned once round before giving up: another process holding a block of
      // it (seen: the reference SRS's pairs, 200 ports in a row) must not fail a recording while pairs are free.
      return openRtpPair(pool, { host, onRtp: r.onRtp, onRtcp: r.onRtcp }, ports === undefined ? 512 : ports.capacity);
    },
  };
}
