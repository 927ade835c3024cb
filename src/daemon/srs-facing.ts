/**
 * The daemon's side toward the recording servers: which address Via,
 * Contact, From and c= carry (per SRS, `[recording] sip_address` /
 * `media_address`, "auto" = the kernel's source address toward it), what
 * the SRS-facing SIP and RTP sockets bind to, and whether that needs a SIP
 * stack of its own beside the tap's (a remote SRS cannot be reached from a
 * socket bound to 127.0.0.1).
 */
import type { Config } from "../config/secrets.ts";
import { splitSrsUri } from "../config/schema-srs.ts";
import { SourceAddresses, isLoopback } from "../sip/udp-source-address.ts";

export interface SrsFacing {
  /** Where the SRS-facing SIP stack listens. */
  readonly sipBind: string;
  /** True when that is not the tap stack (a second stack is opened). */
  readonly separate: boolean;
  readonly sip: SourceAddresses;
  readonly media: SourceAddresses;
  /** Where SRS-facing RTP/RTCP sockets bind. */
  readonly rtpBind: string;
}

export function srsHost(uri: string): string | undefined {
  return splitSrsUri(uri)?.host.replace(/^\[|\]$/g, "");
}

export function srsFacing(cfg: Config): SrsFacing {
  const r = cfg.recording;
  const tap = cfg.tap.address;
  const allLoopback = cfg.srs.every((s) => isLoopback(srsHost(s.uri) ?? ""));
  const any = tap.includes(":") ? "::" : "0.0.0.0";
  const sipBind = r.sip_address !== "auto" ? r.sip_address : allLoopback ? tap : any;
  const fixedMedia = r.media_address !== "auto" ? r.media_address : r.rtp_address !== "0.0.0.0" ? r.rtp_address : undefined;
  return {
    sipBind,
    separate: sipBind !== tap,
    sip: new SourceAddresses(r.sip_address === "auto" ? undefined : r.sip_address, tap),
    media: new SourceAddresses(fixedMedia, tap),
    rtpBind: r.rtp_address !== "0.0.0.0" ? r.rtp_address : allLoopback ? tap : r.media_address !== "auto" ? r.media_address : "0.0.0.0",
  };
}
