/**
 * `[recording]` (how a call is recorded), `[[trigger]]` (which calls are
 * recorded) and `[metadata]` (what extra call data goes into RFC 7865
 * <extensiondata>).
 */
import { z } from "zod";
import { millis, name, port, portOrZero, regex, xmlName } from "./fields.ts";

/** [recording] failover_on's default (siprec/session/failover.ts reads the list), also what test-call and replay use. */
export const DEFAULT_FAILOVER_ON: readonly (number | "4xx" | "5xx" | "6xx")[] = [408, 420, 480, 488, "5xx", "6xx"];

const ipOrAuto = z.string().regex(/^(auto|\d{1,3}(\.\d{1,3}){3}|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)$/, { message: 'expected "auto" or an IP address' });

/** What we offer the SRS, in preference order: G.711, G.722 and L16 (16-bit linear at 16 kHz, RFC 3551 §4.5.11). */
export const CODECS = ["PCMU", "PCMA", "G722", "L16"] as const;
export const SRTP_SUITES = ["AES_CM_128_HMAC_SHA1_80", "AES_CM_128_HMAC_SHA1_32", "AEAD_AES_128_GCM"] as const;

export const recordingSchema = z
  .strictObject({
    /** separate: one labelled stream per direction; mixed: one stream with both parties summed. */
    streams: z.enum(["separate", "mixed"]).default("separate"),
    /** Codecs offered to the SRS, in preference order. */
    codecs: z.array(z.enum(CODECS)).min(1).max(CODECS.length).default(["PCMU", "PCMA"]),
    /**
     * Milliseconds of audio per packet toward the SRS. The media-bug tap packs FreeSWITCH's 20 ms writes into
     * packets of this length (40 or 60 halve or third the packets, and the daemon's per-packet cost, for 20–40 ms
     * more delay at the SRS); tap legs forward FreeSWITCH's own 20 ms packets. RFC 3551 §4.2: "A receiver
     * SHOULD accept packets representing between 0 and 200 ms of audio data."
     */
    ptime: z.literal([10, 20, 30, 40, 60]).default(20),
    srtp: z.enum(["off", "offer", "require"]).default("off"),
    srtp_suites: z.array(z.enum(SRTP_SUITES)).min(1).default(["AES_CM_128_HMAC_SHA1_80"]),
    /** SDES keys toward a server without TLS (RFC 4568 §8.3): "warn" (report and log), or "refuse" to never send them. */
    srtp_over_plain: z.enum(["warn", "refuse"]).default("warn"),
    rtcp_mux: z.boolean().default(false),
    /**
     * The SRS counts as gone (frozen, dead, media path lost) after this many of its own RTCP report
     * intervals without one (RFC 3550 §6.3.5); the rest of the call goes to the group's next server.
     * Only for an SRS that has sent RTCP; 0 turns the check off.
     */
    rtcp_timeout_intervals: z.number().int().min(0).max(100).default(3),
    dtmf: z.enum(["forward", "drop"]).default("forward"),
    on_failure: z.enum(["continue", "hangup"]).default("continue"),
    pause_mode: z.enum(["inactive", "drop", "silence", "detach"]).default("inactive"),
    /** Q.850 cause for uuid_kill when on_failure = "hangup". */
    /** Played (by FreeSWITCH, to both parties) before a recording-required hangup: a path or URL FreeSWITCH can play. */
    failure_announcement: z
      .string()
      .regex(/^[^\s'"]{1,1024}$/, { message: "expected a file path or URL FreeSWITCH can play, without spaces or quotes" })
      .optional(),
    failure_announcement_seconds: z.number().int().min(1).max(120).default(6),
    /** RFC 7866 §6.1.2 recording indication by "other means": played (by FreeSWITCH, to both parties) when recording starts. */
    indication_announcement: z
      .string()
      .regex(/^[^\s'"]{1,1024}$/, { message: "expected a file path or URL FreeSWITCH can play, without spaces or quotes" })
      .optional(),
    /** Play the indication again when a paused recording resumes. */
    indication_on_resume: z.boolean().default(false),
    hangup_cause: z
      .string()
      .regex(/^[A-Z][A-Z0-9_]{2,47}$/, { message: "expected a Q.850 cause name such as NORMAL_TEMPORARY_FAILURE" })
      .default("NORMAL_TEMPORARY_FAILURE"),
    setup_timeout_ms: millis(500, 120_000).default(10_000),
    /** SIP responses (or classes "4xx"/"5xx"/"6xx") that move on to the next server of a group. */
    failover_on: z.array(z.union([z.number().int().min(300).max(699), z.enum(["4xx", "5xx", "6xx"])])).default([...DEFAULT_FAILOVER_ON]),
    /**
     * Our address toward the SRSs in Via, Contact, From (sip_address) and the SDP c= line (media_address):
     * "auto" is, per SRS, the local address the kernel routes to it (never loopback toward a remote SRS).
     */
    sip_address: ipOrAuto.default("auto"),
    media_address: ipOrAuto.default("auto"),
    /** The SRS-facing SIP port when it differs from the tap's (a remote SRS); 0 = any free port. */
    sip_port: portOrZero.default(0),
    rtp_address: z.string().min(1).default("0.0.0.0"),
    rtp_port_min: port.default(20000),
    rtp_port_max: port.default(29999),
  })
  .superRefine((r, ctx) => {
    if (new Set(r.codecs).size !== r.codecs.length) ctx.addIssue({ code: "custom", path: ["codecs"], message: "lists a codec twice", input: r.codecs });
    // L16 at 16 kHz is 32 bytes a millisecond: 60 ms makes a 1,932-byte packet, over an Ethernet MTU (IP fragments).
    if (r.ptime > 40 && r.codecs.includes("L16")) {
      ctx.addIssue({
        code: "custom",
        path: ["ptime"],
        message: `${r.ptime} ms of L16 at 16 kHz is ${r.ptime * 32 + 12} bytes a packet, over a 1,500-byte MTU: use ptime 40 or less with L16`,
        input: r.ptime,
      });
    }
    if (r.rtp_port_min > r.rtp_port_max) {
      ctx.addIssue({
        code: "custom",
        path: ["rtp_port_min"],
        message: `must not exceed rtp_port_max (${r.rtp_port_max}), got ${r.rtp_port_min}`,
        input: r.rtp_port_min,
      });
    }
  });

const matchSchema = z.strictObject({
  context: regex.optional(),
  destination: regex.optional(),
  caller: regex.optional(),
  direction: z.enum(["inbound", "outbound"]).optional(),
  profile: regex.optional(),
});

const common = {
  /** Groups of [[srs]] to record to; each group records in parallel. */
  srs_groups: z.array(name).min(1).default(["default"]),
  streams: z.enum(["separate", "mixed"]).optional(),
};

export const triggerSchema = z.discriminatedUnion("kind", [
  /** CUSTOM events siprec::start|pause|resume|stop fired by the dialplan `event` app. */
  z.strictObject({ kind: z.literal("event"), ...common }),
  /** A channel variable present at answer or bridge (its value names the SRS group). */
  z.strictObject({
    kind: z.literal("variable"),
    variable: z
      .string()
      .regex(/^[A-Za-z0-9_]{1,64}$/, { message: "expected a channel variable name" })
      .default("siprec_srs"),
    on: z.enum(["answer", "bridge"]).default("answer"),
    ...common,
  }),
  /** Call fields matched against regular expressions (all given fields must match). */
  z.strictObject({ kind: z.literal("rule"), match: matchSchema, ...common }),
]);

export const metadataSchema = z
  .strictObject({
    namespace: z.string().min(1).max(1024).default("urn:x-siprec:extension:1"),
    map: z
      .array(
        z.strictObject({
          from: z.enum(["header", "variable"]),
          name: z.string().min(1).max(128),
          element: xmlName,
        }),
      )
      .default([]),
  })
  .superRefine((m, ctx) => {
    const seen = new Map<string, number>();
    m.map.forEach((entry, i) => {
      const first = seen.get(entry.element);
      if (first !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["map", i, "element"],
          message: `duplicate element "${entry.element}" (already used by metadata.map[${first}])`,
          input: entry.element,
        });
      } else seen.set(entry.element, i);
    });
  });
