/**
 * `siprec config check [-c FILE] [--print] [--json]`: loads the config the
 * way the daemon would and reports every problem at once.
 */
import { formatIssue } from "../../config/issues.ts";
import { loadConfig } from "../../config/load.ts";
import { printConfig } from "../../config/print.ts";
import type { CliCommand } from "../command.ts";
import { EXIT, exitCodeFor } from "../exit-codes.ts";

interface CheckOptions {
  config?: string;
  print?: boolean;
  json?: boolean;
}

export const configCommand: CliCommand = {
  name: "config",
  summary: "check the config file and print the effective config (secrets redacted)",
  register(program, ctx) {
    const cmd = program.command("config").description(this.summary);
    cmd
      .command("check")
      .description("load and check a config file; exit 0 when valid, 1 with every error otherwise")
      .option("-c, --config <file>", "config file (default: $SIPREC_CONFIG, /etc/siprec/siprec.toml, ./conf/siprec.toml)")
      .option("--print", "print the effective config (defaults filled in, secrets redacted)")
      .option("--json", "print the result as JSON")
      .action(async (opts: CheckOptions) => {
        const { io } = ctx;
        const r = await loadConfig({ explicitPath: opts.config, env: io.env, fs: io.fs });
        if (!r.ok) {
          if (opts.json) io.out(JSON.stringify({ ok: false, file: r.error.file ?? null, code: r.error.code, issues: r.error.issues }));
          else for (const i of r.error.issues) io.err(formatIssue(i, r.error.file));
          ctx.setExit(exitCodeFor(r.error.code));
          return;
        }
        const { path, config, warnings } = r.value;
        if (opts.json) {
          io.out(JSON.stringify({ ok: true, file: path, warnings, ...(opts.print ? { config } : {}) }));
        } else {
          for (const w of warnings) io.err(formatIssue(w, path));
          if (opts.print) io.out(printConfig(config));
          const groups = new Set(config.srs.map((s) => s.group)).size;
          io.err(
            `${path}: ok (${config.srs.length} recording server${config.srs.length === 1 ? "" : "s"} in ${groups} group${groups === 1 ? "" : "s"}, ${config.trigger.length} trigger${config.trigger.length === 1 ? "" : "s"})`,
          );
        }
        ctx.setExit(EXIT.OK);
      });
  },
};
