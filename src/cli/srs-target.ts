/**
 * `--srs URI|NAME` of the operator commands: a SIP URI as given, or a
 * `[[srs]]` name looked up in the config (its URI, transport, digest
 * credentials, TLS settings and the `[recording] srtp` policy), then the
 * command line's `--transport`, `--tls-ca`, `--tls-no-verify` on top.
 */
import type { Io } from "./io.ts";
import { loadConfig } from "../config/load.ts";
import { type SrsClientTls, srsClientTls } from "./srs-tls.ts";
import { type CryptoSuite, isKnownSuite } from "../sdp/crypto-attr.ts";
import { decideTransport } from "../sip/message/transport-choice.ts";

/** `--srtp-suite A,B`: SDES suites in offer order, or a message naming the unknown one. */
export function parseSuites(text: string): { ok: true; value: CryptoSuite[] } | { ok: false; message: string } {
  const list = text.split(",").map((s) => s.trim()).filter((s) => s !== "");
  const bad = list.find((s) => !isKnownSuite(s));
  if (list.length === 0 || bad !== undefined) return { ok: false, message: `--srtp-suite: ${bad === undefined ? "empty" : JSON.stringify(bad)}; known: AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32, AEAD_AES_128_GCM` };
  return { ok: true, value: list as CryptoSuite[] };
}

export interface SrsTargetChoice {
  readonly uri: string;
  readonly transport: "udp" | "tcp" | "tls" | undefined;
  readonly credentials?: { readonly username: string; readonly password: string };
  readonly tls?: SrsClientTls;
  /** The config's SRTP policy for recordings (a URI target has none). */
  readonly srtp?: "off" | "offer" | "require";
  /** The config's SDES suites, in offer order. */
  readonly srtpSuites?: readonly CryptoSuite[];
}

export type SrsTargetError = { readonly kind: "usage" | "config"; readonly message: string };
type Chosen = { ok: true; value: SrsTargetChoice } | { ok: false; error: SrsTargetError };

export async function resolveSrsTarget(srs: string, configPath: string | undefined, io: Io): Promise<Chosen> {
  if (/^sips?:/i.test(srs)) return { ok: true, value: { uri: srs, transport: undefined } };
  const cfg = await loadConfig({ explicitPath: configPath, env: io.env, fs: io.fs });
  if (!cfg.ok) return { ok: false, error: { kind: "config", message: cfg.error.message } };
  const s = cfg.value.config.srs.find((x) => x.name === srs);
  if (s === undefined) return { ok: false, error: { kind: "usage", message: `no [[srs]] named ${JSON.stringify(srs)} in ${cfg.value.path}` } };
  const tls = await srsClientTls(s, io.fs);
  if (!tls.ok) return { ok: false, error: { kind: "config", message: tls.error } };
  return {
    ok: true,
    value: {
      uri: s.uri,
      transport: s.transport,
      srtp: cfg.value.config.recording.srtp,
      srtpSuites: cfg.value.config.recording.srtp_suites,
      ...(tls.value === undefined ? {} : { tls: tls.value }),
      ...(s.auth_username !== undefined && s.auth_password !== undefined ? { credentials: { username: s.auth_username, password: s.auth_password.reveal() } } : {}),
    },
  };
}

/**
 * The transport, URI and TLS settings to use once the command line is
 * applied: `--transport` over the server's (else TCP), `--tls-ca` and
 * `--tls-no-verify` over its TLS settings; a sip: URI reached over TLS
 * becomes sips: (RFC 3261 §26.2.2).
 */
export async function applyTransportFlags(
  t: SrsTargetChoice,
  flags: { readonly transport?: string; readonly tlsCa?: string; readonly tlsNoVerify?: boolean },
  io: Io,
): Promise<Chosen> {
  const flag = flags.transport ?? t.transport;
  if (flag !== undefined && flag !== "udp" && flag !== "tcp" && flag !== "tls") return { ok: false, error: { kind: "usage", message: "--transport must be udp, tcp or tls" } };
  // One rule (decideTransport): the URI's transport parameter, sips: → TLS, the flag, else TCP; a flag against the URI is a usage error.
  const decided = decideTransport(t.uri, flag);
  if (!decided.ok) return { ok: false, error: { kind: "usage", message: `--srs ${t.uri}: ${decided.error.message}` } };
  const transport = decided.value;
  if (transport !== "tls") return { ok: true, value: { ...t, transport } };
  const ca = flags.tlsCa === undefined ? undefined : await io.fs.readFile(flags.tlsCa).catch(() => undefined);
  if (flags.tlsCa !== undefined && ca === undefined) return { ok: false, error: { kind: "usage", message: `--tls-ca ${flags.tlsCa}: cannot read` } };
  const host = /^sips?:(?:[^@;>]*@)?(\[[^\]]+\]|[^:;>?]+)/i.exec(t.uri)?.[1]?.replace(/^\[|\]$/g, "");
  const tls: SrsClientTls = {
    ...(host === undefined ? {} : { serverName: host }),
    ...t.tls,
    ...(ca === undefined ? {} : { ca: new TextDecoder().decode(ca) }),
    verify: flags.tlsNoVerify === true ? false : (t.tls?.verify ?? true),
  };
  // RFC 3261 §26.2.2: a URI reached over TLS is written sips:, not with the deprecated ";transport=tls".
  const uri = /;transport=tls/i.test(t.uri) || /^sips:/i.test(t.uri) ? t.uri : t.uri.replace(/^sip:/i, "sips:");
  return { ok: true, value: { ...t, uri, transport, tls } };
}
