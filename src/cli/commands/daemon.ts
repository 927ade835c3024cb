/**
 * `siprec daemon`: the main job on the PBX host. Connects to FreeSWITCH's
 * Event Socket, records the calls its triggers select, and keeps going
 * through faults. SIGHUP reloads the config (SRS list, triggers) without
 * touching running recordings; SIGTERM/SIGINT drain: no new recordings, a
 * BYE to every SRS, exit 0 within the drain bound.
 */
import type { CliCommand } from "../command.ts";
import { EXIT } from "../exit-codes.ts";
import { loggerFor } from "../logger.ts";
import { loadConfig } from "../../config/load.ts";
import { allSrsClientTls } from "../../config/srs-target.ts";
import { Daemon } from "../../daemon/app.ts";
import { startControl } from "../../daemon/http-control.ts";
import { daemonMetrics } from "../../daemon/metrics.ts";
import { ReloadQueue, reloadConfig } from "../../daemon/config-reload.ts";
import { cryptoIds } from "../../platform/crypto-ids.ts";

interface Options {
  config?: string;
  drainTimeout: string;
}

export const daemonCommand: CliCommand = {
  name: "daemon",
  summary: "record the calls FreeSWITCH's events select, over the Event Socket (the main job)",
  register(program, ctx) {
    program
      .command("daemon")
      .description(this.summary)
      .option("-c, --config <file>", "config file (default: $SIPREC_CONFIG, /etc/siprec/siprec.toml, ./conf/siprec.toml)")
      .option("--drain-timeout <seconds>", "longest wait for BYEs on shutdown", "10")
      .action(async (o: Options) => {
        const { io } = ctx;
        const drainMs = Number(o.drainTimeout) * 1000;
        if (!(drainMs >= 0 && drainMs <= 600_000)) {
          io.err("siprec daemon: --drain-timeout must be 0-600 seconds");
          return ctx.setExit(EXIT.USAGE);
        }
        const loaded = await loadConfig({ explicitPath: o.config, env: io.env, fs: io.fs });
        if (!loaded.ok) {
          io.err(loaded.error.message);
          return ctx.setExit(EXIT.FAILURE);
        }
        const cfg = loaded.value.config;
        const log = loggerFor(io, { ...cfg.log, level: ctx.logLevel() ?? cfg.log.level }, cfg);
        const tls = await allSrsClientTls(cfg.srs, io.fs);
        if (!tls.ok) {
          io.err(`siprec daemon: ${tls.error}`);
          return ctx.setExit(EXIT.FAILURE);
        }
        let daemon: Daemon;
        try {
          daemon = await Daemon.start(cfg, { clock: io.clock, ids: cryptoIds, log }, tls.value);
        } catch (e) {
          io.err(`siprec daemon: cannot start: ${e instanceof Error ? e.message : String(e)}`);
          return ctx.setExit(EXIT.FAILURE);
        }
        let control: { port: number; stop(): void } | undefined;
        if (cfg.control.enabled) {
          try {
            control = startControl(daemon, {
              host: cfg.control.address,
              port: cfg.control.port,
              token: cfg.control.token?.reveal(),
              metrics: daemonMetrics(() => daemon.status(), daemon.forwarded),
            });
            log.info("control API listening", {
              url: `http://${cfg.control.address.includes(":") ? `[${cfg.control.address}]` : cfg.control.address}:${control.port}`,
            });
          } catch (e) {
            io.err(
              `siprec daemon: cannot listen for the control API on ${cfg.control.address}:${cfg.control.port}: ${e instanceof Error ? e.message : String(e)}`,
            );
            await daemon.drain();
            return ctx.setExit(EXIT.FAILURE);
          }
        }
        log.info("siprec daemon started", {
          config: loaded.value.path,
          freeswitch: `${cfg.freeswitch.host}:${cfg.freeswitch.port}`,
          tap: `${cfg.tap.address}:${cfg.tap.sip_port}`,
          srs: cfg.srs.map((s) => s.name),
        });
        // SIGHUP: the file is checked in a worker (config-reload.ts), so a large or broken one never stalls the media.
        const reloads = new ReloadQueue(async () => {
          const started = io.clock.now();
          const next = await reloadConfig({ path: loaded.value.path, env: io.env, fs: io.fs, clock: io.clock });
          if (!next.ok)
            return log.error("config reload refused; keeping the running config", { message: next.error, checkMs: Math.round(io.clock.now() - started) });
          const nextTls = await allSrsClientTls(next.value.config.srs, io.fs);
          if (!nextTls.ok) return log.error("config reload refused; keeping the running config", { message: nextTls.error });
          daemon.reload(next.value.config, nextTls.value);
        });
        io.onReload(() => reloads.request());
        const outcome = await Promise.race([
          io.stopSignal().then((s) => ({ kind: "signal" as const, s })),
          daemon.whenFatal().then((reason) => ({ kind: "fatal" as const, reason })),
        ]);
        control?.stop();
        if (outcome.kind === "fatal") {
          io.err(`siprec daemon: ${outcome.reason}`);
          await daemon.drain();
          return ctx.setExit(EXIT.FAILURE);
        }
        log.info("draining", { signal: outcome.s, recordings: daemon.status().recordings.length });
        await Promise.race([daemon.drain(), new Promise((r) => io.clock.setTimer(drainMs, () => r(undefined)))]);
        log.info("siprec daemon stopped", {});
        ctx.setExit(EXIT.OK);
      });
  },
};
