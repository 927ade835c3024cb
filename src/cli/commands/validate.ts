/**
 * `siprec validate FILE... | -`: checks SDP, RFC 7865 metadata, SIP
 * messages and multipart bodies against RFC 7865's schema and RFC 7866's
 * rules. Exit 0 valid, 1 when any finding is an error, 2 on usage or I/O
 * errors. libxml2 is loaded only here, on first use.
 */
import type { CliCommand, CliContext } from "../command.ts";
import { EXIT } from "../exit-codes.ts";
import { describeError } from "../../lib/errors.ts";
import { readTextFile } from "../../config/load.ts";
import { loadLibxml } from "../../siprec/metadata/libxml.ts";
import { type FileResult, formatJson, formatJunit, formatText, withStrict } from "../../validate/report.ts";
import { RULES } from "../../validate/rules.ts";
import { validateBytes } from "../../validate/validate.ts";

export const MAX_VALIDATE_BYTES = 16 * 1024 * 1024;

interface Options {
  format: string;
  strict?: boolean;
  listRules?: boolean;
}

/** `tooLarge`: how the input's size is described when over the limit. */
async function readInput(ctx: CliContext, file: string): Promise<{ bytes?: Uint8Array; tooLarge?: string; error?: string }> {
  if (file === "-") {
    const r = await ctx.io.readStdin(MAX_VALIDATE_BYTES);
    return r.truncated ? { tooLarge: `more than ${MAX_VALIDATE_BYTES}` } : { bytes: r.bytes };
  }
  const s = await ctx.io.fs.stat(file);
  if (s.kind === "file" && s.size > MAX_VALIDATE_BYTES) return { tooLarge: String(s.size) };
  if (s.kind !== "file") {
    // Same wording as config files for missing paths and directories.
    const r = await readTextFile(file, ctx.io.fs);
    return { error: r.ok ? "not a regular file" : r.error };
  }
  try {
    return { bytes: await ctx.io.fs.readFile(file) };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

export const validateCommand: CliCommand = {
  name: "validate",
  summary: "check SDP, RFC 7865 metadata and SIPREC SIP messages against the RFCs",
  register(program, ctx) {
    program
      .command("validate")
      .description(`${this.summary}; exit 0 valid, 1 errors found, 2 usage or I/O error`)
      .argument("[files...]", 'files to check; "-" reads standard input')
      .option("-f, --format <format>", "output: text, json or junit", "text")
      .option("--strict", "treat warnings as errors")
      .option("--list-rules", "print every rule with its RFC section and exit")
      .action(async (files: string[], opts: Options) => {
        const { io } = ctx;
        if (opts.listRules) {
          for (const [id, r] of Object.entries(RULES)) io.out(`${id.padEnd(30)} ${r.severity.padEnd(8)} ${r.rfc.padEnd(28)} ${r.summary}`);
          return ctx.setExit(EXIT.OK);
        }
        if (!["text", "json", "junit"].includes(opts.format)) {
          io.err(`siprec validate: --format must be text, json or junit, got ${JSON.stringify(opts.format)}`);
          return ctx.setExit(EXIT.USAGE);
        }
        if (files.length === 0) {
          io.err('siprec validate: name at least one file, or "-" for standard input');
          return ctx.setExit(EXIT.USAGE);
        }
        const started = io.clock.now();
        const lib = await loadLibxml();
        const results: FileResult[] = [];
        for (const file of files) {
          const input = await readInput(ctx, file);
          if (input.error !== undefined) results.push({ file, findings: [], readError: input.error });
          else if (input.tooLarge !== undefined) {
            results.push({
              file,
              findings: [{ rule: "input-too-large", severity: "error", file, message: `input is ${input.tooLarge} bytes; the limit is ${MAX_VALIDATE_BYTES}` }],
            });
          } else {
            // A checker failure on one file is "could not check" for that file (exit 2); the others keep their results.
            try {
              results.push({ file, findings: validateBytes(lib, file, input.bytes ?? new Uint8Array()).map((f) => withStrict(f, opts.strict === true)) });
            } catch (e) {
              results.push({ file, findings: [], readError: `could not check (internal error: ${describeError(e)})` });
            }
          }
        }
        if (opts.format === "json") io.out(formatJson(results));
        else if (opts.format === "junit") io.out(formatJunit(results, io.clock.now() - started));
        else for (const line of formatText(results)) io.out(line);
        const ioError = results.some((r) => r.readError !== undefined);
        const hasErrors = results.some((r) => r.findings.some((f) => f.severity === "error"));
        ctx.setExit(ioError ? EXIT.USAGE : hasErrors ? EXIT.FAILURE : EXIT.OK);
      });
  },
};
