/**
 * A plain clone has no shared folder beside it: tests and benches read the
 * copies under test/vectors and test/fixtures (each with a PROVENANCE.md),
 * and a real FreeSWITCH comes from an install, never from that folder. This
 * finds code that would read it anyway.
 */

/** Comments blanked out with their line breaks kept, so line numbers hold. */
function blankComments(text: string, kind: "ts" | "sh"): string {
  if (kind === "sh") return text.replace(/(^|\s)#.*$/gm, "$1");
  return text.replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, "")).replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
}

/** The folder's name, spelt so that this file does not name it in a literal itself. */
export const SHARED_FOLDER = ["sha", "red"].join("");

/** A string's content names the shared folder: its name as a path segment, or a path through it (parent-relative or absolute). */
function namesShared(content: string): boolean {
  const f = SHARED_FOLDER;
  return content === f || content.includes(`../${f}`) || content.includes(`/${f}/`) || content.endsWith(`/${f}`);
}

/** Line numbers (1-based) of the code lines, comments left out, that refer to the shared folder. */
export function sharedReads(text: string, kind: "ts" | "sh"): number[] {
  const hits: number[] = [];
  blankComments(text, kind)
    .split("\n")
    .forEach((line, i) => {
      const literals = [...line.matchAll(/(["'`])((?:\\.|(?!\1).)*)\1/g)].map((m) => m[2] ?? "");
      const bare =
        kind === "sh" &&
        namesShared(
          line
            .replace(/["']/g, " ")
            .trim()
            .split(/\s+/)
            .find((w) => namesShared(w)) ?? "",
        );
      if (bare || literals.some(namesShared)) hits.push(i + 1);
    });
  return hits;
}
