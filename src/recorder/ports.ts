/**
 * What the recorder engine needs from the rest of the daemon. The
 * composition root (src/daemon) gives it the ESL client, the tap listener,
 * forker-backed media and real recording sessions; tests give it fakes.
 */
import type { Clock } from "../lib/clock.ts";
import type { IdSource } from "../lib/ids.ts";
import type { Logger } from "../lib/log.ts";
import type { Result } from "../lib/result.ts";
import type { EslCommand } from "../esl/command.ts";
import type { BgapiResult } from "../esl/client/client.ts";
import type { EslClientError } from "../esl/client/types.ts";
import type { CallView } from "../siprec/metadata/snapshot.ts";
import type { MediaDriver, SessionReport, SessionState } from "../siprec/session/types.ts";
import type { MetadataMapping } from "./call-metadata.ts";
import type { TapExpectation, TapLeg } from "./tap-listener.ts";
import type { Dialog } from "../sip/dialog/dialog.ts";
import type { Peer } from "../sip/transport.ts";

export interface EslPort {
  bgapi(command: string): Promise<Result<BgapiResult, EslClientError>>;
  api(command: string): Promise<Result<string, EslClientError>>;
  command(cmd: EslCommand): Promise<Result<unknown, EslClientError>>;
}

export interface TapPort {
  expect(e: TapExpectation): () => void;
}

/** A named pipe FreeSWITCH records a call into (the media-bug tap), already open for reading. */
export interface PcmPipe {
  /** Where FreeSWITCH writes (the `uuid_record` path). */
  readonly path: string;
  /** Stops reading, closes and deletes the pipe. */
  close(): void;
}

export interface PcmPipeError {
  readonly code: "PIPE_CREATE" | "PIPE_OPEN";
  readonly message: string;
}

export interface PcmPipePort {
  /**
   * A new pipe named after `name` (a recording id), open for reading before
   * FreeSWITCH is asked to write. `onData` gets every read and the bytes
   * still queued in the pipe behind it (0 where that cannot be asked).
   * `sampleRate` names the file `.r8` or `.r16`.
   */
  open(name: string, onData: (chunk: Uint8Array, queuedBytes: number) => void, sampleRate?: 8000 | 16000): Result<PcmPipe, PcmPipeError>;
  /** A pipe a dead process left: a writer still blocked opening it returns (and then fails its writes), and the pipe is deleted. */
  release(path: string): void;
}

/** One recording's audio path: tap legs in, the forker's outputs to every SRS of the recording out. */
export interface RecordingMedia {
  attachLeg(label: string, leg: TapLeg): void;
  packet(label: string, packet: Uint8Array): void;
  detachLeg(label: string): void;
  /** Closed: not one more packet of call audio leaves, from this call on (PCI); "silence" sends silence in its place. */
  gate(open: boolean, closed?: "drop" | "silence"): void;
  /** An RFC 4733 event on the stream with this label (when its SRS accepted telephone-event). */
  dtmf(label: string, digit: string, durationSamples: number): void;
  /** The streams of this recording toward one SRS group, for that group's recording session. */
  driverFor(group: string): MediaDriver;
  close(): void;
}

export interface SessionPort {
  readonly state: SessionState;
  /** Called once when the session ends, whoever ended it (report.endedBy says). */
  onEnded?: (r: SessionReport) => void;
  start(): Promise<SessionReport>;
  pause(): Promise<boolean>;
  resume(): Promise<boolean>;
  stop(): Promise<SessionReport>;
  updateMetadata(): Promise<boolean>;
  report(): SessionReport;
  /** The established SRS dialog, kept so a restarted daemon can end it. */
  dialogState?(): { readonly dialog: Dialog; readonly peer: Peer } | undefined;
}

/** What survives a crash: enough to BYE the SRS dialogs, kill the tap legs and re-record the call. */
export interface StoredRecording {
  readonly id: string;
  readonly callUuid: string;
  readonly groupId: string | undefined;
  readonly groups: readonly string[];
  readonly mode: "separate" | "mixed";
  readonly startedMs: number;
  readonly legUuids: readonly string[];
  /** Media-bug taps: the pipes FreeSWITCH records into (`uuid_record <callUuid> stop <path>` after a crash). */
  readonly tapFiles?: readonly string[];
  readonly dialogs: readonly { readonly group: string; readonly dialog: Dialog; readonly peer: Peer }[];
}

export interface RecordingStore {
  save(r: StoredRecording): void;
  remove(id: string): void;
  load(): StoredRecording[];
}

export interface OpenSessionArgs {
  readonly recordingId: string;
  readonly group: string;
  readonly labels: readonly string[];
  readonly metadata: () => CallView;
  readonly media: RecordingMedia;
  /** Servers of the group not to try (they ended or lost this recording already). */
  readonly skipServers?: readonly string[];
}

export type PauseMode = "inactive" | "drop" | "silence" | "detach";

/** How audio leaves FreeSWITCH: tap legs (native_eavesdrop/eavesdrop over SIP) or one stereo `uuid_record` into a pipe. */
export type TapMethod = "legs" | "media-bug";

export interface RecorderPolicy {
  readonly onFailure: "continue" | "hangup";
  /** Q.850 cause name for uuid_kill when recording is required and failed. */
  readonly hangupCause: string;
  /** RFC 7866 §6.1.2: played to both parties when the recording starts (and on resume when `onResume`). */
  readonly indication?: { readonly file: string; readonly onResume: boolean };
  /** Played to both parties before that hangup, which then comes `announcementSeconds` later. */
  readonly announcement?: { readonly file: string; readonly seconds: number };
  readonly dtmf: "forward" | "drop";
  readonly pauseMode: PauseMode;
  readonly defaultStreams: "separate" | "mixed";
  readonly metadata: MetadataMapping;
  /** Default "legs"; "media-bug" needs RecorderDeps.pipes. */
  readonly tapMethod?: TapMethod;
  /** The media-bug tap's bounds (media-bug-tap.ts): backlog dropped as a gap, silence taken as a lost recording. */
  readonly mediaBug?: { readonly maxBacklogMs: number; readonly stallMs: number; readonly sampleRate?: 8000 | 16000; readonly ptimeMs?: number };
}

export interface TapTarget {
  readonly profile: string;
  readonly host: string;
  readonly port: number;
  /** From originate to the first RTP of a leg. */
  readonly answerTimeoutMs: number;
}

export interface RecorderDeps {
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly log: Logger;
  readonly esl: EslPort;
  readonly tap: TapPort;
  readonly tapTarget: TapTarget;
  readonly policy: RecorderPolicy;
  openMedia(recordingId: string): RecordingMedia;
  openSession(args: OpenSessionArgs): SessionPort;
  readonly store?: RecordingStore;
  /** The media-bug tap's pipes (policy.tapMethod = "media-bug"). */
  readonly pipes?: PcmPipePort;
  /** Where FreeSWITCH may write the tap-only repair probe (tap-only-repair.ts), and how to delete it. */
  readonly tapRepair?: { readonly probeDir: string; readonly removeProbe?: (path: string) => void };
}
