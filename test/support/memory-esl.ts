/** An in-memory EslConnector: the test sees every write and plays FreeSWITCH's bytes. */
import type { EslConnector, EslSocket, EslSocketHandlers } from "../../src/esl/client/types.ts";

export class MemoryEslLink implements EslSocket {
  readonly written: string[] = [];
  closed = false;

  constructor(private readonly handlers: EslSocketHandlers) {}

  write(bytes: Uint8Array): void {
    this.written.push(new TextDecoder().decode(bytes));
  }

  close(): void {
    this.closed = true;
  }

  /** FreeSWITCH sends these bytes. */
  feed(data: string | Uint8Array): void {
    this.handlers.data(typeof data === "string" ? new TextEncoder().encode(data) : data);
  }

  /** FreeSWITCH (or the network) closes the connection. */
  drop(reason = "closed by FreeSWITCH"): void {
    this.handlers.close(reason);
  }
}

export class MemoryEslConnector implements EslConnector {
  readonly links: MemoryEslLink[] = [];

  connect(handlers: EslSocketHandlers): EslSocket {
    const link = new MemoryEslLink(handlers);
    this.links.push(link);
    return link;
  }

  get last(): MemoryEslLink {
    const l = this.links.at(-1);
    if (l === undefined) throw new Error("no connection yet");
    return l;
  }
}
