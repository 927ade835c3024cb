/** `siprec replay --list`: each call of a capture as text or JSON. */
import type { CapturedCall } from "../../pcap/calls.ts";
import type { Libxml } from "../../siprec/metadata/libxml.ts";
import { parseMetadataXml } from "../../siprec/metadata/parse.ts";

/** Who a SIPREC session's first readable metadata names: "Name <aor>" per participant. */
export function recordedParties(c: CapturedCall, lib: Libxml): string[] | undefined {
  for (const doc of c.metadata) {
    const m = parseMetadataXml(lib, doc.xml);
    if (!m.ok) continue;
    return m.value.participants.map((p) => p.nameIds.map((n) => (n.name === undefined ? `<${n.aor}>` : `${n.name.text} <${n.aor}>`)).join(" / "));
  }
  return undefined;
}

const party = (v: string): string => v.replace(/;\s*tag=[^;>\s]+/i, "").trim();

export interface ListedStream {
  readonly speaker: string;
  readonly label?: string;
  readonly to: string;
  readonly codec: string;
  readonly packets: number;
  readonly lost: number;
  readonly jitterMs: number;
  readonly dtmfEvents: number;
  /** SRTP on the wire: whether the capture shows the key to decrypt it. */
  readonly srtp?: "key in capture" | "no key";
}

export function describeCall(c: CapturedCall, lib?: Libxml): Record<string, unknown> & { streams: ListedStream[] } {
  const parties = c.siprec && lib !== undefined ? recordedParties(c, lib) : undefined;
  return {
    callId: c.callId,
    from: party(c.from),
    to: party(c.to),
    ...(c.assertedIdentity === undefined ? {} : { assertedIdentity: c.assertedIdentity }),
    ...(c.sessionId === undefined ? {} : { sessionId: c.sessionId }),
    start: new Date(c.startUs / 1000).toISOString(),
    durationS: Math.round((c.endUs - c.startUs) / 1e4) / 100,
    answered: c.answered,
    siprec: c.siprec,
    rtpOnly: c.rtpOnly,
    ...(c.siprec ? { metadataDocuments: c.metadata.length } : {}),
    ...(parties === undefined ? {} : { participants: parties }),
    streams: c.flows.map((f) => ({
      speaker: f.speaker,
      ...(f.label === undefined ? {} : { label: f.label }),
      to: f.to,
      codec: f.codec,
      packets: f.packets,
      lost: f.lost,
      jitterMs: Math.round(f.jitterMs * 100) / 100,
      dtmfEvents: f.events,
      ...(f.encrypted ? { srtp: f.sdes === undefined ? ("no key" as const) : ("key in capture" as const) } : {}),
    })),
  };
}

export function listText(file: string, calls: readonly CapturedCall[], notKept: number, lib?: Libxml): string[] {
  const out = [`${file}: ${calls.length} call${calls.length === 1 ? "" : "s"}${notKept > 0 ? ` (and ${notKept} more past the limit, not listed)` : ""}`];
  for (const call of calls) {
    const c = describeCall(call, lib);
    const tags = [
      call.answered ? "" : "  (not answered)",
      call.siprec ? `  SIPREC, ${call.metadata.length} metadata document${call.metadata.length === 1 ? "" : "s"}` : "",
      call.rtpOnly ? "  (RTP only)" : "",
    ].join("");
    out.push(`  ${call.callId}  ${String(c["from"])} -> ${String(c["to"])}  ${String(c["start"])}  ${String(c["durationS"])} s${tags}`);
    const parties = c["participants"] as string[] | undefined;
    if (parties !== undefined) out.push(`      recorded parties: ${parties.join(", ")}`);
    for (const s of c.streams) {
      const who = s.label === undefined ? s.speaker.padEnd(6) : `label ${s.label}`.padEnd(8);
      out.push(
        `      ${who} ${s.codec.padEnd(5)} ${String(s.packets).padStart(6)} packets, ${s.lost} lost, jitter ${s.jitterMs} ms${s.dtmfEvents > 0 ? `, ${s.dtmfEvents} DTMF event packets` : ""}${s.srtp === undefined ? "" : `, SRTP (${s.srtp})`}${s.packets === 0 ? `  (nothing seen to ${s.to})` : ""}`,
      );
    }
  }
  return out;
}
