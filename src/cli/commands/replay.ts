/**
 * `siprec replay`: the calls of a capture. `--list` describes each call
 * (Call-ID, parties, start, duration, streams with codec, packets, loss,
 * jitter, RFC 4733 events); `--srs` replays the chosen calls (`--call-id`,
 * `--all`, or the only call) as SIPREC recordings with the capture's timing
 * (`--speed N`, `--max-speed`), one after another, and reports each.
 */
import type { CliCommand } from "../command.ts";
import { EXIT } from "../exit-codes.ts";
import { CaptureReader } from "../../pcap/reader.ts";
import { UdpStream } from "../../pcap/datagrams.ts";
import { type CapturedCall, CallExtractor } from "../../pcap/calls.ts";
import { replayCall } from "../replay/run-replay.ts";
import { resolveSrsTarget } from "../srs-target.ts";
import type { CliContext } from "../command.ts";
import { cryptoIds } from "../../platform/crypto-ids.ts";

interface Options {
  list?: boolean;
  json?: boolean;
  srs?: string;
  config?: string;
  callId?: string;
  all?: boolean;
  speed: string;
  maxSpeed?: boolean;
  maxDuration?: string;
  transport?: string;
  localAddress: string;
}

const party = (v: string): string => v.replace(/;\s*tag=[^;>\s]+/i, "").trim();

function describe(c: CapturedCall): Record<string, unknown> {
  return {
    callId: c.callId,
    from: party(c.from),
    to: party(c.to),
    ...(c.assertedIdentity === undefined ? {} : { assertedIdentity: c.assertedIdentity }),
    start: new Date(c.startUs / 1000).toISOString(),
    durationS: Math.round((c.endUs - c.startUs) / 1e4) / 100,
    answered: c.answered,
    siprec: c.siprec,
    streams: c.flows.map((f) => ({ speaker: f.speaker, to: f.to, codec: f.codec, packets: f.packets, lost: f.lost, jitterMs: Math.round(f.jitterMs * 100) / 100, dtmfEvents: f.events })),
  };
}

export const replayCommand: CliCommand = {
  name: "replay",
  summary: "list the calls of a pcap/pcapng capture, or replay them as SIPREC recordings to an SRS",
  register(program, ctx) {
    program
      .command("replay")
      .description(this.summary)
      .argument("<capture>", "a pcap or pcapng file")
      .option("--list", "describe each call of the capture")
      .option("--json", "machine-readable output")
      .option("--srs <uri|name>", "replay to this SRS (a SIP URI or a [[srs]] name from the config)")
      .option("-c, --config <file>", "config file (for --srs NAME)")
      .option("--call-id <id>", "the call to replay")
      .option("--all", "replay every call of the capture")
      .option("--speed <n>", "pace: 1 = as captured, 2 = twice as fast", "1")
      .option("--max-speed", "as fast as possible (regression runs)")
      .option("--max-duration <seconds>", "replay only the start of each call")
      .option("--transport <t>", "udp, tcp or tls toward the SRS")
      .option("--local-address <ip>", "our address as the SRS sees it (SIP and RTP)", "127.0.0.1")
      .action(async (file: string, o: Options) => {
        const { io } = ctx;
        const usage = (m: string): void => {
          io.err(`siprec replay: ${m}`);
          ctx.setExit(EXIT.USAGE);
        };
        if (o.list !== true && o.srs === undefined) return usage("say --list, or --srs URI|NAME to replay");
        const speed = o.maxSpeed === true ? 0 : Number(o.speed);
        const maxDurationS = o.maxDuration === undefined ? undefined : Number(o.maxDuration);
        if (!(speed === 0 || (speed >= 0.1 && speed <= 100))) return usage("--speed must be 0.1-100");
        if (maxDurationS !== undefined && !(maxDurationS > 0)) return usage("--max-duration must be seconds > 0");
        if (o.transport !== undefined && o.transport !== "udp" && o.transport !== "tcp" && o.transport !== "tls") return usage("--transport must be udp, tcp or tls");
        const wanted = (id: string): boolean => o.list !== true && (o.all === true || o.callId === undefined || o.callId === id);
        const reader = new CaptureReader();
        const udp = new UdpStream();
        const calls = new CallExtractor({ keepPackets: wanted });
        let failure: string | undefined;
        try {
          for await (const chunk of Bun.file(file).stream()) {
            const r = reader.push(chunk);
            if (!r.ok) {
              failure = `${file}: ${r.error.message} (byte ${r.error.offset})`;
              break;
            }
            for (const p of r.value) for (const d of udp.pushAll(p)) calls.push(d);
          }
          if (failure === undefined) {
            const end = reader.finish();
            if (!end.ok) failure = `${file}: ${end.error.message} (byte ${end.error.offset})`;
          }
        } catch (e) {
          io.err(`siprec replay: cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`);
          return ctx.setExit(EXIT.FAILURE);
        }
        if (o.list !== true) return replayChosen(ctx, o, [...calls.calls.values()], failure, speed, maxDurationS);
        const list = [...calls.calls.values()].map(describe);
        if (o.json === true) io.out(JSON.stringify({ file, calls: list, ...(failure === undefined ? {} : { error: failure }) }, null, 2));
        else {
          io.out(`${file}: ${list.length} call${list.length === 1 ? "" : "s"}`);
          for (const c of list) {
            io.out(`  ${String(c["callId"])}  ${String(c["from"])} -> ${String(c["to"])}  ${String(c["start"])}  ${String(c["durationS"])} s${c["answered"] === true ? "" : "  (not answered)"}${c["siprec"] === true ? "  SIPREC" : ""}`);
            for (const s of c["streams"] as { speaker: string; codec: string; packets: number; lost: number; jitterMs: number; dtmfEvents: number }[]) {
              io.out(`      ${s.speaker.padEnd(6)} ${s.codec.padEnd(5)} ${String(s.packets).padStart(6)} packets, ${s.lost} lost, jitter ${s.jitterMs} ms${s.dtmfEvents > 0 ? `, ${s.dtmfEvents} DTMF event packets` : ""}`);
            }
          }
        }
        // A damaged capture still lists what was read before the damage.
        if (failure !== undefined) {
          io.err(failure);
          return ctx.setExit(EXIT.FAILURE);
        }
        ctx.setExit(EXIT.OK);
      });
  },
};

