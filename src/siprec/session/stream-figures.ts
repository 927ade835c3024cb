/**
 * What media drivers share: the per-stream figures of a recording (forker
 * counters plus what the SRS's RTCP receiver reports said), and closing the
 * sockets of offered streams the SRS did not take.
 */
import type { Forker } from "../../rtp/forker.ts";
import type { RtcpReporter } from "../../rtp/rtcp-reporter.ts";
import type { ActiveStream, LocalStream, StreamFigures } from "./types.ts";

export function outputFigures(label: string, forker: Forker, outputId: string, reporter: RtcpReporter | undefined): StreamFigures {
  const c = forker.counters(outputId);
  const ssrc = forker.outputInfo(outputId)?.ssrc;
  const rtcp = ssrc === undefined ? undefined : reporter?.figures(ssrc);
  return {
    label,
    packets: c?.packetsOut ?? 0,
    octets: c?.octetsOut ?? 0,
    gaps: c?.gaps ?? 0,
    droppedPaused: c?.droppedPaused ?? 0,
    ...(rtcp === undefined
      ? {}
      : {
          rtcp: {
            fractionLost: rtcp.fractionLost,
            cumulativeLost: rtcp.cumulativeLost,
            jitterMs: rtcp.jitterMs,
            ...(rtcp.rttMs === undefined ? {} : { rttMs: rtcp.rttMs }),
          },
        }),
  };
}

interface Closable {
  close(): void;
}

/** Closes the sockets of `local` streams that are not active (an SRS that failed, a label it refused). */
export function releaseUnused(
  local: readonly LocalStream[],
  sockets: Map<string, { readonly rtp: Closable; readonly rtcp?: Closable | undefined }>,
  active: readonly ActiveStream[],
): void {
  for (const l of local) {
    const s = sockets.get(l.label);
    if (s === undefined || active.some((a) => a.local.label === l.label)) continue;
    s.rtp.close();
    s.rtcp?.close();
    sockets.delete(l.label);
  }
}
