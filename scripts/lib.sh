# Shared helpers for scripts/*.sh (sourced, not run).
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUN="$ROOT/node_modules/.bin/bun"
TSC="$ROOT/node_modules/.bin/tsc"

# Installs npm packages exactly as package-lock.json pins them, when missing or stale.
ensure_npm_packages() {
  local stamp="$ROOT/node_modules/.siprec-lock-sha"
  local want
  want="$(sha256sum "$ROOT/package-lock.json" | cut -d' ' -f1)"
  if [[ ! -x "$BUN" || ! -x "$TSC" || ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
    echo "==> npm ci (installing pinned packages)" >&2
    (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error) >&2
    echo "$want" >"$stamp"
  fi
}

# Installs Debian packages the tests use as real third-party peers, when missing.
# Usage: ensure_debian_packages COMMAND:PACKAGE ...
ensure_debian_packages() {
  local missing=()
  for pair in "$@"; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
  done
  ((${#missing[@]} == 0)) && return 0
  if [[ $(id -u) -ne 0 ]]; then
    echo "==> missing test peers: ${missing[*]} (run as root or: sudo apt-get install ${missing[*]})" >&2
    return 1
  fi
  echo "==> apt-get install ${missing[*]}" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}
