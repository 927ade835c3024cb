#!/usr/bin/env bash
# The README's first command: build siprec and run the main job on the
# embedded default. Today that is the binary's own checks (version, help and
# the example config); it becomes "start the reference SRS and record a test
# call to it" when `siprec srs` and `siprec test-call` land.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bash "$ROOT/scripts/build.sh"
cd "$ROOT"
echo "==> dist/siprec --version"
dist/siprec --version
echo "==> dist/siprec --help"
dist/siprec --help
echo "==> dist/siprec config check -c conf/siprec.toml --print"
dist/siprec config check -c conf/siprec.toml --print
