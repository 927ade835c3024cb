/**
 * The `uuid_record` commands of the media-bug tap (media-bug-tap.ts): start
 * a stereo recording of the call into our pipe, stop it. The recording's
 * settings travel as `uuid_record`'s own variables (its fifth argument,
 * `{k=v,...}`), never as channel variables, so a customer's own
 * `record_session` on the same call keeps its settings. Every value is
 * checked against a strict alphabet: nothing can break out of the command.
 */
import { type Result, err, ok } from "../lib/result.ts";
import type { TapCommandError } from "./tap-command.ts";

/**
 * Observed on FreeSWITCH 1.10.12 (shared freeswitch README, item 9; and
 * switch_ivr_async.c): RECORD_STEREO puts what the channel reads on the left
 * and what it writes on the right; `enable_file_write_buffering=false` and
 * RECORD_PRE_BUFFER_FRAMES=1 make FreeSWITCH write every 20 ms frame as it
 * comes (640 bytes at 8 kHz); RECORD_USE_THREAD keeps the writes on the
 * recording's own thread, so a pipe nobody reads never blocks the call's
 * media thread; RECORD_MIN_SEC=0 stops FreeSWITCH deleting a "short file"
 * (our pipe) at the end. The rest are set to their defaults explicitly, so a
 * channel variable of the customer's cannot change what we get.
 */
export const RECORD_VARS: readonly string[] = [
  "RECORD_STEREO=true",
  "RECORD_STEREO_SWAP=false",
  "RECORD_READ_ONLY=false",
  "RECORD_WRITE_ONLY=false",
  "RECORD_USE_THREAD=true",
  "enable_file_write_buffering=false",
  "RECORD_PRE_BUFFER_FRAMES=1",
  "RECORD_MIN_SEC=0",
  "RECORD_HANGUP_ON_ERROR=false",
  "RECORD_ANSWER_REQ=false",
  "RECORD_BRIDGE_REQ=false",
  "RECORD_TOGGLE_ON_REPEAT=false",
  "RECORD_CHECK_BRIDGE=false",
];

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
/** Our own pipe paths: an absolute path of plain characters ending in .r8 or .r16 (16-bit PCM at 8 or 16 kHz, no header). */
const PIPE_PATH = /^\/[A-Za-z0-9_./-]{1,4000}\.r(8|16)$/;

function check(callUuid: string, path: string): TapCommandError | undefined {
  if (!UUID.test(callUuid)) return { code: "TAP_BAD_VALUE", message: `call uuid ${JSON.stringify(callUuid)} is not allowed in uuid_record` };
  if (!PIPE_PATH.test(path) || path.includes("/../") || path.includes("/./"))
    return { code: "TAP_BAD_VALUE", message: `pipe path ${JSON.stringify(path)} is not allowed in uuid_record` };
  return undefined;
}

/**
 * `uuid_record <uuid> start <path> 0 {vars}` (0 = no time limit). The path's
 * `.r8`/`.r16` does not set the rate FreeSWITCH writes at (observed: a G.722
 * call into `.r8` came at 16 kHz, Opus at 48): record_sample_rate does.
 */
export function recordStartCommand(callUuid: string, path: string, sampleRate: 8000 | 16000 = 8000): Result<string, TapCommandError> {
  const bad = check(callUuid, path);
  if (bad !== undefined) return err(bad);
  return ok(`uuid_record ${callUuid} start ${path} 0 {${[...RECORD_VARS, `record_sample_rate=${sampleRate}`].join(",")}}`);
}

/** `uuid_record <uuid> stop <path>`: only our recording; a customer's own goes on. */
export function recordStopCommand(callUuid: string, path: string): Result<string, TapCommandError> {
  const bad = check(callUuid, path);
  if (bad !== undefined) return err(bad);
  return ok(`uuid_record ${callUuid} stop ${path}`);
}

/** FreeSWITCH's answer to uuid_record: "+OK Success" or "-ERR <why>". */
export function recordOutcome(body: string): { readonly ok: true } | { readonly ok: false; readonly cause: string } {
  const text = body.trim();
  if (text.startsWith("+OK")) return { ok: true };
  return { ok: false, cause: text.startsWith("-ERR ") ? text.slice(5).trim() || "UNKNOWN" : text || "EMPTY_REPLY" };
}
