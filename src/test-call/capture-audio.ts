/**
 * `siprec test-call --capture FILE`: the audio of a real call as the test
 * call's streams — the caller's on stream 1, the callee's on stream 2 (both
 * mixed for one stream). Each direction is rebuilt on its RTP timeline (gaps
 * as silence) from the captured G.711 payloads, SRTP decrypted with the
 * captured keys; at most MAX_SECONDS of it.
 */
import { Timeline } from "../media/timeline.ts";
import type { CapturedCall, RtpFlow } from "../pcap/calls.ts";
import type { Scan } from "../pcap/capture-scan.ts";
import { decryptFlow } from "../pcap/captured-srtp.ts";
import { parseRtp } from "../rtp/packet.ts";

const MAX_SECONDS = 600;

export interface CaptureAudio {
  readonly callId: string;
  readonly caller: Int16Array;
  readonly callee: Int16Array;
}

type Outcome = { ok: true; value: CaptureAudio } | { ok: false; message: string };

const playable = (f: RtpFlow): boolean => f.packets > 0 && (f.codec === "PCMU" || f.codec === "PCMA");

function direction(flows: readonly RtpFlow[]): Int16Array | string {
  const t = new Timeline(8000, MAX_SECONDS);
  const packets: { timeUs: number; bytes: Uint8Array; law: "PCMU" | "PCMA"; te: number | undefined }[] = [];
  for (const f of flows) {
    const kept = f.encrypted ? decryptFlow(f) : { ok: true as const, kept: f.kept, failed: 0 };
    if (!kept.ok) return `the flow to ${f.to} is ${kept.reason}`;
    for (const k of kept.kept) packets.push({ ...k, law: f.codec as "PCMU" | "PCMA", te: f.telephoneEventPt });
  }
  packets.sort((a, b) => a.timeUs - b.timeUs);
  for (const p of packets) {
    const r = parseRtp(p.bytes);
    if (r.ok && r.value.payloadType !== p.te) t.add(r.value.timestamp, p.law, r.value.payload);
  }
  return t.pcm();
}

/** `file` names the capture in messages; `scan` reads it (pcap/file-scan.ts). */
export async function captureAudio(file: string, scan: Scan, callId: string | undefined): Promise<Outcome> {
  const found = await scan({ rtpOnly: false, keep: () => false });
  if (!found.ok) return { ok: false, message: found.message };
  const fits = (c: CapturedCall): boolean =>
    c.flows.some((f) => f.speaker === "caller" && playable(f)) && c.flows.some((f) => f.speaker === "callee" && playable(f));
  const call = callId === undefined ? found.calls.find(fits) : found.calls.find((c) => c.callId === callId);
  if (call === undefined)
    return {
      ok: false,
      message: callId === undefined ? `${file}: no call with G.711 audio both ways` : `${file}: no call ${JSON.stringify(callId)} (see siprec replay --list)`,
    };
  if (!fits(call)) return { ok: false, message: `${file}: call ${call.callId} has no G.711 audio both ways` };
  const again = await scan({ rtpOnly: false, keep: (id) => id === call.callId });
  const kept = again.ok ? again.calls.find((c) => c.callId === call.callId) : undefined;
  if (kept === undefined) return { ok: false, message: `${file}: cannot read the call again` };
  const side = (s: "caller" | "callee") => direction(kept.flows.filter((f) => f.speaker === s && playable(f)));
  const [caller, callee] = [side("caller"), side("callee")];
  if (typeof caller === "string" || typeof callee === "string") return { ok: false, message: `${file}: ${typeof caller === "string" ? caller : callee}` };
  return { ok: true, value: { callId: call.callId, caller, callee } };
}

/** Both directions summed (one mixed stream), clipped to 16 bits. */
export function mixed(a: Int16Array, b: Int16Array): Int16Array {
  const out = new Int16Array(Math.max(a.length, b.length));
  for (let i = 0; i < out.length; i++) out[i] = Math.max(-32768, Math.min(32767, (a[i] ?? 0) + (b[i] ?? 0)));
  return out;
}
