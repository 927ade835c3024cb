/**
 * Ports, options and outcomes of the ESL client engine. The engine owns no
 * socket: a connector (src/esl/tcp-connection.ts, or a memory pair in tests)
 * hands it bytes and takes its writes.
 */
import type { Secret } from "../../lib/secret.ts";
import type { EslEventFormat } from "../command.ts";
import type { EslEvent } from "../event.ts";

export interface EslSocketHandlers {
  data(chunk: Uint8Array): void;
  /** The connection closed or could not be opened; `reason` says why. */
  close(reason: string): void;
}

export interface EslSocket {
  write(bytes: Uint8Array): void;
  close(): void;
}

export interface EslConnector {
  /** Starts connecting; bytes and the close arrive through `handlers`. */
  connect(handlers: EslSocketHandlers): EslSocket;
}

export interface EslBackoff {
  readonly initialMs: number;
  readonly maxMs: number;
}

export interface EslClientOptions {
  readonly password: Secret;
  readonly format: EslEventFormat;
  readonly events: readonly string[];
  /** CUSTOM subclasses, subscribed by name (FreeSWITCH delivers nothing for a bare CUSTOM). */
  readonly subclasses: readonly string[];
  readonly filters?: readonly (readonly [string, string])[];
  /** How long a command may wait for its reply before the connection is declared dead. */
  readonly commandTimeoutMs?: number;
  /** How long a bgapi job may wait for its BACKGROUND_JOB. */
  readonly jobTimeoutMs?: number;
  /** From connect to "+OK accepted" and the subscription's reply. */
  readonly handshakeTimeoutMs?: number;
  readonly backoff?: EslBackoff;
  /** Commands waiting for a reply at once; more wait, unsent, in order (a burst of calls must not be refused). */
  readonly maxPending?: number;
  /** Commands waiting to be sent behind maxPending; past this they are refused (ESL_TOO_MANY_PENDING). */
  readonly maxQueued?: number;
}

export type EslClientState = "idle" | "connecting" | "authenticating" | "subscribing" | "ready" | "backoff" | "failed" | "stopped";

export type EslClientErrorCode =
  | "ESL_NOT_CONNECTED"
  | "ESL_DISCONNECTED"
  | "ESL_TIMEOUT"
  | "ESL_JOB_TIMEOUT"
  | "ESL_COMMAND_FAILED"
  | "ESL_TOO_MANY_PENDING"
  | "ESL_BAD_COMMAND"
  | "ESL_AUTH_FAILED"
  | "ESL_ACCESS_DENIED";

export interface EslClientError {
  readonly code: EslClientErrorCode;
  readonly message: string;
}

/** What the client tells its owner, in order. */
export type EslClientNotice =
  | { readonly type: "ready"; readonly connects: number }
  | { readonly type: "event"; readonly event: EslEvent }
  | { readonly type: "disconnected"; readonly reason: string; readonly retryInMs: number | undefined }
  | { readonly type: "fatal"; readonly error: EslClientError }
  | { readonly type: "protocol-error"; readonly code: string; readonly message: string };

export interface EslClientStats {
  readonly connects: number;
  readonly reconnects: number;
  readonly events: number;
  readonly commands: number;
  readonly protocolErrors: number;
  readonly ignoredFrames: number;
}

export const ESL_DEFAULTS = {
  commandTimeoutMs: 5_000,
  jobTimeoutMs: 60_000,
  handshakeTimeoutMs: 5_000,
  backoff: { initialMs: 250, maxMs: 30_000 },
  maxPending: 1_000,
  maxQueued: 50_000,
} as const;
