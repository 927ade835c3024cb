/**
 * A TCP relay on 127.0.0.1 between a client and a server, for faults a real
 * peer cannot be made to produce on demand: `cut()` closes every relayed
 * connection at once (both ends see the connection drop, as when a network
 * or a firewall resets it); new connections are relayed again afterwards.
 * `delayMs` holds the server's bytes back, as a peer that answers slowly.
 */
import type { Socket, TCPSocketListener } from "bun";

interface Pair {
  client: Socket<Pair>;
  server?: Socket<undefined>;
  pending: Uint8Array[];
}

export class TcpProxy {
  readonly #pairs = new Set<Pair>();
  connections = 0;
  /** Server → client bytes are held this long (a slow peer); 0 relays at once. */
  delayMs = 0;

  private constructor(readonly listener: TCPSocketListener<Pair>) {}

  get port(): number {
    return this.listener.port;
  }

  static start(targetPort: number): TcpProxy {
    let proxy: TcpProxy | undefined;
    const listener = Bun.listen<Pair>({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open(client) {
          const pair: Pair = { client, pending: [] };
          client.data = pair;
          if (proxy !== undefined) proxy.connections++;
          proxy?.track(pair);
          void Bun.connect({
            hostname: "127.0.0.1",
            port: targetPort,
            socket: {
              open(server) {
                pair.server = server;
                for (const b of pair.pending) server.write(b);
                pair.pending = [];
              },
              data: (_s, d) => {
                const copy = new Uint8Array(d);
                const delay = proxy?.delayMs ?? 0;
                if (delay === 0) client.write(copy);
                else setTimeout(() => void client.write(copy), delay);
              },
              close: () => void client.end(),
              error: () => void client.end(),
            },
          }).catch(() => client.end());
        },
        data(client, d) {
          const pair = client.data;
          if (pair.server === undefined) pair.pending.push(new Uint8Array(d));
          else pair.server.write(d);
        },
        close(client) {
          client.data?.server?.end();
          proxy?.untrack(client.data);
        },
        error(client) {
          client.data?.server?.end();
        },
      },
    });
    proxy = new TcpProxy(listener);
    return proxy;
  }

  private track(p: Pair): void {
    this.#pairs.add(p);
  }

  private untrack(p: Pair | undefined): void {
    if (p !== undefined) this.#pairs.delete(p);
  }

  /** Drops every relayed connection now. */
  cut(): void {
    for (const p of this.#pairs) {
      p.client.terminate();
      p.server?.terminate();
    }
    this.#pairs.clear();
  }

  stop(): void {
    this.cut();
    this.listener.stop(true);
  }
}
