/**
 * SIP over TCP and TLS (Bun.listen / Bun.connect), client and server.
 *
 * - One connection per destination is reused for every message to it;
 *   responses go back on the connection the request came in on (RFC 3261
 *   §18.2.2) and fall back to a new connection if it is gone.
 * - Each connection frames its byte stream (stream-framer.ts); a framing
 *   error closes that connection only.
 * - TLS verifies the server certificate and name by default; a failure is a
 *   TransportError with the reason. Client certificates for mutual TLS.
 * - Bounded: at most `maxConnections` at once (others are closed on
 *   arrival), idle connections are closed, writes queue until drained.
 */
import type { Socket, TCPSocketListener } from "bun";
import { StreamFramer } from "./message/stream-framer.ts";
import { framingErrorResponse } from "./message/response.ts";
import { serializeMessage } from "./message/serialize.ts";
import { type ClientTls, type InboundHandler, type LocalAddress, type Peer, type SipTransport, type TlsSettings, TransportError } from "./transport.ts";

export type { TlsSettings } from "./transport.ts";
import type { Clock, TimerId } from "../lib/clock.ts";
import { type Logger, silentLogger } from "../lib/log.ts";

export interface StreamOptions {
  readonly protocol: "tcp" | "tls";
  readonly host: string;
  readonly port: number;
  /** Listen for connections (a UAS); a client-only transport connects out only. */
  readonly listen: boolean;
  readonly onMessage: InboundHandler;
  readonly clock: Clock;
  readonly tls?: TlsSettings;
  /** The listener's own certificate when it is not tls.cert (a generated one: tls.cert stays the client certificate, if any). */
  readonly listenCert?: { readonly cert: string; readonly key: string };
  readonly maxConnections?: number;
  /** Inbound connections from one IP address at most (default 64): one host cannot take every slot. */
  readonly maxPerSource?: number;
  readonly idleMs?: number;
  /** A message's headers must be complete this long after its first byte (default 10 s; slow-loris). */
  readonly headerTimeoutMs?: number;
  readonly connectTimeoutMs?: number;
  readonly logger?: Logger;
  /**
   * A connection we opened, once established, was closed or reset by the
   * peer or failed (not closed by us): the dialogs toward it learn at once
   * instead of at their next request.
   */
  readonly onConnectionLost?: (peer: Peer, why: string) => void;
}

interface Conn {
  readonly id: number;
  readonly key: string;
  socket?: Socket<Conn>;
  readonly framer: StreamFramer;
  readonly queue: Uint8Array[];
  ready: boolean;
  closed: boolean;
  lastActive: number;
  /** Inbound (accepted) rather than opened by us. */
  inbound?: boolean;
  /** When the head of the message being received started arriving (undefined when none is pending). */
  headSince?: number | undefined;
  readonly waiters: { resolve: () => void; reject: (e: TransportError) => void }[];
}

let nextId = 1;

export class StreamTransport implements SipTransport {
  readonly reliable = true;
  readonly #byKey = new Map<string, Conn>();
  readonly #byId = new Map<number, Conn>();
  #listener?: TCPSocketListener<Conn>;
  #sweep?: TimerId;
  #closed = false;
  readonly #log: Logger;

  private constructor(
    private readonly o: StreamOptions,
    readonly local: LocalAddress,
  ) {
    this.#log = o.logger ?? silentLogger;
  }

  get protocol(): "tcp" | "tls" {
    return this.o.protocol;
  }

  get connectionCount(): number {
    return this.#byId.size;
  }

  static async open(o: StreamOptions): Promise<StreamTransport> {
    if (!o.listen) {
      const t = new StreamTransport(o, { host: o.host, port: 0 });
      t.#scheduleSweep();
      return t;
    }
    let self: StreamTransport | undefined;
    const mutual = o.tls?.requireClientCert === true;
    const tls =
      o.protocol === "tls"
        ? {
            cert: o.listenCert?.cert ?? o.tls?.cert,
            key: o.listenCert?.key ?? o.tls?.key,
            requestCert: mutual,
            rejectUnauthorized: mutual,
            ...(o.tls?.ca === undefined ? {} : { ca: o.tls.ca }),
          }
        : undefined;
    const listener = Bun.listen<Conn>({
      hostname: o.host,
      port: o.port,
      ...(tls === undefined ? {} : { tls }),
      socket: {
        open: (s) => self?.acceptConn(s),
        data: (s, d) => self?.onData(s.data, d),
        drain: (s) => self?.flush(s.data),
        close: (s) => self?.dropConn(s.data, "closed by peer"),
        error: (s, e) => self?.dropConn(s.data, e.message),
      },
    });
    self = new StreamTransport(o, { host: o.host, port: listener.port });
    self.#listener = listener;
    self.#scheduleSweep();
    return self;
  }

