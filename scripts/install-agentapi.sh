#!/usr/bin/env bash
# Installs the pinned coder/agentapi (the version in infra/agentapi-real/agentapi.version) as `agentapi` into
# ${AGENTAPI_INSTALL_DIR:-$(go env GOPATH)/bin}, built from the Go module proxy. A binary already there that reports
# the pinned version is kept (no download, no build); --force rebuilds it.
# Usage: scripts/install-agentapi.sh [--force] [--help]
# Exit status: 0 installed (or already there), 1 go missing / download or build failed, 2 bad usage.
#
# Why not `go install github.com/coder/agentapi@<version>`: go install also asks the proxy for the module's version
# list (`.../@v/list`, for its retraction and deprecation check), and the module proxy this project uses refuses that
# request (403). Downloading the exact version is served, so the script runs `go mod download` and then `go build` in
# the downloaded module's directory, which builds the same main package with the module's own go.sum.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
module=github.com/coder/agentapi

fail() {
  printf 'install-agentapi: %s\n' "$1" >&2
  exit "${2:-1}"
}

force=0
for arg in "$@"; do
  case $arg in
    --force) force=1 ;;
    -h | --help)
      sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *) fail "unknown argument '$arg' (usage: scripts/install-agentapi.sh [--force] [--help])" 2 ;;
  esac
done

version=$(tr -d '[:space:]' <"$root/infra/agentapi-real/agentapi.version")
[[ $version =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]] ||
  fail "infra/agentapi-real/agentapi.version must hold one version like v1.2.3, not '$version'" 2

require_go() {
  command -v go >/dev/null 2>&1 ||
    fail "go is not installed: building $module $version needs Go >= 1.24 (https://go.dev/dl/)"
}

if [ -n "${AGENTAPI_INSTALL_DIR:-}" ]; then
  install_dir=$AGENTAPI_INSTALL_DIR
else
  require_go
  install_dir=$(go env GOPATH)/bin
fi
target=$install_dir/agentapi

# `agentapi --version` prints "agentapi version X.Y.Z" (the pin without its "v").
if [ "$force" = 0 ] && [ -x "$target" ] &&
  [ "$("$target" --version 2>/dev/null || true)" = "agentapi version ${version#v}" ]; then
  printf 'agentapi %s already installed: %s\n' "$version" "$target"
  exit 0
fi

require_go
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Outside any module (the repository has no go.mod), so the download is module-unaware and touches no go.sum here.
if ! (cd "$work" && go mod download -json "$module@$version") >"$work/download.json" 2>"$work/download.err"; then
  reason=$(sed -n 's/^[[:space:]]*"Error": "\(.*\)",\{0,1\}$/\1/p' "$work/download.json" | tail -n 1)
  [ -n "$reason" ] || reason=$(tail -n 1 "$work/download.err")
  fail "cannot download $module@$version from the Go module proxy ($(go env GOPROXY)): ${reason:-no reason given}"
fi
module_dir=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' "$work/download.json")
[ -d "$module_dir" ] || fail "go mod download printed no module directory for $module@$version"

mkdir -p "$install_dir" || fail "cannot create $install_dir"
# upstream's internal/version.Version is a plain variable, so -X stamps the pinned version into --version.
if ! (cd "$module_dir" && CGO_ENABLED=0 go build -trimpath \
  -ldflags "-s -w -X $module/internal/version.Version=${version#v}" \
  -o "$work/agentapi" .) 2>"$work/build.err"; then
  fail "go build of $module@$version failed: $(tail -n 1 "$work/build.err")"
fi
mv -f "$work/agentapi" "$target" || fail "cannot write $target"
printf 'agentapi %s installed: %s (%s)\n' "$version" "$target" "$("$target" --version)"
