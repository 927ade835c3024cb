/**
 * The real FreeSWITCH ESL captures in test/fixtures/freeswitch: the
 * received bytes (.esl), the sent bytes (.sent), and the order of the two
 * read from the transcript (.txt), which a replay server follows.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { EslFramer, type EslFrame } from "../../src/esl/frame.ts";
import { FIXTURES } from "./vectors.ts";

export const FS_FIXTURES = join(FIXTURES, "freeswitch");

export const ESL_FIXTURES = ["esl-auth-fail", "esl-auth-ok", "esl-call-json", "esl-call-plain", "esl-shutdown", "esl-tap-legs"] as const;
export type EslFixture = (typeof ESL_FIXTURES)[number];

export function eslBytes(name: EslFixture): Uint8Array {
  return new Uint8Array(readFileSync(join(FS_FIXTURES, `${name}.esl`)));
}

export function sentText(name: EslFixture): string {
  return readFileSync(join(FS_FIXTURES, `${name}.sent`), "utf8");
}

/** The fixture cut into frames in one push (throws: fixtures are well-formed). */
export function eslFrames(name: EslFixture): EslFrame[] {
  const r = new EslFramer().push(eslBytes(name));
  if (!r.ok) throw new Error(`${name}: ${r.error.message}`);
  return r.value;
}

/** One step of a transcript: FreeSWITCH sends frame N, or the client sends a command. */
export type TranscriptStep =
  | { readonly kind: "recv"; readonly frame: number; readonly t: number }
  | { readonly kind: "send"; readonly command: string; readonly t: number };

/** The `[t] <<` / `[t] >>` blocks of the .txt transcript, in order. */
export function transcript(name: EslFixture): TranscriptStep[] {
  const text = readFileSync(join(FS_FIXTURES, `${name}.txt`), "utf8");
  const steps: TranscriptStep[] = [];
  let frame = 0;
  let current: { kind: "send"; lines: string[]; t: number } | undefined;
  const flush = (): void => {
    if (current !== undefined) steps.push({ kind: "send", command: current.lines.join("\n").replace(/\n+$/, ""), t: current.t });
    current = undefined;
  };
  for (const line of text.split("\n")) {
    const m = /^\[\s*([\d.]+)\] (<<|>>)$/.exec(line);
    if (m !== null) {
      flush();
      const t = Number(m[1]);
      if (m[2] === "<<") steps.push({ kind: "recv", frame: frame++, t });
      else current = { kind: "send", lines: [], t };
      continue;
    }
    if (current !== undefined && line.startsWith(">>")) current.lines.push(line.slice(3));
  }
  flush();
  return steps;
}

/** The commands of the .sent file, each without its terminating empty line. */
export function sentCommands(name: EslFixture): string[] {
  return sentText(name)
    .split("\n\n")
    .filter((c) => c.trim() !== "");
}
