/**
 * What a recording session (RS) needs from its surroundings and what it
 * reports. The engine owns SIP signalling toward the SRS; a MediaDriver
 * (tones for test-call, the forker for the daemon) owns the audio.
 */
import type { StreamOutcome } from "../answer.ts";
import type { OfferCodec } from "../offer.ts";
import type { CallView } from "../metadata/snapshot.ts";
import type { Peer, TransportProtocol } from "../../sip/transport.ts";
import type { RtcpFeedback } from "./rtcp-watchdog.ts";
import type { RecordingMetadata } from "../metadata/model.ts";
import type { UserAgent } from "../../sip/ua/user-agent.ts";
import type { Clock } from "../../lib/clock.ts";
import type { IdSource } from "../../lib/ids.ts";
import type { Logger } from "../../lib/log.ts";

export interface SrsTarget {
  readonly name: string;
  readonly uri: string;
  /** Resolved addresses, tried in order (RFC 3263). */
  readonly peers: () => Promise<readonly Peer[]>;
  readonly credentials?: { readonly username: string; readonly password: string };
}

export interface LocalStream {
  readonly label: string;
  readonly port: number;
  readonly rtcpPort?: number;
}

/** An accepted stream with the SRTP keys we offered for it (when any). */
export interface ActiveStream {
  readonly outcome: Extract<StreamOutcome, { status: "accepted" | "inactive" }>;
  readonly local: LocalStream;
  readonly sendKey?: { readonly suite: string; readonly keySalt: Uint8Array };
}

export interface StreamFigures {
  readonly label: string;
  readonly packets: number;
  readonly octets: number;
  readonly gaps: number;
  readonly droppedPaused: number;
  readonly rtcp?: { readonly fractionLost: number; readonly cumulativeLost: number; readonly jitterMs: number; readonly rttMs?: number };
}

export interface MediaDriver {
  /** Local ports (and RTCP ports) to put in an offer, one per label. */
  prepare(labels: readonly string[]): Promise<LocalStream[]>;
  /** Starts (or re-targets) sending on the accepted streams. */
  start(streams: readonly ActiveStream[], group: string): void;
  /** The PCI gate: false stops every packet at once. */
  gate(open: boolean): void;
  /** Stops sending (RTCP BYE included) and frees ports; returns the per-stream figures. */
  stop(): StreamFigures[];
  /** Ports no longer needed (an SRS that failed). */
  release(local: readonly LocalStream[]): void;
  /** RTCP heard from the SRS so far (rtcp-watchdog.ts); a driver without it is not watched. */
  feedback?(): RtcpFeedback;
}

export interface SessionConfig {
  readonly codecs: readonly OfferCodec[];
  readonly ptime: number;
  readonly telephoneEvent: boolean;
  readonly rtcpMux: boolean;
  readonly srtp: "off" | "offer" | "require";
  readonly srtpSuites: readonly string[];
  /** SDES keys toward a server reached without TLS: "warn" (report and log) or "refuse" (never send keys in clear). */
  readonly srtpOverPlain?: "warn" | "refuse";
  readonly transport: TransportProtocol;
  /** Responses that move on to the next server; "4xx"/"5xx"/"6xx" classes allowed. */
  readonly failoverOn: readonly (number | string)[];
  readonly setupTimeoutMs: number;
  /** Per-INVITE deadline before CANCEL. */
  readonly inviteTimeoutMs: number;
  readonly fromUri: string;
  readonly localAddress: string;
  /** The SRS is gone after this many of its RTCP report intervals without a packet (0 or absent: not watched). */
  readonly rtcpTimeoutIntervals?: number;
}

export type SipEvent = { readonly atMs: number; readonly dir: "out" | "in"; readonly what: string };

export interface Attempt {
  readonly srs: string;
  readonly status: number;
  readonly reason: string;
}

export type SessionState = "idle" | "starting" | "recording" | "paused" | "stopping" | "stopped" | "failed";

export interface SessionReport {
  readonly state: SessionState;
  readonly reason?: string;
  readonly srs?: string;
  readonly attempts: readonly Attempt[];
  readonly startedAt?: number;
  readonly endedAt?: number;
  readonly endedBy?: "local" | "srs" | "error";
  /**
   * Why a recording that was up ended without our stop: srs-bye,
   * transport-lost, dialog-lost, session-expired, ack-timeout, rtcp-silence.
   */
  readonly cause?: string;
  /** How long before the end was noticed the SRS had already gone quiet (rtcp-silence): audio it likely lost too. */
  readonly unheardMs?: number;
  readonly streams: readonly { readonly label: string; readonly status: string; readonly codec?: string; readonly remote?: string; readonly reason?: string }[];
  readonly figures: readonly StreamFigures[];
  readonly pauses: readonly { readonly fromMs: number; readonly toMs?: number; readonly signalled: boolean }[];
  readonly ladder: readonly SipEvent[];
  readonly warnings: readonly string[];
  readonly snapshotsSent: number;
}

export type MetadataSource = () => CallView;

export interface RecordingSessionOptions {
  readonly ua: UserAgent;
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly logger?: Logger;
  readonly config: SessionConfig;
  readonly servers: readonly SrsTarget[];
  readonly isUsable?: (name: string) => boolean;
  readonly media: MediaDriver;
  readonly metadata: MetadataSource;
  /** A complete document to send as it is instead of one built from `metadata` (replayed SIPREC captures). */
  readonly snapshot?: () => RecordingMetadata;
  readonly labels: readonly string[];
  /** Groups the media of this RS (the pause gate). */
  readonly group: string;
  /** Our SIP (From) and media (c=) address toward a resolved SRS address; config.fromUri/localAddress otherwise. */
  readonly localAddressFor?: (peer: Peer) => { readonly sip: string; readonly media: string };
}
