#!/usr/bin/env bash
# Builds the single executable dist/siprec (native target of this machine); the
# config-check worker (SIGHUP reloads off the main thread) is its second entrypoint.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
ensure_npm_packages
cd "$ROOT"
commit="$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
if [[ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]]; then commit="$commit-dirty"; fi
mkdir -p dist
"$BUN" build src/main.ts src/daemon/config-check-worker.ts --compile --minify --bytecode \
  --format=esm --no-compile-autoload-dotenv --no-compile-autoload-bunfig \
  --define "SIPREC_BUILD_COMMIT=\"$commit\"" \
  --outfile dist/siprec >&2
echo "==> built dist/siprec ($commit, $(du -h dist/siprec | cut -f1))" >&2
