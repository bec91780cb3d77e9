#!/usr/bin/env bash
# Prints the path of a Helm v3 binary, building it with `go install` when none is found.
#
#   bash deploy/helm/ensure-helm.sh          # -> /root/go/bin/helm (for example)
#
# Looks, in order, at $HELM_BIN, `helm` on PATH, then $(go env GOPATH)/bin/helm. Only a
# v3 binary is accepted (the chart is apiVersion v2 and relies on Helm 3 schema checks).
# Idempotent and quiet: only the path goes to stdout; a failure prints one line starting
# with `ensure-helm:` to stderr and exits 1. CI runs it before the deploy tests so the
# build (about a minute, needs the Go toolchain and network) happens outside jest.
set -euo pipefail

HELM_VERSION="${HELM_VERSION:-v3.22.0}"
HELM_MODULE="helm.sh/helm/v3/cmd/helm@${HELM_VERSION}"

fail() {
  echo "ensure-helm: $*" >&2
  exit 1
}

is_helm3() {
  [[ -x "$1" ]] && "$1" version --template '{{.Version}}' 2>/dev/null | grep -q '^v3\.'
}

if [[ -n "${HELM_BIN:-}" ]]; then
  is_helm3 "$HELM_BIN" || fail "HELM_BIN=${HELM_BIN} is not an executable Helm v3 binary"
  echo "$HELM_BIN"
  exit 0
fi

if on_path="$(command -v helm 2>/dev/null)" && is_helm3 "$on_path"; then
  echo "$on_path"
  exit 0
fi

command -v go >/dev/null 2>&1 ||
  fail "no Helm v3 found (HELM_BIN, PATH) and no Go toolchain to build it; install Helm 3 or set HELM_BIN"
gopath_bin="$(go env GOPATH)/bin/helm"
if is_helm3 "$gopath_bin"; then
  echo "$gopath_bin"
  exit 0
fi

build_log="$(mktemp)"
trap 'rm -f "$build_log"' EXIT
if ! go install "$HELM_MODULE" >"$build_log" 2>&1; then
  fail "\`go install ${HELM_MODULE}\` failed: $(tail -n 3 "$build_log" | tr '\n' ' ')"
fi
is_helm3 "$gopath_bin" || fail "\`go install ${HELM_MODULE}\` did not produce ${gopath_bin}"
echo "$gopath_bin"
