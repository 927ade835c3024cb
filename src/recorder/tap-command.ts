/**
 * The `originate` that makes FreeSWITCH call our tap listener with an
 * eavesdrop leg on the recorded channel (ARCHITECTURE.md, "How audio leaves
 * FreeSWITCH"): `native_eavesdrop(<uuid> read|write)` per direction
 * (separate streams, the leg's codec must equal the channel's) or one
 * `eavesdrop(<uuid>)` (mixed, any codec). Every value is checked against a
 * strict alphabet: nothing from an event can break out of the `{...}`
 * variable block or the quoted application argument.
 */
import { type Result, err, ok } from "../lib/result.ts";

export type TapDirection = "read" | "write" | "both";

export interface TapLegRequest {
  readonly callUuid: string;
  readonly legUuid: string;
  readonly direction: TapDirection;
  /** The recorded channel's codec, e.g. PCMU (becomes absolute_codec_string). */
  readonly codec: string;
  readonly profile: string;
  readonly host: string;
  readonly port: number;
  /** Goes in X-Siprec-Session: which recording the leg belongs to. */
  readonly recordingId: string;
  /** Per-recording secret the tap listener checks (X-Siprec-Token); omitted only in fixture comparisons. */
  readonly token?: string;
}

export interface TapCommandError {
  readonly code: "TAP_BAD_VALUE";
  readonly message: string;
}

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const SAFE = /^[A-Za-z0-9_.:@-]{1,128}$/;

/**
 * Tap legs are ordinary FreeSWITCH channels: they would write CDRs and look
 * like calls in operators' billing and reports. `process_cdr=false` (a core
 * variable every CDR module honours) keeps them out of CDRs; the caller id
 * names them in `show channels`. They still count toward max-sessions.
 */
export const TAP_LEG_ACCOUNTING = ["process_cdr=false", "origination_caller_id_name=siprec-tap", "origination_caller_id_number=siprec-tap"] as const;

/** The argument of `bgapi` (or `api`): `originate {vars}sofia/<profile>/tap@host:port '&app(args)'`. */
export function tapOriginateCommand(r: TapLegRequest): Result<string, TapCommandError> {
  for (const [what, value, re] of [
    ["call uuid", r.callUuid, UUID],
    ["leg uuid", r.legUuid, UUID],
    ["codec", r.codec, SAFE],
    ["profile", r.profile, SAFE],
    ["host", r.host, /^[A-Za-z0-9.:[\]-]{1,255}$/],
    ["recording id", r.recordingId, SAFE],
    ["token", r.token ?? "x", SAFE],
  ] as const) {
    if (!re.test(value)) return err({ code: "TAP_BAD_VALUE", message: `${what} ${JSON.stringify(value)} is not allowed in an originate` });
  }
  if (!Number.isInteger(r.port) || r.port < 1 || r.port > 65535) return err({ code: "TAP_BAD_VALUE", message: `port ${r.port} is out of range` });
  const vars = [
    `origination_uuid=${r.legUuid}`,
    `absolute_codec_string=${r.codec}`,
    "ignore_early_media=true",
    // Without this, DTMF 1/2/3 on the tap leg would switch eavesdrop into whisper and barge modes.
    "eavesdrop_enable_dtmf=false",
    `sip_h_X-Siprec-Session=${r.recordingId}`,
    `sip_h_X-Siprec-Direction=${r.direction}`,
    ...(r.token === undefined ? [] : [`sip_h_X-Siprec-Token=${r.token}`]),
    ...TAP_LEG_ACCOUNTING,
  ];
  // Application arguments with a space must be quoted.
  const app = r.direction === "both" ? `&eavesdrop(${r.callUuid})` : `'&native_eavesdrop(${r.callUuid} ${r.direction})'`;
  return ok(`originate {${vars.join(",")}}sofia/${r.profile}/tap@${r.host}:${r.port} ${app}`);
}

/** The leg uuid from a successful originate's output ("+OK <uuid>\n"), or the failure cause ("-ERR CAUSE\n"). */
export function originateOutcome(body: string): { readonly ok: true; readonly legUuid: string } | { readonly ok: false; readonly cause: string } {
  const text = body.trim();
  const m = /^\+OK ([0-9a-fA-F-]{36})$/.exec(text);
  if (m !== null) return { ok: true, legUuid: m[1] as string };
  return { ok: false, cause: text.startsWith("-ERR ") ? text.slice(5).trim() || "UNKNOWN" : text || "EMPTY_REPLY" };
}
