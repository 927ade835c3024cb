/**
 * `siprec replay`: the calls of a capture. `--list` describes each call
 * (Call-ID, parties, start, duration, streams with codec, packets, loss,
 * jitter, RFC 4733 events). Replaying a call to an SRS is the next step of
 * issue #8; until it lands, the command says so instead of pretending.
 */
import type { CliCommand } from "../command.ts";
import { EXIT } from "../exit-codes.ts";
import { CaptureReader } from "../../pcap/reader.ts";
import { UdpStream } from "../../pcap/datagrams.ts";
import { type CapturedCall, CallExtractor } from "../../pcap/calls.ts";

interface Options {
  list?: boolean;
  json?: boolean;
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
  summary: "the calls in a pcap/pcapng capture (--list); replay to an SRS is coming",
  register(program, ctx) {
    program
      .command("replay")
      .description(this.summary)
      .argument("<capture>", "a pcap or pcapng file")
      .option("--list", "describe each call of the capture")
      .option("--json", "machine-readable output")
      .action(async (file: string, o: Options) => {
        const { io } = ctx;
        if (o.list !== true) {
          io.err("siprec replay: only --list is available in this build (replaying a call to an SRS is not implemented yet)");
          return ctx.setExit(EXIT.USAGE);
        }
        const reader = new CaptureReader();
        const udp = new UdpStream();
        const calls = new CallExtractor();
        let failure: string | undefined;
        try {
          for await (const chunk of Bun.file(file).stream()) {
            const r = reader.push(chunk);
            if (!r.ok) {
              failure = `${file}: ${r.error.message} (byte ${r.error.offset})`;
              break;
            }
            for (const p of r.value) {
              const d = udp.push(p);
              if (d !== undefined) calls.push(d);
            }
          }
          if (failure === undefined) {
            const end = reader.finish();
            if (!end.ok) failure = `${file}: ${end.error.message} (byte ${end.error.offset})`;
          }
        } catch (e) {
          io.err(`siprec replay: cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`);
          return ctx.setExit(EXIT.FAILURE);
        }
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
