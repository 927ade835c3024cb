/**
 * `siprec replay`: the calls of a capture. `--list` describes each call
 * (Call-ID, parties, start, duration, streams with codec, packets, loss,
 * jitter, RFC 4733 events); `--srs` replays the chosen calls (`--call-id`,
 * `--all`, or the only call) as SIPREC recordings with the capture's timing
 * (`--speed N`, `--max-speed`), one after another, and reports each.
 * `--rtp-only` finds calls from their RTP alone (no SIP in the capture).
 * Replaying (batches, concurrency, progress, interruption) is in
 * replay/replay-calls.ts.
 */
import type { CliCommand } from "../command.ts";
import { EXIT } from "../exit-codes.ts";
import { replayCalls } from "../replay/replay-calls.ts";
import { describeCall, listText } from "../replay/list-calls.ts";
import { type SrsTargetFlags, addSrsTargetOptions, readSrsTarget } from "../srs-target-flags.ts";
import { scanCapture } from "../../pcap/file-scan.ts";
import { loadLibxml } from "../../siprec/metadata/libxml.ts";

interface Options extends SrsTargetFlags {
  list?: boolean;
  json?: boolean;
  callId?: string;
  all?: boolean;
  rtpOnly?: boolean;
  speed: string;
  maxSpeed?: boolean;
  maxDuration?: string;
  concurrency: string;
  timeline?: boolean;
}

export const replayCommand: CliCommand = {
  name: "replay",
  summary: "list the calls of a pcap/pcapng capture, or replay them as SIPREC recordings to an SRS",
  register(program, ctx) {
    addSrsTargetOptions(
      program
        .command("replay")
        .description(`${this.summary}; exit 0 all replayed, 1 a call failed or the capture is damaged, 2 usage`)
        .argument("<capture>", "a pcap or pcapng file"),
      { srsRequired: false },
    )
      .option("--list", "describe each call of the capture")
      .option("--json", "machine-readable output")
      .option("--rtp-only", "find calls from RTP alone (the capture has no SIP, or it is encrypted)")
      .option("--call-id <id>", "the call to replay")
      .option("--all", "replay every call of the capture")
      .option("--speed <n>", "pace: 1 = as captured, 2 = twice as fast", "1")
      .option("--max-speed", "as fast as possible (regression runs)")
      .option("--max-duration <seconds>", "replay only the start of each call")
      .option("--concurrency <n>", "with --all: replay this many calls at once (one SIP stack)", "1")
      .option("--timeline", "with --all: start each call at its offset in the capture (scaled by --speed), overlapping as captured")
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
        if (o.callId !== undefined && o.all === true) return usage("--call-id and --all exclude each other");
        const concurrency = Number(o.concurrency);
        if (!(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 1000)) return usage("--concurrency must be a whole number 1-1000");
        if (o.timeline === true && (speed === 0 || concurrency !== 1))
          return usage("--timeline paces calls by the capture: it goes with --speed, not --max-speed or --concurrency");
        const rtpOnly = o.rtpOnly === true;
        if (o.list === true) {
          const scan = await scanCapture(file, { rtpOnly, keep: () => false });
          if (!scan.ok) {
            io.err(`siprec replay: ${scan.message}`);
            return ctx.setExit(EXIT.FAILURE);
          }
          // A SIPREC session's own metadata names who was recorded (libxml2 only when there is one).
          const lib = scan.calls.some((c) => c.siprec && c.metadata.length > 0) ? await loadLibxml() : undefined;
          if (o.json === true)
            io.out(
              JSON.stringify(
                {
                  file,
                  calls: scan.calls.map((c) => describeCall(c, lib)),
                  callsNotListed: scan.callsNotKept,
                  notes: scan.notes,
                  ...(scan.damage === undefined ? {} : { error: scan.damage }),
                },
                null,
                2,
              ),
            );
          else for (const line of [...listText(file, scan.calls, scan.callsNotKept, lib), ...scan.notes.map((n) => `note: ${n}`)]) io.out(line);
          // A damaged capture still lists what was read before the damage.
          if (scan.damage !== undefined) io.err(scan.damage);
          return ctx.setExit(scan.damage === undefined ? EXIT.OK : EXIT.FAILURE);
        }
        const resolved = await readSrsTarget({ ...o, srs: o.srs as string }, io);
        if (!resolved.ok) {
          if (resolved.kind === "usage") return usage(resolved.message);
          io.err(`siprec replay: ${resolved.message}`);
          return ctx.setExit(EXIT.FAILURE);
        }
        await replayCalls(
          ctx,
          { file, callId: o.callId, all: o.all === true, rtpOnly, json: o.json === true, speed, maxDurationS, concurrency, timeline: o.timeline === true },
          resolved.value,
        );
      });
  },
};