async function replayChosen(ctx: CliContext, o: Options, all: CapturedCall[], readFailure: string | undefined, speed: number, maxDurationS: number | undefined): Promise<void> {
  const { io } = ctx;
  if (readFailure !== undefined) io.err(`${readFailure}; replaying what was read before it`);
  const chosen = o.callId !== undefined ? all.filter((c) => c.callId === o.callId) : o.all === true || all.length === 1 ? all : [];
  if (chosen.length === 0) {
    io.err(o.callId !== undefined ? `siprec replay: no call ${JSON.stringify(o.callId)} in the capture (see --list)` : `siprec replay: the capture has ${all.length} calls: choose one with --call-id, or --all`);
    return ctx.setExit(EXIT.USAGE);
  }
  const target = await resolveSrsTarget(o.srs as string, o.config, io);
  if (!target.ok) {
    io.err(`siprec replay: ${target.error.message}`);
    return ctx.setExit(target.error.kind === "usage" ? EXIT.USAGE : EXIT.FAILURE);
  }
  const transport = (o.transport as "udp" | "tcp" | "tls" | undefined) ?? target.value.transport ?? "tcp";
  const results = [];
  for (const call of chosen) {
    const r = await replayCall(call, { srsUri: target.value.uri, transport, ...(target.value.credentials === undefined ? {} : { credentials: target.value.credentials }), speed, ...(maxDurationS === undefined ? {} : { maxDurationMs: maxDurationS * 1000 }), localHost: o.localAddress, clock: io.clock, ids: cryptoIds });
    results.push(r);
    if (o.json !== true) {
      io.out(`${r.ok ? "ok  " : "FAIL"} ${r.callId}: ${r.packetsReplayed} packets replayed to ${r.report.srs ?? target.value.uri}${r.ok ? "" : ` (${r.report.reason ?? r.report.state})`}`);
      for (const f of r.report.figures) io.out(`       label ${f.label}: ${f.packets} packets sent`);
    }
  }
  if (o.json === true) io.out(JSON.stringify({ calls: results.map((r) => ({ callId: r.callId, ok: r.ok, packetsReplayed: r.packetsReplayed, srs: r.report.srs, reason: r.report.reason, figures: r.report.figures })) }, null, 2));
  ctx.setExit(results.every((r) => r.ok) ? EXIT.OK : EXIT.FAILURE);
}
