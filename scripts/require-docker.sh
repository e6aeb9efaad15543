#!/usr/bin/env bash
# Succeeds when Docker, its daemon and the Compose v2 plugin are usable; otherwise prints ONE readable line
# saying what is missing and how to fix it, and exits 1. Used by the Makefile and run-tests.sh before any
# `docker compose` call, so users never see a wall of daemon errors.
set -euo pipefail

fail() {
  printf '%s\n' "$*" >&2
  exit 1
}

# Bound every probe: a hung daemon socket must not hang `make`. macOS has no `timeout` by default.
bounded() {
  if command -v timeout >/dev/null 2>&1; then
    timeout 15 "$@"
  else
    "$@"
  fi
}

command -v docker >/dev/null 2>&1 ||
  fail "Docker is not installed: install Docker Engine or Docker Desktop (https://docs.docker.com/get-docker/), then retry."

if ! info_err=$(bounded docker info --format '{{.ServerVersion}}' 2>&1 >/dev/null); then
  reason=$(printf '%s' "$info_err" | grep -v '^\s*$' | tail -n 1 | cut -c1-160 || true)
  case "$reason" in
    *"permission denied"*)
      fail "Docker is installed but this user may not use it (${reason}): add yourself to the docker group or use sudo." ;;
    *)
      fail "Docker is installed but its daemon is not reachable (${reason:-no answer}): start Docker, then retry." ;;
  esac
fi

bounded docker compose version >/dev/null 2>&1 ||
  fail "Docker Compose v2 is missing ('docker compose' does not work): install the Docker Compose plugin, then retry."
