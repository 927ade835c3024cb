/**
 * `config check` on big broken files: issues located in one pass over the
 * text (locate.ts keyIndex). Figures: time for 6,000 and 24,000 problems;
 * the ratio shows whether the cost is linear (~4x) or quadratic (~16x).
 */
import type { Figure } from "./stats.ts";
import { parseConfigText } from "../src/config/parse.ts";

function broken(servers: number): string {
  let text = "";
  for (let i = 0; i < servers; i++) text += `[[srs]]\nname = "s${i}"\nuri = "sip:srs@127.0.0.1:5070"\ntransprt = "tcp"\npriority = -1\n`;
  return text;
}

function timeMs(text: string): { ms: number; problems: number } {
  const t = performance.now();
  const r = parseConfigText(text);
  return { ms: performance.now() - t, problems: r.ok ? 0 : r.error.length };
}

export async function run(): Promise<Figure[]> {
  timeMs(broken(200));
  const small = timeMs(broken(3000));
  const large = timeMs(broken(12000));
  return [
    {
      bench: "config",
      metric: `check, ${small.problems} problems`,
      value: Math.round(small.ms),
      unit: "ms",
      note: `${Math.round(broken(3000).length / 1024)} KiB`,
    },
    {
      bench: "config",
      metric: `check, ${large.problems} problems`,
      value: Math.round(large.ms),
      unit: "ms",
      note: `${Math.round(broken(12000).length / 1024)} KiB`,
    },
    {
      bench: "config",
      metric: "growth for 4x the problems",
      value: large.ms / Math.max(1, small.ms),
      unit: "x",
      note: "linear is about 4, quadratic about 16",
    },
  ];
}
