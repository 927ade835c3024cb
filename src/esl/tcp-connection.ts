/**
 * ESL connector over TCP (Bun.connect): the engine's EslSocket. Bytes
 * written before the connection opens, or while the kernel buffer is full,
 * wait in a queue bounded by `maxQueuedBytes` (past it the connection is
 * closed: FreeSWITCH is not reading). `close` is reported exactly once.
 */
import type { EslConnector, EslSocket, EslSocketHandlers } from "./client/types.ts";

export interface TcpEslTarget {
  readonly host: string;
  readonly port: number;
  readonly maxQueuedBytes?: number;
}

type BunSocket = Awaited<ReturnType<typeof Bun.connect>>;

export function tcpEslConnector(target: TcpEslTarget): EslConnector {
  return { connect: (handlers) => new TcpEslSocket(target, handlers) };
}

class TcpEslSocket implements EslSocket {
  #socket: BunSocket | undefined;
  #queue: Uint8Array[] = [];
  #queued = 0;
  #closed = false;

  constructor(
    private readonly target: TcpEslTarget,
    private readonly handlers: EslSocketHandlers,
  ) {
    Bun.connect({
      hostname: target.host,
      port: target.port,
      socket: {
        open: (s) => {
          if (this.#closed) {
            s.end();
            return;
          }
          this.#socket = s;
          this.#flush();
        },
        data: (_s, d) => {
          if (!this.#closed) handlers.data(d);
        },
        drain: () => this.#flush(),
        close: () => this.#finish("closed by FreeSWITCH"),
        error: (_s, e) => this.#finish(`socket error: ${e.message}`),
        connectError: (_s, e) => this.#finish(`cannot connect to ${target.host}:${target.port}: ${e.message}`),
      },
    }).catch((e: unknown) => this.#finish(`cannot connect to ${target.host}:${target.port}: ${e instanceof Error ? e.message : String(e)}`));
  }

  write(bytes: Uint8Array): void {
    if (this.#closed) return;
    this.#queue.push(bytes);
    this.#queued += bytes.length;
    if (this.#queued > (this.target.maxQueuedBytes ?? 4 * 1024 * 1024)) {
      this.#finish(`more than ${this.target.maxQueuedBytes ?? 4 * 1024 * 1024} bytes wait to be written; FreeSWITCH is not reading`);
      return;
    }
    this.#flush();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#flush();
    this.#socket?.end();
  }

  #flush(): void {
    const s = this.#socket;
    if (s === undefined) return;
    while (this.#queue.length > 0) {
      const head = this.#queue[0] as Uint8Array;
      const n = s.write(head);
      if (n < head.length) {
        this.#queue[0] = head.subarray(Math.max(0, n));
        this.#queued -= Math.max(0, n);
        return;
      }
      this.#queue.shift();
      this.#queued -= head.length;
    }
  }

  #finish(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket?.end();
    this.#queue = [];
    this.handlers.close(reason);
  }
}
