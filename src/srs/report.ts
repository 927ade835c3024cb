/**
 * The reference SRS's report.json of one recording, as a type: what the
 * operator and the tests read (a cut recording's says "complete": false
 * until the next start marks it "interrupted").
 */
import type { RtcpReceiverFigures } from "../rtp/rtcp-receiver.ts";

export type SrsStreamReport = {
  readonly label: string;
  readonly codec: string;
  /** The WAV's sample rate: 8000, or 16000 for G.722 and L16/16000. */
  readonly sampleRate: number;
  /** The WAV's file name in the folder. */
  readonly wav: string;
  readonly packets: number;
  readonly payloadBytes: number;
  readonly dtmfPackets: number;
  readonly rtcpPackets: number;
  /** Packets refused: SRTP authentication, RTP parse, an unexpected payload type. */
  readonly rejected: number;
  /** Packets that arrived while the client had the recording paused (a PCI leak if > 0). */
  readonly whilePaused: number;
  /** Packets too late for the jitter window. */
  readonly late: number;
  readonly durationMs: number;
  readonly srtp: boolean;
  readonly srtpSuite?: string;
  readonly rtcp?: RtcpReceiverFigures;
  readonly writeError?: string;
};

export type SrsReport = {
  readonly callId: string;
  readonly folder: string;
  readonly complete: boolean;
  /** In progress: when this report was written, and what "complete": false means. */
  readonly writtenAt?: string;
  readonly note?: string;
  readonly startedAt: string;
  readonly endedAt?: string;
  readonly endedBy?: "client" | "srs";
  readonly streams: SrsStreamReport[];
  readonly pauses: { fromMs: number; toMs?: number }[];
  readonly metadataVersions: number;
  readonly events: { atMs: number; what: string }[];
  readonly warnings: string[];
  /** Kept within the per-recording limits; the rest counted here. */
  readonly droppedOverLimits?: { readonly metadata: number; readonly events: number };
  /** Set by a later start of the SRS when this one was left unfinished. */
  readonly interrupted?: { readonly foundAt: string; readonly why: string };
};

/** A recording left unfinished by an earlier run, marked so (undefined: nothing to mark). */
export function markedInterrupted(r: SrsReport, nowMs: number): SrsReport | undefined {
  if (r.complete !== false || r.interrupted !== undefined) return undefined;
  return {
    ...r,
    interrupted: {
      foundAt: new Date(nowMs).toISOString(),
      why: "the SRS stopped before the recording ended (killed or crashed): audio and metadata are complete up to writtenAt",
    },
  };
}

export function wavName(label: string): string {
  return `label-${label.replace(/[^A-Za-z0-9_.-]/g, "_")}.wav`;
}
