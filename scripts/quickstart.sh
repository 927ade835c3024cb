#!/usr/bin/env bash
# The README's first command: build siprec, start the reference recording
# server on loopback, record a test call to it (two streams, a PCI pause in
# the middle), and show the WAV files and the report it wrote.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bash "$ROOT/scripts/build.sh"
cd "$ROOT"
rec="$ROOT/recordings"
mkdir -p "$rec"
log="$(mktemp)"
echo "==> dist/siprec srs --listen 127.0.0.1:5070 --dir recordings   (in the background)"
dist/siprec srs --listen 127.0.0.1:5070 --dir "$rec" --stop-after 60 --log-level warn >"$log" 2>&1 &
srs=$!
trap 'kill -INT $srs 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do grep -q "listening" "$log" && break; sleep 0.1; done
if ! grep -q "listening" "$log"; then cat "$log" >&2; echo "siprec srs did not start" >&2; exit 1; fi
echo "==> dist/siprec test-call -c conf/siprec.toml --srs local --duration 6 --pause-at 2 --resume-at 3.5"
status=0
dist/siprec test-call -c conf/siprec.toml --srs local --duration 6 --pause-at 2 --resume-at 3.5 || status=$?
sleep 0.5
kill -INT $srs 2>/dev/null || true
wait $srs 2>/dev/null || true
trap - EXIT
echo "==> written by siprec srs:"
grep "^recording" "$log" || true
latest="$(ls -1dt "$rec"/*/ 2>/dev/null | head -1)"
if [[ -n "$latest" ]]; then
  ls -l "$latest"
  echo "==> listen to the streams: $latest""label-1.wav (440 Hz, caller) and label-2.wav (880 Hz, callee); the report: $latest""report.json"
fi
exit $status
