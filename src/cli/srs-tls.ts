/**
 * The TLS client settings of one `[[srs]]`: its trust anchors
 * (`tls_ca_file`, else the system store), client certificate for mutual TLS
 * (`tls_cert_file` + `tls_key`), `tls_verify`, and the name its certificate
 * must carry: `tls_server_name`, else the host of its URI. RFC 5922 §7.2:
 * the SIP domain of the URI is what the certificate is checked against, not
 * the address DNS resolved it to.
 */
import type { Result } from "../lib/result.ts";
import { err, ok } from "../lib/result.ts";
import { type ConfigFs, readTextFile } from "../config/load.ts";
import type { Config } from "../config/secrets.ts";
import { splitSrsUri } from "../config/schema-srs.ts";

export interface SrsClientTls {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly verify: boolean;
  readonly serverName?: string;
}

type Srs = Config["srs"][number];

/** Undefined for servers not on TLS; an error names the server, key and file. */
export async function srsClientTls(s: Srs, fs: ConfigFs): Promise<Result<SrsClientTls | undefined, string>> {
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
export async function allSrsClientTls(srs: readonly Srs[], fs: ConfigFs): Promise<Result<ReadonlyMap<string, SrsClientTls>, string>> {
  const out = new Map<string, SrsClientTls>();
  for (const s of srs) {
    const r = await srsClientTls(s, fs);
    if (!r.ok) return r;
    if (r.value !== undefined) out.set(s.name, r.value);
  }
  return ok(out);
}
