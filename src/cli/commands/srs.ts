/**
 * `siprec srs`: the reference recording server (demos, onboarding, tests).
 * Writes one folder per recording: label-N.wav, metadata-N.xml, report.json.
 */
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import type { CliCommand } from "../command.ts";
import { EXIT } from "../exit-codes.ts";
import { loggerFor } from "../logger.ts";
import { Option } from "commander";
import { openSrs } from "../../srs/open-srs.ts";
import type { SrsServer } from "../../srs/server.ts";
import { cryptoIds } from "../../platform/crypto-ids.ts";
import { loadLibxml } from "../../siprec/metadata/libxml.ts";
import { SRS_CODECS, type SrsCodec } from "../../siprec/srs-answer.ts";

interface Options {
  listen: string;
  transport: string;
  dir: string;
  lenient?: boolean;
  reject?: string;
  byeAfter?: string;
  rtcpInterval?: string;
  stopRtcpAfter?: string;
  requestSnapshotAfter?: string;
  stopAfter?: string;
  /** Old name of --stop-after (hidden). */
  duration?: string;
  json?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  answerInactiveFor?: string;
  sessionExpires?: string;
  refresher?: string;
  reofferPort0?: string;
  stallReinvite?: boolean;
  maxRecordings?: string;
  codecs?: string;
}

function hostPort(s: string): { host: string; port: number } | undefined {
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(s);
  const port = Number(m?.[2]);
  if (m === null || port > 65535) return undefined;
  return { host: (m[1] as string).replace(/^\[|\]$/g, ""), port };
}

const seconds = (v: string | undefined): number | undefined | null => {
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? Math.round(n * 1000) : null;
};

