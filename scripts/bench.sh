#!/usr/bin/env bash
# Builds dist/siprec and runs the benches (bench/*.bench.ts); prints figures.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bash "$ROOT/scripts/build.sh"
cd "$ROOT"
"$BUN" bench/run.ts "$@"