  /**
   * Bounded: at most maxPerSource connections from one address, and at the
   * overall cap the longest-idle inbound connection makes room (idle ones
   * would otherwise lock every new client out until they time out).
   */
  private acceptConn(s: Socket<Conn>): void {
    const peer = `${s.remoteAddress}:${s.remotePort}`;
    const perSource = this.o.maxPerSource ?? 64;
    if (!this.#closed && [...this.#byId.values()].filter((c) => c.inbound === true && splitKey(c.key)[0] === s.remoteAddress).length >= perSource) {
      this.#limited("sip connection refused: per-source limit reached", { peer, limit: perSource });
      s.end();
      return;
    }
    if (!this.#closed && this.#byId.size >= (this.o.maxConnections ?? 1024)) {
      const idle = [...this.#byId.values()]
        .filter((c) => c.inbound === true && c.queue.length === 0 && c.framer.buffered === 0)
        .sort((a, b) => a.lastActive - b.lastActive)[0];
      if (idle !== undefined) {
        idle.socket?.end();
        this.dropConn(idle, "closed to make room (connection limit)");
      }
    }
    if (this.#closed || this.#byId.size >= (this.o.maxConnections ?? 1024)) {
      this.#limited("sip connection refused: limit reached", { peer, limit: this.o.maxConnections ?? 1024 });
      s.end();
      return;
    }
    const conn = this.#newConn(peer);
    conn.socket = s;
    conn.ready = true;
    conn.inbound = true;
    s.data = conn;
  }

  #lastLimitLog = -Infinity;
  #limitedSince = 0;

  /** Refusals are logged at most once a second, with how many there were. */
  #limited(msg: string, fields: Record<string, unknown>): void {
    this.#limitedSince++;
    const now = this.o.clock.now();
    if (now - this.#lastLimitLog < 1000) return;
    this.#log.warn(msg, { ...fields, refusedSinceLastLine: this.#limitedSince });
    this.#lastLimitLog = now;
    this.#limitedSince = 0;
  }

  #newConn(key: string): Conn {
    const conn: Conn = { id: nextId++, key, framer: new StreamFramer(), queue: [], ready: false, closed: false, lastActive: this.o.clock.now(), waiters: [] };
    this.#byId.set(conn.id, conn);
    if (!this.#byKey.has(key)) this.#byKey.set(key, conn);
    return conn;
  }

  private onData(conn: Conn | undefined, data: Uint8Array): void {
    if (conn === undefined || conn.closed || conn.socket === undefined) return;
    conn.lastActive = this.o.clock.now();
    const r = conn.framer.push(data);
    conn.headSince = r.ok && conn.framer.inHeaders ? (conn.headSince ?? conn.lastActive) : undefined;
    if (!r.ok) {
      this.#log.warn("sip stream closed: bad framing", { peer: conn.key, reason: r.error.message });
      // A request the framer gave up on is answered (413, 513, 400) before the connection closes, where its head allows.
      const e = r.error;
      const res =
        e.head === undefined
          ? undefined
          : framingErrorResponse(
              e.head,
              e.code === "FRAME_TOO_LARGE" ? 413 : e.code === "FRAME_HEADER_TOO_LONG" ? 513 : 400,
              e.code !== "FRAME_HEADER_TOO_LONG",
            );
      if (res !== undefined) conn.socket.write(serializeMessage(res));
      conn.socket.end();
      this.dropConn(conn, r.error.message);
      return;
    }
    const [host, port] = splitKey(conn.key);
    for (const m of r.value) this.o.onMessage(m, { protocol: this.o.protocol, host, port, connectionId: conn.id });
  }

  private flush(conn: Conn | undefined): void {
    if (conn === undefined || conn.socket === undefined || !conn.ready) return;
    while (conn.queue.length > 0) {
      const head = conn.queue[0] as Uint8Array;
      const n = conn.socket.write(head);
      if (n < head.length) {
        conn.queue[0] = head.subarray(Math.max(0, n));
        return;
      }
      conn.queue.shift();
    }
    for (const w of conn.waiters.splice(0)) w.resolve();
  }

  private dropConn(conn: Conn | undefined, why: string, byPeer = false): void {
    if (conn === undefined || conn.closed) return;
    conn.closed = true;
    this.#byId.delete(conn.id);
    if (this.#byKey.get(conn.key) === conn) this.#byKey.delete(conn.key);
    for (const w of conn.waiters.splice(0)) w.reject(new TransportError("TRANSPORT_CLOSED", `connection to ${conn.key} closed: ${why}`));
    if (byPeer) this.#lost(conn, why);
  }

  /** Only connections we opened and that were up: an inbound one is the peer's to keep. */
  #lost(conn: Conn, why: string): void {
    if (this.#closed || conn.inbound === true || !conn.ready || this.o.onConnectionLost === undefined) return;
    const [host, port] = splitKey(conn.key);
    this.#log.info("sip connection lost", { peer: conn.key, protocol: this.o.protocol, why });
    this.o.onConnectionLost({ protocol: this.o.protocol, host, port }, why);
  }

  async send(bytes: Uint8Array, to: Peer): Promise<void> {
    if (this.#closed) throw new TransportError("TRANSPORT_CLOSED", `the ${this.o.protocol} transport is closed`);
    const host = to.host.replace(/^\[|\]$/g, "");
    let conn = to.connectionId === undefined ? undefined : this.#byId.get(to.connectionId);
    conn ??= this.#byKey.get(`${host}:${to.port}`);
    if (conn === undefined || conn.closed) conn = this.#connect(host, to.port, to.tls);
    conn.lastActive = this.o.clock.now();
    conn.queue.push(bytes);
    const c = conn;
    const done = new Promise<void>((resolve, reject) => c.waiters.push({ resolve, reject }));
    this.flush(c);
    return done;
  }

  #connect(host: string, port: number, peerTls: ClientTls | undefined): Conn {
    const conn = this.#newConn(`${host}:${port}`);
    const t = peerTls ?? this.o.tls;
    const tls =
      this.o.protocol === "tls"
        ? {
            rejectUnauthorized: t?.verify !== false,
            serverName: t?.serverName ?? host,
            ...(t?.ca === undefined ? {} : { ca: t.ca }),
            ...(t?.cert === undefined ? {} : { cert: t.cert }),
            ...(t?.key === undefined ? {} : { key: t.key }),
          }
        : undefined;
    const timeout = this.o.clock.setTimer(this.o.connectTimeoutMs ?? 10_000, () => {
      if (!conn.ready) {
        conn.socket?.end();
        this.dropConn(conn, "connect timed out");
      }
    });
    Bun.connect<Conn>({
      hostname: host,
      port,
      data: conn,
      ...(tls === undefined ? {} : { tls }),
      socket: {
        open: (s) => {
          conn.socket = s;
          if (this.o.protocol === "tcp") this.#ready(conn, timeout);
        },
        // With TLS, write only after the handshake (writes in open() are lost on this Bun).
        handshake: (s, success, authError) => {
          if (!success || (authError !== null && t?.verify !== false)) {
            this.#fail(conn, timeout, "TRANSPORT_TLS", `TLS to ${host}:${port} failed: ${authError?.message ?? "handshake failed"}`);
            s.end();
            return;
          }
          this.#ready(conn, timeout);
        },
        data: (_s, d) => this.onData(conn, d),
        drain: () => this.flush(conn),
        close: () => this.dropConn(conn, "closed by peer", true),
        error: (_s, e) => this.#fail(conn, timeout, "TRANSPORT_SEND", e.message),
        connectError: (_s, e) => this.#fail(conn, timeout, "TRANSPORT_CONNECT", `cannot connect to ${host}:${port}: ${e.message}`),
      },
    }).catch((e: unknown) =>
      this.#fail(conn, timeout, "TRANSPORT_CONNECT", `cannot connect to ${host}:${port}: ${e instanceof Error ? e.message : String(e)}`),
    );
    return conn;
  }

  #ready(conn: Conn, timeout: TimerId): void {
    this.o.clock.clearTimer(timeout);
    conn.ready = true;
    this.flush(conn);
  }

  #fail(conn: Conn, timeout: TimerId, code: TransportError["code"], message: string): void {
    this.o.clock.clearTimer(timeout);
    if (conn.closed) return;
    conn.closed = true;
    this.#byId.delete(conn.id);
    if (this.#byKey.get(conn.key) === conn) this.#byKey.delete(conn.key);
    for (const w of conn.waiters.splice(0)) w.reject(new TransportError(code, message));
    this.#lost(conn, message);
  }

  #scheduleSweep(): void {
    const idle = this.o.idleMs ?? 300_000;
    const head = this.o.headerTimeoutMs ?? 10_000;
    this.#sweep = this.o.clock.setTimer(Math.max(500, Math.min(idle / 4, head / 2)), () => {
      const now = this.o.clock.now();
      for (const c of [...this.#byId.values()]) {
        if (now - c.lastActive >= idle && c.queue.length === 0) {
          c.socket?.end();
          this.dropConn(c, "idle");
        } else if (c.headSince !== undefined && now - c.headSince >= head) {
          this.#log.warn("sip stream closed: headers not complete in time", { peer: c.key, headerTimeoutMs: head });
          c.socket?.end();
          this.dropConn(c, "header timeout");
        }
      }
      if (!this.#closed) this.#scheduleSweep();
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#sweep !== undefined) this.o.clock.clearTimer(this.#sweep);
    for (const c of [...this.#byId.values()]) {
      c.socket?.end();
      this.dropConn(c, "transport closed");
    }
    this.#listener?.stop(true);
  }
}

function splitKey(key: string): [string, number] {
  const i = key.lastIndexOf(":");
  return [key.slice(0, i), Number(key.slice(i + 1))];
}
