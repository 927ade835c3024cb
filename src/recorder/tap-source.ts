/**
 * What a Recording needs from the way audio leaves FreeSWITCH, whichever it
 * is: tap legs (tap-set.ts: native_eavesdrop/eavesdrop legs over SIP) or the
 * media-bug tap (media-bug-tap.ts: one stereo `uuid_record` into a pipe).
 * Both feed RecordingMedia under the stream labels and report through
 * TapSetEvents.
 */
import type { TapMethod } from "./ports.ts";
import type { TapDirection } from "./tap-command.ts";
import type { StreamMode } from "./triggers.ts";

export interface TapSetTarget {
  readonly recordingId: string;
  readonly callUuid: string;
  readonly token: string;
  /** The recorded channel's codec now (absolute_codec_string of native legs). */
  codec(): string;
  /** Whether the recorded channel is inbound or outbound: which party its read side hears (labelOfTap). */
  channelDirection(): "inbound" | "outbound";
}

export interface TapSetEvents {
  ready(): void;
  failed(reason: string): void;
  /** A tap ended mid-recording and is being set up again (attempt 1..MAX_RESTORES). */
  restoring?(direction: TapDirection, attempt: number, why: string): void;
  /** The replacement carries audio again. */
  restored?(direction: TapDirection): void;
  /** No more attempts: the streams stay silent. */
  lost?(reason: string): void;
}

export interface TapSource {
  readonly method: TapMethod;
  /** Legs or pipes in use (0 once dropped). */
  readonly count: number;
  /** Tap legs a restarted daemon hangs up. */
  readonly legUuids: string[];
  /** Pipes a restarted daemon stops FreeSWITCH recording into. */
  readonly files: string[];
  /** Sets the taps of `mode` up; `ready` once every stream carries audio. */
  start(mode: StreamMode): void;
  /** Ends the taps (FreeSWITCH stops sending) and forgets them. */
  drop(): void;
  /** The recorded call is gone: FreeSWITCH ends the taps itself; stop expecting them. */
  forget(): void;
  /** FreeSWITCH reported a recording of the call stopped (RECORD_STOP); the media-bug tap restores its own. */
  recordStopped?(path: string): void;
}

/** At most this many times a tap lost mid-recording is set up again. */
export const MAX_RESTORES = 5;
