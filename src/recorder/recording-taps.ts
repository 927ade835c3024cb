/**
 * Which tap a Recording takes its audio from, and how it reports back: the
 * tap of `[tap] method` (tap legs or the media-bug tap) wired to the
 * recording's events, logs and gaps. A media-bug tap that cannot be had
 * (refused at the start, or lost for good mid-recording) hands over to tap
 * legs through `toLegs`; the recording decides whether legs can carry it.
 */
import type { ChannelInfo } from "./channel.ts";
import { MediaBugTap } from "./media-bug-tap.ts";
import type { RecorderDeps, RecordingMedia, TapMethod } from "./ports.ts";
import { TapSet } from "./tap-set.ts";
import type { TapSetEvents, TapSource } from "./tap-source.ts";

/** What the taps need from their recording. */
export interface TapHost {
  readonly d: RecorderDeps;
  readonly id: string;
  readonly callUuid: string;
  readonly token: string;
  readonly media: RecordingMedia;
  channel(): ChannelInfo;
  ready(): void;
  failed(reason: string): void;
  persist(): void;
  /** Audio the tap dropped (the daemon fell behind), ms. */
  gap(ms: number): void;
  /** The media-bug tap is lost for good: carry on with tap legs if they can. */
  toLegs(reason: string): void;
}

/** The media-bug tap's bounds when the policy gives none. */
const MEDIA_BUG_DEFAULTS = { maxBacklogMs: 200, stallMs: 5000 } as const;

export function makeTaps(method: TapMethod, h: TapHost): TapSource {
  const { d, id: recordingId, callUuid } = h;
  const what = method === "legs" ? "tap leg" : "media-bug tap";
  const target = {
    recordingId,
    callUuid,
    token: h.token,
    codec: () => h.channel().readCodec ?? "PCMU",
    channelDirection: () => h.channel().direction,
  };
  const events: TapSetEvents & { gap(ms: number): void } = {
    ready: () => h.ready(),
    failed: (reason) => h.failed(reason),
    restoring: (direction, attempt, why) => {
      d.log.warn(`${what} lost mid-recording; setting it up again`, { recordingId, callUuid, direction, attempt, why });
      h.persist();
    },
    restored: (direction) => d.log.info(`${what} restored`, { recordingId, callUuid, direction }),
    lost: (reason) => {
      d.log.error("tap lost", { recordingId, callUuid, reason });
      if (method === "media-bug") h.toLegs(reason);
    },
    gap: (ms) => h.gap(ms),
  };
  if (method === "legs") return new TapSet(d, target, h.media, events);
  return new MediaBugTap(d, target, h.media, events, d.policy.mediaBug ?? MEDIA_BUG_DEFAULTS);
}