export const srsCommand: CliCommand = {
  name: "srs",
  summary: "run a reference recording server that writes one WAV per stream plus the metadata",
  register(program, ctx) {
    program
      .command("srs")
      .description(this.summary)
      .option("--listen <host:port>", "SIP address to listen on", "127.0.0.1:5070")
      .option("--transport <list>", "udp, tcp, tls (comma-separated; TLS listens on port + 1 beside the others)", "udp,tcp")
      .option("--tls-cert <file>", "PEM certificate for TLS")
      .option("--tls-key <file>", "PEM private key for TLS")
      .option("--dir <folder>", "where recordings are written", "./recordings")
      .option("--lenient", "accept INVITEs that fail validation (warnings go to the report)")
      .option("--reject <code>", "answer every INVITE with this status (fault testing)")
      .option("--bye-after <seconds>", "hang up each recording after this long (fault testing)")
      .option("--rtcp-interval <seconds>", "RTCP receiver report interval (RFC 3550: 5)")
      .option("--stop-rtcp-after <seconds>", "send no more RTCP after this long, SIP and recording going on (a dead media path; fault testing)")
      .option("--request-snapshot-after <seconds>", "send <requestsnapshot> after this long (RFC 7866 §9.2)")
      .option("--answer-inactive-for <seconds>", 'answer every stream inactive ("not ready", RFC 7866 Figure 7), then re-INVITE with recvonly after this long')
      .option("--session-expires <seconds>", "put Session-Expires in the 200 (RFC 4028, at least 90)")
      .option("--refresher <who>", "with --session-expires: uas (this server refreshes by UPDATE) or uac (the client must)", "uas")
      .option("--reoffer-port0 <label>", "1 s after answering, re-INVITE with that label's stream at port 0 (RFC 3264 §8.2)")
      .option("--stall-reinvite", "never answer in-dialog re-INVITEs beyond 100 Trying (a stalled recorder)")
      .option("--max-recordings <n>", "concurrent recordings at most; more get 486 Busy Here", "1000")
      .option("--codecs <list>", `codecs recorded, most wanted first (${SRS_CODECS.join(", ")}; L16 = L16/16000); default: the client's first offered one`)
      .option("--stop-after <seconds>", "stop after this long (default: until SIGINT/SIGTERM)")
      .addOption(new Option("--duration <seconds>").hideHelp())
      .option("--json", "print the startup line as JSON (listening addresses, folder)")
      .action(async (o: Options) => {
        const { io } = ctx;
        const at = hostPort(o.listen);
        const transports = o.transport.split(",").map((t) => t.trim());
        const reject = o.reject === undefined ? undefined : Number(o.reject);
        const se = o.sessionExpires === undefined ? undefined : Number(o.sessionExpires);
        const maxRecordings = Number(o.maxRecordings ?? "1000");
        const timeFlags = {
          "--bye-after": o.byeAfter,
          "--request-snapshot-after": o.requestSnapshotAfter,
          "--stop-after": o.stopAfter ?? o.duration,
          "--answer-inactive-for": o.answerInactiveFor,
          "--rtcp-interval": o.rtcpInterval,
          "--stop-rtcp-after": o.stopRtcpAfter,
        };
        const times = Object.values(timeFlags).map(seconds);
        // One message per bad flag, naming it and what it takes.
        const bad: string[] = [];
        if (at === undefined) bad.push(`--listen ${JSON.stringify(o.listen)}: expected host:port`);
        const unknown = transports.filter((t) => t !== "udp" && t !== "tcp" && t !== "tls");
        if (unknown.length > 0) bad.push(`--transport: ${unknown.map((t) => JSON.stringify(t)).join(", ")} (udp, tcp, tls)`);
        if (transports.includes("tls") && (o.tlsCert === undefined || o.tlsKey === undefined)) bad.push("--transport tls needs --tls-cert and --tls-key");
        if (reject !== undefined && !(Number.isInteger(reject) && reject >= 300 && reject <= 699)) bad.push(`--reject ${o.reject}: a status 300-699`);
        for (const [i, [flag, v]] of Object.entries(timeFlags).entries()) if (times[i] === null) bad.push(`${flag} ${v}: seconds ≥ 0`);
        if (se !== undefined && !(Number.isInteger(se) && se >= 90 && se <= 86400)) bad.push(`--session-expires ${o.sessionExpires}: 90-86400 seconds`);
        if (o.refresher !== "uas" && o.refresher !== "uac") bad.push(`--refresher ${o.refresher}: uas or uac`);
        if (o.reofferPort0 !== undefined && !/^[!#-'*+.0-9A-Z^-z|~-]+$/.test(o.reofferPort0))
          bad.push(`--reoffer-port0 ${JSON.stringify(o.reofferPort0)}: a label token`);
        if (!(Number.isInteger(maxRecordings) && maxRecordings >= 1 && maxRecordings <= 100_000)) bad.push(`--max-recordings ${o.maxRecordings}: 1-100000`);
        const codecs = o.codecs?.split(",").map((c) => c.trim().toUpperCase());
        const notCodecs = codecs?.filter((c) => !SRS_CODECS.some((k) => k === c)) ?? [];
        if (codecs !== undefined && (notCodecs.length > 0 || codecs.length === 0))
          bad.push(`--codecs ${JSON.stringify(o.codecs)}: a comma-separated list of ${SRS_CODECS.join(", ")}`);
        if (bad.length > 0 || at === undefined) {
          for (const b of bad) io.err(`siprec srs: ${b}`);
          return ctx.setExit(EXIT.USAGE);
        }
        const pem = async (f: string | undefined) => (f === undefined ? undefined : new TextDecoder().decode(await io.fs.readFile(f)));
        let tls: { cert: string; key: string } | undefined;
        try {
          const [cert, key] = [await pem(o.tlsCert), await pem(o.tlsKey)];
          if (cert !== undefined && key !== undefined) tls = { cert, key };
        } catch {
          io.err("siprec srs: cannot read --tls-cert/--tls-key");
          return ctx.setExit(EXIT.USAGE);
        }
        const dir = resolve(o.dir);
        mkdirSync(dir, { recursive: true });
        const logger = loggerFor(io, { level: ctx.logLevel() ?? "info", format: "auto" });
        const [byeAfterMs, snapshotMs, durationMs, inactiveMs, rtcpMs, stopRtcpMs] = times as (number | undefined)[];
        const faults = {
          ...(inactiveMs === undefined ? {} : { answerInactiveForMs: inactiveMs }),
          ...(se === undefined ? {} : { sessionExpires: { seconds: se, refresher: o.refresher as "uas" | "uac" } }),
          ...(o.reofferPort0 === undefined ? {} : { reofferPort0: o.reofferPort0 }),
          ...(o.stallReinvite === true ? { stallReinvite: true } : {}),
          ...(rtcpMs === undefined ? {} : { rtcpIntervalMs: Math.max(100, rtcpMs) }),
          ...(stopRtcpMs === undefined ? {} : { stopRtcpAfterMs: stopRtcpMs }),
          maxRecordings,
          ...(codecs === undefined ? {} : { codecs: codecs as SrsCodec[] }),
        };
        let server: SrsServer;
        try {
          server = await openSrs({
            host: at.host,
            port: at.port,
            transports: transports as ("udp" | "tcp" | "tls")[],
            ...(tls === undefined ? {} : { tls }),
            dir,
            lenient: o.lenient === true,
            ...(reject === undefined ? {} : { reject }),
            ...(byeAfterMs === undefined ? {} : { byeAfterMs }),
            ...(snapshotMs === undefined ? {} : { requestSnapshotAfterMs: snapshotMs }),
            ...faults,
            clock: io.clock,
            ids: cryptoIds,
            lib: await loadLibxml(),
            logger,
          });
        } catch (e) {
          io.err(`siprec srs: cannot listen on ${o.listen}: ${e instanceof Error ? e.message : String(e)}`);
          return ctx.setExit(EXIT.FAILURE);
        }
        const listening = transports.map((t) => ({ transport: t, host: at.host, port: server.portOf(t as "udp") ?? server.port }));
        server.onRecordingDone = (r) =>
          io.out(
            o.json === true
              ? JSON.stringify({ recording: r.callId, folder: r.folder, streams: r.streams.map((s) => ({ wav: s.wav, durationMs: s.durationMs })) })
              : `recording ${r.callId}: ${r.folder} (${r.streams.map((s) => `${s.wav} ${s.durationMs} ms`).join(", ")})`,
          );
        io.out(
          o.json === true
            ? JSON.stringify({ listening, dir })
            : `siprec srs listening on ${listening.map((l) => `${l.transport} ${l.host}:${l.port}`).join(", ")}; recordings in ${dir}`,
        );
        await Promise.race([io.stopSignal(), ...(durationMs === undefined ? [] : [new Promise((r) => io.clock.setTimer(durationMs, () => r("duration")))])]);
        await server.stop();
        ctx.setExit(EXIT.OK);
      });
  },
};
