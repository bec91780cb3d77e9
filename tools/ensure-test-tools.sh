#!/usr/bin/env bash
# The programs the tests need beyond Node, Java and Maven: Helm (built with Go
# by deploy/helm/ensure-helm.sh), Debian's Chromium for the dashboard's
# browser test, and docker-compose to validate docker-compose.yml. Installed
# with apt-get when missing and running as root (as CI does); otherwise it
# says what to install. Idempotent and quiet when everything is present.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[tools] %s\n' "$*"; }
state=.local/tools
mkdir -p "$state"

# Without Helm the chart tests fail one by one with ensure-helm's message; the other tests still run.
if helm="$(bash deploy/helm/ensure-helm.sh)"; then
  log "helm: $("$helm" version --short 2>/dev/null || echo "$helm")"
else
  log "helm: not available (see the message above); the deploy project's chart tests will fail"
fi

missing=()
command -v chromium >/dev/null 2>&1 || [[ -x "${CHROMIUM_PATH:-/nonexistent}" ]] || missing+=(chromium)
command -v docker-compose >/dev/null 2>&1 || docker compose version >/dev/null 2>&1 || missing+=(docker-compose)
if ((${#missing[@]} == 0)); then
  log "chromium and a compose client are present"
  exit 0
fi
if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
  log "missing: ${missing[*]}. Install them (Debian: sudo apt-get update && sudo apt-get install -y ${missing[*]});"
  log "without chromium the dashboard browser test fails; without a compose client the compose file is checked by parsing only"
  exit 0
fi
t0=$(date +%s)
log "installing ${missing[*]} with apt-get (running as root) ..."
if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$state/apt.log" 2>&1; then
  tail -n 30 "$state/apt.log" >&2
  log "apt-get install ${missing[*]} failed (log: $state/apt.log)"
  exit 1
fi
log "installed ${missing[*]} in $(( $(date +%s) - t0 )) s"
