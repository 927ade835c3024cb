/**
 * `--srs URI|NAME` of the operator commands: a SIP URI as given, or a
 * `[[srs]]` name looked up in the config (its URI, transport and digest
 * credentials).
 */
import type { Io } from "./io.ts";
import { loadConfig } from "../config/load.ts";

export interface SrsTargetChoice {
  readonly uri: string;
  readonly transport: "udp" | "tcp" | "tls" | undefined;
  readonly credentials?: { readonly username: string; readonly password: string };
}

export type SrsTargetError = { readonly kind: "usage" | "config"; readonly message: string };

export async function resolveSrsTarget(srs: string, configPath: string | undefined, io: Io): Promise<{ ok: true; value: SrsTargetChoice } | { ok: false; error: SrsTargetError }> {
  if (/^sips?:/i.test(srs)) return { ok: true, value: { uri: srs, transport: undefined } };
  const cfg = await loadConfig({ explicitPath: configPath, env: io.env, fs: io.fs });
  if (!cfg.ok) return { ok: false, error: { kind: "config", message: cfg.error.message } };
  const s = cfg.value.config.srs.find((x) => x.name === srs);
  if (s === undefined) return { ok: false, error: { kind: "usage", message: `no [[srs]] named ${JSON.stringify(srs)} in ${cfg.value.path}` } };
  const transport = s.transport ?? (/^sips:/i.test(s.uri) ? "tls" : "tcp");
  return { ok: true, value: { uri: s.uri, transport, ...(s.auth_username !== undefined && s.auth_password !== undefined ? { credentials: { username: s.auth_username, password: s.auth_password.reveal() } } : {}) } };
}
