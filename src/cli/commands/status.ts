/**
 * `siprec status`: what the running daemon is doing, for a human, read from
 * its control API (the same data as GET /healthz and /recordings).
 */
import type { CliCommand } from "../command.ts";
import { EXIT } from "../exit-codes.ts";
import { loadConfig } from "../../config/load.ts";
import type { HealthBody, RecordingsBody } from "../../daemon/http-control.ts";

interface Options {
  config?: string;
  json?: boolean;
}

export const statusCommand: CliCommand = {
  name: "status",
  summary: "show what the running daemon is doing (ESL link, SRS health, recordings)",
  register(program, ctx) {
    program
      .command("status")
      .description(this.summary)
      .option("-c, --config <file>", "config file of the daemon (for the control API address and token)")
      .option("--json", "print the raw JSON")
      .action(async (o: Options) => {
        const { io } = ctx;
        const loaded = await loadConfig({ explicitPath: o.config, env: io.env, fs: io.fs });
        if (!loaded.ok) {
          io.err(loaded.error.message);
          return ctx.setExit(EXIT.FAILURE);
        }
        const c = loaded.value.config.control;
        if (!c.enabled) {
          io.err(`siprec status: the control API is off in ${loaded.value.path} (set [control] enabled = true and restart the daemon)`);
          return ctx.setExit(EXIT.FAILURE);
        }
        const base = `http://${c.address.includes(":") ? `[${c.address}]` : c.address}:${c.port}`;
        const headers: Record<string, string> = c.token === undefined ? {} : { authorization: `Bearer ${c.token.reveal()}` };
        let health: HealthBody;
        let listed: RecordingsBody;
        try {
          const [h, l] = await Promise.all([
            fetch(`${base}/healthz`, { headers, signal: AbortSignal.timeout(3000) }),
            fetch(`${base}/recordings`, { headers, signal: AbortSignal.timeout(3000) }),
          ]);
          if (h.status === 401) {
            io.err("siprec status: the daemon refused the control token");
            return ctx.setExit(EXIT.FAILURE);
          }
          health = (await h.json()) as HealthBody;
          listed = (await l.json()) as RecordingsBody;
        } catch (e) {
          io.err(`siprec status: no daemon answers on ${base} (${e instanceof Error ? e.message : String(e)})`);
          return ctx.setExit(EXIT.FAILURE);
        }
        if (o.json === true) {
          io.out(JSON.stringify({ ...health, recordings: listed.recordings }, null, 2));
        } else {
          io.out(`FreeSWITCH event socket: ${health.esl}${health.esl === "ready" ? "" : "  (not connected: nothing new is recorded)"}`);
          io.out(`Recording servers: ${health.srs.map((s) => `${s.name} ${s.health}`).join(", ") || "none"}`);
          io.out(`Recordings: ${listed.recordings.length}`);
          for (const r of listed.recordings)
            io.out(`  ${r.id}  call ${r.callUuid}  ${r.status}  ${r.mode}  -> ${r.groups.join(",")}${r.fallback === undefined ? "" : `  (${r.fallback})`}`);
        }
        ctx.setExit(health.status === "ok" ? EXIT.OK : EXIT.FAILURE);
      });
  },
};
