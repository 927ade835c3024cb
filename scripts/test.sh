#!/usr/bin/env bash
# The README's second command: everything CI runs. Installs what it needs,
# type-checks, builds the binary, runs every test, and ends with a plain
# "N passed, N failed" line.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
ensure_npm_packages || exit 1
# Debian test peers (real third-party implementations) join this list as
# the issues that use them land: e.g. sipp:sip-tester, xmllint:libxml2-utils.
ensure_debian_packages xmllint:libxml2-utils sipp:sip-tester openssl:openssl tshark:tshark cc:gcc pkg-config:pkg-config || exit 1
# libsrtp2 (headers) for the independent SRTP check; it has no command to look for.
if [[ ! -f /usr/include/srtp2/srtp.h ]]; then ensure_debian_packages srtp2-dev-missing:libsrtp2-dev || exit 1; fi
# spandsp (headers) for the independent G.722 check.
if [[ ! -f /usr/include/spandsp.h ]]; then ensure_debian_packages spandsp-dev-missing:libspandsp-dev || exit 1; fi

failed_steps=0
echo "==> tsc --noEmit"
if ! "$TSC" --noEmit -p .; then failed_steps=$((failed_steps + 1)); echo "tsc: FAILED"; fi

echo "==> biome check (format at 160 columns, lint)"
if ! "$ROOT/node_modules/.bin/biome" check --max-diagnostics=20; then failed_steps=$((failed_steps + 1)); echo "biome: FAILED (npx biome check --write fixes the formatting)"; fi

echo "==> build dist/siprec"
if ! bash scripts/build.sh; then failed_steps=$((failed_steps + 1)); echo "build: FAILED"; fi

echo "==> bun test"
log="$(mktemp)"
SIPREC_BIN="$ROOT/dist/siprec" TEST_INTEGRATION=1 "$BUN" test "$@" 2>&1 | tee "$log"
bun_rc=${PIPESTATUS[0]}
pass=$(grep -E '^ *[0-9]+ pass$' "$log" | tail -1 | grep -oE '[0-9]+' || echo 0)
fail=$(grep -E '^ *[0-9]+ fail$' "$log" | tail -1 | grep -oE '[0-9]+' || echo 0)
skip=$(grep -E '^ *[0-9]+ skip$' "$log" | tail -1 | grep -oE '[0-9]+' || echo 0)
rm -f "$log"
if [[ $bun_rc -ne 0 && $fail -eq 0 ]]; then fail=1; fi   # a crash or load error counts as a failure
fail=$((fail + failed_steps))
echo "${pass} passed, ${fail} failed, ${skip} skipped"
[[ $fail -eq 0 ]]
