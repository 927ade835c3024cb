/**
 * What an offer/answer exchange changes for the streams a media driver
 * sends (RFC 3264 §8): one pure diff both drivers apply, so the rules live
 * once. A label missing from the new list was disabled (port 0) and stops
 * for good; `inactive` holds a stream (its SSRC and sequence kept);
 * a new destination, RTCP destination, payload type or SRTP key re-targets
 * it; a new codec needs a new output.
 */
import type { ActiveStream } from "./types.ts";

export type StreamChange = "add" | "same" | "retarget" | "recodec";

export interface StreamChanges {
  readonly next: readonly { readonly stream: ActiveStream; readonly change: StreamChange; readonly held: boolean }[];
  /** Labels no longer active: their output, RTCP and sockets go. */
  readonly removed: readonly string[];
}

function rtcpKey(s: ActiveStream): string {
  const r = s.outcome.rtcp;
  return r === "mux" ? "mux" : `${r.address}:${r.port}`;
}

function keyText(s: ActiveStream): string {
  const k = s.sendKey;
  return `${s.outcome.crypto?.suite ?? ""}|${s.outcome.crypto?.keyParams ?? ""}|${k?.suite ?? ""}|${k === undefined ? "" : Array.from(k.keySalt).join(",")}`;
}

export function streamChanges(prev: ReadonlyMap<string, ActiveStream>, next: readonly ActiveStream[]): StreamChanges {
  const labels = new Set(next.map((s) => s.local.label));
  return {
    removed: [...prev.keys()].filter((l) => !labels.has(l)),
    next: next.map((stream) => {
      const was = prev.get(stream.local.label);
      const held = stream.outcome.status === "inactive";
      if (was === undefined) return { stream, change: "add" as const, held };
      const a = was.outcome;
      const b = stream.outcome;
      if (a.codec !== b.codec) return { stream, change: "recodec" as const, held };
      const same =
        a.connection.address === b.connection.address &&
        a.port === b.port &&
        rtcpKey(was) === rtcpKey(stream) &&
        a.payloadType === b.payloadType &&
        a.telephoneEventPt === b.telephoneEventPt &&
        keyText(was) === keyText(stream);
      return { stream, change: same ? ("same" as const) : ("retarget" as const), held };
    }),
  };
}

/** Where a stream's RTCP goes and from which socket: its RTP socket with rtcp-mux, else the RTCP one (RFC 5761, RFC 3605). */
export function rtcpRoute<S>(
  o: ActiveStream["outcome"],
  sockets: { readonly rtp: S; readonly rtcp?: S | undefined },
): { readonly port: number; readonly host: string; readonly via: S } {
  return o.rtcp === "mux"
    ? { port: o.port, host: o.connection.address, via: sockets.rtp }
    : { port: o.rtcp.port, host: o.rtcp.address, via: sockets.rtcp ?? sockets.rtp };
}
