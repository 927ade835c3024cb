/**
 * `[[srs]]`: the recording servers. Servers share a `group`; a recording goes
 * to every group its trigger names, and inside a group the servers are tried
 * in `priority` order (lower first, config order on ties), as mod_siprec
 * walks its servers in config order for failover (RFC 7866 §11.1.1
 * communication failure).
 */
import { z } from "zod";
import { decideTransport, transportFor } from "../sip/message/transport-choice.ts";

import { filePath, host, name, seconds } from "./fields.ts";
import { checkExclusive, secretFields, secretRefOf, withoutSecretKeys } from "./secret-ref.ts";

export const SRS_TRANSPORTS = ["udp", "tcp", "tls"] as const;
export type SrsTransport = (typeof SRS_TRANSPORTS)[number];

export interface SrsUriParts {
  readonly scheme: "sip" | "sips";
  readonly user: string | undefined;
  readonly host: string;
  readonly port: number | undefined;
  readonly params: string;
}

const URI_RE = /^(sips?):(?:([^@;?\s]+)@)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?((?:;[^;?\s]+)*)$/;

/** Just enough URI checking for config; the SIP stack has the full parser. */
export function splitSrsUri(uri: string): SrsUriParts | undefined {
  const m = URI_RE.exec(uri);
  if (m === null) return undefined;
  const port = m[4] === undefined ? undefined : Number(m[4]);
  if (port !== undefined && (port < 1 || port > 65535)) return undefined;
  return { scheme: m[1] as "sip" | "sips", user: m[2], host: m[3] as string, port, params: m[5] ?? "" };
}

const srsUri = z.string().superRefine((s, ctx) => {
  if (splitSrsUri(s) === undefined) {
    ctx.addIssue({
      code: "custom",
      message: `expected a SIP URI like "sip:srs@192.0.2.10:5060" or "sips:recorder.example.com", got ${JSON.stringify(s)}`,
      input: s,
    });
  }
});

const srsRaw = z.strictObject({
  name,
  uri: srsUri,
  /** Default: tls for sips: URIs, tcp otherwise (SIPREC INVITEs outgrow UDP's 1300-byte limit). */
  transport: z.enum(SRS_TRANSPORTS).optional(),
  group: name.default("default"),
  priority: z.number().int().min(0).max(65535).default(100),
  /** Seconds between OPTIONS health checks; 0 turns them off. */
  options_interval: seconds(0, 3600).default(30),
  tls_ca_file: filePath.optional(),
  tls_cert_file: filePath.optional(),
  ...secretFields("tls_key"),
  tls_verify: z.boolean().default(true),
  tls_server_name: host.optional(),
  auth_username: z.string().min(1).max(256).optional(),
  ...secretFields("auth_password"),
});

export const srsSchema = srsRaw
  .superRefine((s, ctx) => {
    checkExclusive(s, "tls_key", ctx);
    checkExclusive(s, "auth_password", ctx);
    const decided = decideTransport(s.uri, s.transport);
    if (!decided.ok && decided.error.code === "TRANSPORT_CONFLICT") {
      ctx.addIssue({ code: "custom", path: ["transport"], message: decided.error.message, input: s.transport });
    }
    const transport = decided.ok ? decided.value : (s.transport ?? "tcp");
    if (transport !== "tls") {
      for (const key of ["tls_ca_file", "tls_cert_file", "tls_key", "tls_key_env", "tls_key_file", "tls_server_name"] as const) {
        if (s[key] !== undefined)
          ctx.addIssue({ code: "custom", path: [key], message: `only used with transport = "tls" (this server uses "${transport}")`, input: s[key] });
      }
    }
    const hasKey = secretRefOf(s, "tls_key") !== undefined;
    if ((s.tls_cert_file !== undefined) !== hasKey) {
      ctx.addIssue({
        code: "custom",
        path: [hasKey ? "tls_cert_file" : "tls_key"],
        message: "a client certificate needs both tls_cert_file and tls_key (or tls_key_env / tls_key_file)",
        input: undefined,
      });
    }
    const hasPassword = secretRefOf(s, "auth_password") !== undefined;
    if (hasPassword && s.auth_username === undefined) {
      ctx.addIssue({ code: "custom", path: ["auth_username"], message: "auth_password is set but auth_username is missing", input: undefined });
    }
    if (!hasPassword && s.auth_username !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["auth_password"],
        message: "auth_username is set but no auth_password (or auth_password_env / auth_password_file)",
        input: undefined,
      });
    }
  })
  .transform((s) => {
    const base = withoutSecretKeys(withoutSecretKeys(s, "tls_key"), "auth_password");
    return {
      ...base,
      // The one rule (decideTransport); on a conflict (reported above) the URI's own.
      transport: transportFor(s.uri, s.transport) ?? s.transport ?? "tcp",
      tls_key: secretRefOf(s, "tls_key"),
      auth_password: secretRefOf(s, "auth_password"),
    };
  });
