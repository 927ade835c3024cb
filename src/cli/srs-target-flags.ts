/**
 * The SRS-target options test-call and replay share, with one meaning:
 * `--srs URI|NAME`, `-c/--config`, `--transport`, `--tls-ca`,
 * `--tls-no-verify`, `--srtp`, `--srtp-suite`, `--local-address`.
 * `--srtp` asks for SRTP ("require"); without it the config's
 * `[recording] srtp` applies (off, offer or require), as the daemon reads it.
 */
import { type Command, Option } from "commander";
import { type SrsTargetChoice, applyTransportFlags, parseSuites, resolveSrsTarget } from "../config/srs-target.ts";
import type { Io } from "./io.ts";

export interface SrsTargetFlags {
  srs?: string;
  config?: string;
  transport?: string;
  tlsCa?: string;
  tlsNoVerify?: boolean;
  srtp?: boolean;
  srtpSuite?: string;
  localAddress: string;
  /** test-call's old name for --local-address (hidden). */
  local?: string;
}

export function addSrsTargetOptions(cmd: Command, o: { readonly srsRequired: boolean }): Command {
  const srs = "SRS URI (sip:srs@host:port) or a [[srs]] name from the config";
  (o.srsRequired ? cmd.requiredOption("--srs <uri|name>", srs) : cmd.option("--srs <uri|name>", srs))
    .option("-c, --config <file>", "config file (for --srs NAME)")
    .option("--transport <t>", "udp, tcp or tls toward the SRS (default: the server's, else tcp)")
    .option("--tls-ca <file>", "PEM trust anchors for the SRS's certificate (TLS)")
    .option("--tls-no-verify", "do not verify the SRS's certificate (labs only)")
    .option("--srtp", "SRTP with SDES keys toward the SRS (default: the config's [recording] srtp, else off)")
    .option("--srtp-suite <list>", "SDES suites to offer, in order (default: the config's, else AES_CM_128_HMAC_SHA1_80); e.g. AEAD_AES_128_GCM")
    .option("--local-address <ip>", "our address as the SRS sees it (SIP and RTP)", "127.0.0.1")
    .addOption(new Option("--local <ip>").hideHelp());
  return cmd;
}

export interface ResolvedTarget {
  readonly target: SrsTargetChoice & { readonly transport: "udp" | "tcp" | "tls" };
  readonly srtp: "off" | "offer" | "require";
  readonly srtpSuites: readonly string[];
  readonly localAddress: string;
}

export type TargetOutcome =
  | { readonly ok: true; readonly value: ResolvedTarget }
  | { readonly ok: false; readonly kind: "usage" | "config"; readonly message: string };

export async function readSrsTarget(f: SrsTargetFlags & { srs: string }, io: Io): Promise<TargetOutcome> {
  const suites = f.srtpSuite === undefined ? undefined : parseSuites(f.srtpSuite);
  if (suites !== undefined && !suites.ok) return { ok: false, kind: "usage", message: suites.message };
  const found = await resolveSrsTarget(f.srs, f.config, io);
  const target = found.ok ? await applyTransportFlags(found.value, f, io) : found;
  if (!target.ok) return { ok: false, kind: target.error.kind, message: target.error.message };
  const t = target.value;
  return {
    ok: true,
    value: {
      target: { ...t, transport: t.transport ?? "tcp" },
      srtp: f.srtp === true ? "require" : (t.srtp ?? "off"),
      srtpSuites: suites?.value ?? t.srtpSuites ?? ["AES_CM_128_HMAC_SHA1_80"],
      localAddress: f.local ?? f.localAddress,
    },
  };
}
