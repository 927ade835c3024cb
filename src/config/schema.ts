/**
 * The config file's schema: `parseConfigValue(tomlValue)` checks a parsed
 * TOML document and returns the typed config (secrets still as references)
 * or every issue at once. Pure: no env, files or clock.
 */
import { z } from "zod";
import { host, isLoopback, millis, port, portOrZero } from "./fields.ts";
import { crossCheck } from "./cross-check.ts";
import { type ConfigIssue, issuesFromZod } from "./issues.ts";
import { metadataSchema, recordingSchema, triggerSchema } from "./schema-recording.ts";
import { checkExclusive, secretFields, secretRefOf, withoutSecretKeys } from "./secret-ref.ts";
import { srsSchema } from "./schema-srs.ts";
import { type Result, err, ok } from "../lib/result.ts";

const freeswitchSchema = z
  .strictObject({
    host: host.default("127.0.0.1"),
    port: port.default(8021),
    ...secretFields("password"),
    event_format: z.enum(["json", "plain"]).default("json"),
    command_timeout_ms: millis(100, 300_000).default(5000),
    reconnect_initial_ms: millis(50, 60_000).default(500),
    reconnect_max_ms: millis(100, 600_000).default(30_000),
  })
  .superRefine((f, ctx) => {
    checkExclusive(f, "password", ctx);
    if (f.reconnect_initial_ms > f.reconnect_max_ms) {
      ctx.addIssue({
        code: "custom",
        path: ["reconnect_initial_ms"],
        message: `must not exceed reconnect_max_ms (${f.reconnect_max_ms}), got ${f.reconnect_initial_ms}`,
        input: f.reconnect_initial_ms,
      });
    }
  })
  .transform((f) => ({
    ...withoutSecretKeys(f, "password"),
    // FreeSWITCH's shipped event_socket.conf.xml password.
    password: secretRefOf(f, "password") ?? { $secret: "inline" as const, value: "ClueCon" },
  }));

const tapSchema = z
  .strictObject({
    /** Where FreeSWITCH sends tap legs: keep it on loopback when FreeSWITCH is on this host. */
    address: host.default("127.0.0.1"),
    sip_port: portOrZero.default(5090),
    rtp_port_min: port.default(30000),
    rtp_port_max: port.default(39999),
    /** Seconds a tap leg may take from originate to first RTP before it counts as failed. */
    answer_timeout_ms: millis(500, 60_000).default(5000),
    /**
     * How audio leaves FreeSWITCH: "media-bug" (one stereo uuid_record per call into a named pipe
     * in pipe_dir; any call codec; FreeSWITCH on this host) or "legs" (native_eavesdrop/eavesdrop
     * tap legs over SIP).
     */
    method: z.enum(["legs", "media-bug"]).default("media-bug"),
    /** media-bug: the private directory (0700) of the pipes; FreeSWITCH must run as this daemon's user (or root). */
    pipe_dir: z
      .string()
      .regex(/^\/[A-Za-z0-9_./-]{0,3000}$/, { message: "expected an absolute path of letters, digits, _ . / -" })
      .refine((p) => !p.split("/").includes(".."), { message: "must not contain a .. segment" })
      .default("/run/siprec/tap"),
    /** media-bug: pipe buffer (F_SETPIPE_SZ); 1 MiB holds 32 s of a call if the daemon stalls. */
    pipe_bytes: z
      .number()
      .int()
      .min(4096)
      .max(64 * 1024 * 1024)
      .default(1024 * 1024),
    /** media-bug: audio older than this when the daemon reads it (it fell behind) is dropped and reported as a gap. */
    max_backlog_ms: millis(20, 280).default(200),
    /** media-bug: no audio for this long from a running recording: FreeSWITCH lost it, it is set up again. */
    stall_timeout_ms: millis(1000, 60_000).default(5000),
    /** The Sofia profile FreeSWITCH places tap legs from (`sofia/<profile>/tap@address:port`). */
    profile: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, { message: "expected a Sofia profile name" })
      .default("internal"),
  })
  .superRefine((t, ctx) => {
    if (t.rtp_port_min > t.rtp_port_max) {
      ctx.addIssue({
        code: "custom",
        path: ["rtp_port_min"],
        message: `must not exceed rtp_port_max (${t.rtp_port_max}), got ${t.rtp_port_min}`,
        input: t.rtp_port_min,
      });
    }
  });

const controlSchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    address: host.default("127.0.0.1"),
    port: portOrZero.default(8089),
    ...secretFields("token"),
  })
  .superRefine((c, ctx) => {
    checkExclusive(c, "token", ctx);
    if (c.enabled && !isLoopback(c.address) && secretRefOf(c, "token") === undefined) {
      ctx.addIssue({ code: "custom", path: ["token"], message: `required when control.address (${c.address}) is not a loopback address`, input: undefined });
    }
  })
  .transform((c) => ({ ...withoutSecretKeys(c, "token"), token: secretRefOf(c, "token") }));

const stateSchema = z.strictObject({
  /** SQLite file with the active recordings, for recovery after a crash; "" keeps nothing on disk. */
  path: z.string().max(4096).default("/var/lib/siprec/state.db"),
});

const logSchema = z.strictObject({
  level: z.enum(["trace", "debug", "info", "warn", "error"]).default("info"),
  /** auto: readable text on a terminal, JSON lines otherwise. */
  format: z.enum(["auto", "json", "text"]).default("auto"),
});

const NO_SRS = "at least one [[srs]] server is required";

const rootSchema = z.strictObject({
  freeswitch: freeswitchSchema.prefault({}),
  tap: tapSchema.prefault({}),
  srs: z.array(srsSchema, { error: (i) => (i.input === undefined ? NO_SRS : undefined) }).min(1, { message: NO_SRS }),
  recording: recordingSchema.prefault({}),
  trigger: z.array(triggerSchema).default([{ kind: "event", srs_groups: ["default"] }]),
  metadata: metadataSchema.prefault({}),
  control: controlSchema.prefault({}),
  state: stateSchema.prefault({}),
  log: logSchema.prefault({}),
});

/** The parsed config with secrets still as references (see config/secrets.ts). */
export type ConfigDraft = z.output<typeof rootSchema>;

export function parseConfigValue(value: unknown): Result<ConfigDraft, ConfigIssue[]> {
  const r = rootSchema.safeParse(value, { reportInput: true });
  const cross = crossCheck(value);
  if (r.success && cross.length === 0) return ok(r.data);
  return err([...(r.success ? [] : issuesFromZod(r.error.issues, KNOWN_KEYS)), ...cross]);
}

/** Every key name the schema knows, for "did you mean" hints on typos. */
function collectKeys(schema: unknown, into = new Set<string>(), seen = new Set<unknown>()): Set<string> {
  if (typeof schema !== "object" || schema === null || seen.has(schema)) return into;
  seen.add(schema);
  const def = (schema as { _zod?: { def?: Record<string, unknown> } })._zod?.def;
  if (def === undefined) return into;
  const shape = def["shape"];
  if (typeof shape === "object" && shape !== null) {
    for (const [k, v] of Object.entries(shape)) {
      into.add(k);
      collectKeys(v, into, seen);
    }
  }
  for (const key of ["in", "out", "innerType", "element"]) collectKeys(def[key], into, seen);
  const options = def["options"];
  if (Array.isArray(options)) for (const o of options) collectKeys(o, into, seen);
  return into;
}

export const KNOWN_KEYS: ReadonlySet<string> = collectKeys(rootSchema);

/** Non-fatal advice about a valid config (printed by `config check`, logged at start). */
export function configWarnings(c: ConfigDraft): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  if (c.recording.srtp !== "off") {
    c.srs.forEach((s, i) => {
      // RFC 4568 §8.3: SDES keys travel in the SDP, so the signalling must be protected.
      if (s.transport !== "tls") {
        out.push({
          path: `srs[${i}].transport`,
          message: `SRTP keys (SDES, RFC 4568) would travel in clear text over "${s.transport}"; use "tls"`,
          severity: "warning",
        });
      }
    });
  }
  if (c.srs.some((s) => s.transport === "udp")) {
    const i = c.srs.findIndex((s) => s.transport === "udp");
    out.push({
      path: `srs[${i}].transport`,
      message: "SIPREC INVITEs often exceed 1300 bytes; over UDP they fragment or are refused (RFC 3261 §18.1.1)",
      severity: "warning",
    });
  }
  c.srs.forEach((s, i) => {
    if (s.transport === "tls" && !s.tls_verify)
      out.push({ path: `srs[${i}].tls_verify`, message: "certificate verification is off: the SRS is not authenticated", severity: "warning" });
  });
  return out;
}
