/**
 * Where a recording goes, one rule for every app. The daemon's `[[srs]]`
 * servers and the operator commands' `--srs URI|NAME` (a SIP URI as given,
 * or a `[[srs]]` name looked up in the config: its URI, transport, digest
 * credentials, TLS settings and the `[recording] srtp` policy, then the
 * command line's `--transport`, `--tls-ca`, `--tls-no-verify` on top) end
 * as the same SrsTargetChoice, located by RFC 3263 with srsPeers.
 *
 * TLS client settings of one `[[srs]]`: its trust anchors (`tls_ca_file`,
 * else the system store), client certificate for mutual TLS (`tls_cert_file`
 * + `tls_key`), `tls_verify`, and the name its certificate must carry:
 * `tls_server_name`, else the host of its URI. RFC 5922 §7.2: the SIP
 * domain of the URI is what the certificate is checked against, not the
 * address DNS resolved it to.
 */
import type { Result } from "../lib/result.ts";
import { err, ok } from "../lib/result.ts";
import { type ConfigFs, loadConfig, readTextFile } from "./load.ts";
import type { Config } from "./secrets.ts";
import { splitSrsUri } from "./schema-srs.ts";
import { type CryptoSuite, isKnownSuite } from "../sdp/crypto-attr.ts";
import { systemResolver } from "../sip/dns-resolver.ts";
import { decideTransport } from "../sip/message/transport-choice.ts";
import type { ClientTls, Peer } from "../sip/transport.ts";
import { type Resolver, locate, transportFor } from "../sip/ua/locate.ts";

export type SrsConfig = Config["srs"][number];
/** The files a target's settings are read from and the environment the config is found with. */
export interface TargetIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly fs: ConfigFs;
}

/** The [[srs]]'s transport, normalised by the config schema with the one rule (decideTransport). */
export function transportOf(s: SrsConfig): "udp" | "tcp" | "tls" {
  return transportFor(s.uri, s.transport) ?? "tcp";
}

/** Where a target is (RFC 3263, SRV weights drawn with `random`), each address carrying the target's own TLS settings. */
export async function srsPeers(
  uri: string,
  transport: "udp" | "tcp" | "tls",
  tls: ClientTls | undefined,
  dns: Resolver = systemResolver,
  random?: () => number,
): Promise<Peer[]> {
  const r = await locate(uri, transport, dns, random);
  if (!r.ok) return [];
  return tls === undefined ? r.value : r.value.map((p) => ({ ...p, tls }));
}

/** `--srtp-suite A,B`: SDES suites in offer order, or a message naming the unknown one. */
export function parseSuites(text: string): { ok: true; value: CryptoSuite[] } | { ok: false; message: string } {
  const list = text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  const bad = list.find((s) => !isKnownSuite(s));
  if (list.length === 0 || bad !== undefined)
    return {
      ok: false,
      message: `--srtp-suite: ${bad === undefined ? "empty" : JSON.stringify(bad)}; known: AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32, AEAD_AES_128_GCM`,
    };
  return { ok: true, value: list as CryptoSuite[] };
}

export interface SrsTargetChoice {
  readonly uri: string;
  readonly transport: "udp" | "tcp" | "tls" | undefined;
  readonly credentials?: { readonly username: string; readonly password: string };
  readonly tls?: ClientTls;
  /** The config's SRTP policy for recordings (a URI target has none). */
  readonly srtp?: "off" | "offer" | "require";
  /** The config's SDES suites, in offer order. */
  readonly srtpSuites?: readonly CryptoSuite[];
}

export type SrsTargetError = { readonly kind: "usage" | "config"; readonly message: string };
type Chosen = { ok: true; value: SrsTargetChoice } | { ok: false; error: SrsTargetError };

export async function resolveSrsTarget(srs: string, configPath: string | undefined, io: TargetIo): Promise<Chosen> {
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
      ...(s.auth_username !== undefined && s.auth_password !== undefined
        ? { credentials: { username: s.auth_username, password: s.auth_password.reveal() } }
        : {}),
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
  io: TargetIo,
): Promise<Chosen> {
  const flag = flags.transport ?? t.transport;
  if (flag !== undefined && flag !== "udp" && flag !== "tcp" && flag !== "tls")
    return { ok: false, error: { kind: "usage", message: "--transport must be udp, tcp or tls" } };
  // One rule (decideTransport): the URI's transport parameter, sips: → TLS, the flag, else TCP; a flag against the URI is a usage error.
  const decided = decideTransport(t.uri, flag);
  if (!decided.ok) return { ok: false, error: { kind: "usage", message: `--srs ${t.uri}: ${decided.error.message}` } };
  const transport = decided.value;
  if (transport !== "tls") return { ok: true, value: { ...t, transport } };
  const ca = flags.tlsCa === undefined ? undefined : await io.fs.readFile(flags.tlsCa).catch(() => undefined);
  if (flags.tlsCa !== undefined && ca === undefined) return { ok: false, error: { kind: "usage", message: `--tls-ca ${flags.tlsCa}: cannot read` } };
  const host = /^sips?:(?:[^@;>]*@)?(\[[^\]]+\]|[^:;>?]+)/i.exec(t.uri)?.[1]?.replace(/^\[|\]$/g, "");
  const tls: ClientTls = {
    ...(host === undefined ? {} : { serverName: host }),
    ...t.tls,
    ...(ca === undefined ? {} : { ca: new TextDecoder().decode(ca) }),
    verify: flags.tlsNoVerify === true ? false : (t.tls?.verify ?? true),
  };
  // RFC 3261 §26.2.2: a URI reached over TLS is written sips:, not with the deprecated ";transport=tls".
  const uri = /;transport=tls/i.test(t.uri) || /^sips:/i.test(t.uri) ? t.uri : t.uri.replace(/^sip:/i, "sips:");
  return { ok: true, value: { ...t, uri, transport, tls } };
}

/** Undefined for servers not on TLS; an error names the server, key and file. */
export async function srsClientTls(s: SrsConfig, fs: ConfigFs): Promise<Result<ClientTls | undefined, string>> {
  if (s.transport !== "tls") return ok(undefined);
  const read = async (key: "tls_ca_file" | "tls_cert_file"): Promise<Result<string | undefined, string>> => {
    const path = s[key];
    if (path === undefined) return ok(undefined);
    const r = await readTextFile(path, fs, 1024 * 1024);
    return r.ok ? ok(r.value) : err(`srs "${s.name}": ${key} ${path}: ${r.error}`);
  };
  const ca = await read("tls_ca_file");
  if (!ca.ok) return ca;
  const cert = await read("tls_cert_file");
  if (!cert.ok) return cert;
  const host = s.tls_server_name ?? splitSrsUri(s.uri)?.host.replace(/^\[|\]$/g, "");
  return ok({
    verify: s.tls_verify,
    ...(ca.value === undefined ? {} : { ca: ca.value }),
    ...(cert.value === undefined || s.tls_key === undefined ? {} : { cert: cert.value, key: s.tls_key.reveal() }),
    ...(host === undefined ? {} : { serverName: host }),
  });
}

/** Every TLS server's settings by name, or the first error. */
export async function allSrsClientTls(srs: readonly SrsConfig[], fs: ConfigFs): Promise<Result<ReadonlyMap<string, ClientTls>, string>> {
  const out = new Map<string, ClientTls>();
  for (const s of srs) {
    const r = await srsClientTls(s, fs);
    if (!r.ok) return r;
    if (r.value !== undefined) out.set(s.name, r.value);
  }
  return ok(out);
}
