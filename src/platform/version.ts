/**
 * Version string: package version plus the git commit the binary was built
 * from (injected by scripts/build.sh with --define; "dev" when run from source).
 */
import pkg from "../../package.json" with { type: "json" };

declare const SIPREC_BUILD_COMMIT: string | undefined;

export const VERSION: string = pkg.version;

export function buildCommit(): string {
  return typeof SIPREC_BUILD_COMMIT === "string" && SIPREC_BUILD_COMMIT !== "" ? SIPREC_BUILD_COMMIT : "dev";
}

export function versionLine(): string {
  return `siprec ${VERSION} (commit ${buildCommit()}, bun ${Bun.version})`;
}
