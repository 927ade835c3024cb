/**
 * The SIP stack an app (the daemon, the reference SRS, test-call, replay)
 * runs on, as the engines see it: one transaction layer with one user agent
 * on it, over transports on one host. Opened by `src/sip/stack.ts`; engines
 * receive an opener (`OpenSipStack`) so tests can hand them another.
 */
import type { Clock } from "../../lib/clock.ts";
import type { IdSource } from "../../lib/ids.ts";
import type { Logger } from "../../lib/log.ts";
import type { TransactionLayer } from "../transaction/layer.ts";
import type { Peer, SipTransport, TlsSettings, TransportProtocol } from "../transport.ts";
import type { UserAgent } from "./user-agent.ts";

export interface SipStackOptions {
  readonly host: string;
  readonly protocols: readonly TransportProtocol[];
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly logger?: Logger;
  /** 0 or absent: any free port (the same number on every protocol; TLS on port + 1 when another protocol has the port). */
  readonly listenPort?: number;
  readonly tls?: TlsSettings;
  /** What the user agent is (RFC 7866 §6.1.1: ";+sip.src" for a recording client, ";+sip.srs" for a server). */
  readonly role: "src" | "srs";
  /** The User-Agent header (default siprec/VERSION). */
  readonly userAgent?: string;
  /** Body types accepted in requests (answered in Accept). */
  readonly accept?: readonly string[];
  readonly inviteDeadlineMs?: number;
  /** The address that reaches `peer` for Via/Contact (the source address toward it); the listening host when absent. */
  readonly advertise?: (peer: Peer | undefined) => string;
}

export interface SipStack {
  readonly ua: UserAgent;
  readonly layer: TransactionLayer;
  readonly transports: ReadonlyMap<TransportProtocol, SipTransport>;
  /** The port listened on for `p` (undefined when the stack does not speak it). */
  portOf(p: TransportProtocol): number | undefined;
  /**
   * Stops the transaction layer and closes the transports after
   * `SIP_CLOSE_LINGER_MS`, so what was just queued (the ACK or 200 of a
   * final BYE) leaves first.
   */
  close(): Promise<void>;
}

export type OpenSipStack = (o: SipStackOptions) => Promise<SipStack>;

/**
 * How long a closing stack lets queued messages leave before its sockets
 * close: one event-loop turn of batching plus a TCP write, with room on a
 * loaded box (the apps used 50, 60 and 100 ms waits for this before).
 */
export const SIP_CLOSE_LINGER_MS = 60;
