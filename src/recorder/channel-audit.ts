/**
 * Ends every recording of a call FreeSWITCH no longer has: a hangup whose
 * events were lost while the event socket was down or being set up. The
 * daemon runs it on connect, shortly after, and periodically while
 * something records. Only recordings that exist before the channel list is
 * asked for are judged by it, and `show channels` (FreeSWITCH's core
 * database, which can lag behind a new channel) is confirmed with
 * `uuid_exists` (its session table) before anything is stopped, so a call
 * that starts during the check is recorded.
 */
import { channelUuidsFromShow } from "./call-table.ts";
import type { EslPort } from "./ports.ts";
import type { Recorder } from "./recorder.ts";
import type { Logger } from "../lib/log.ts";

/** The live channel uuids, or undefined when FreeSWITCH's list could not be read. */
export async function auditChannels(o: {
  readonly esl: Pick<EslPort, "api">;
  readonly recorder: Recorder;
  readonly log: Logger;
}): Promise<string[] | undefined> {
  const ended = (s: string) => s === "stopped" || s === "failed" || s === "stopping";
  const before = o.recorder.recordings.filter((r) => !ended(r.status));
  const r = await o.esl.api("show channels as json");
  const uuids = r.ok ? channelUuidsFromShow(r.value) : undefined;
  if (uuids === undefined) return undefined;
  o.recorder.table.resync(uuids);
  const live = new Set(uuids);
  for (const rec of before) {
    if (live.has(rec.callUuid) || ended(rec.status)) continue;
    const exists = await o.esl.api(`uuid_exists ${rec.callUuid}`);
    if (!exists.ok || exists.value.trim() !== "false") continue;
    o.log.warn("recording of a call FreeSWITCH no longer has: stopping it", { recordingId: rec.id, callUuid: rec.callUuid });
    void rec.stop("call ended while the event socket was down", true);
  }
  return uuids;
}
