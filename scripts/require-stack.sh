#!/usr/bin/env bash
# Succeeds when the stack from `make up` is running and healthy (influxdb, grafana, agentapi-stub); otherwise
# prints ONE readable line telling the user to run `make up`, and exits 1.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() {
  printf '%s\n' "$*" >&2
  exit 1
}

./scripts/require-docker.sh

[ -f .env ] || fail "The stack is not up (there is no .env yet): run 'make up' first."

states=$(docker compose ps --format '{{.Service}} {{.Health}}' 2>/dev/null || true)
not_healthy=()
for service in influxdb grafana agentapi-stub; do
  grep -qx "${service} healthy" <<<"$states" || not_healthy+=("$service")
done

[ "${#not_healthy[@]}" -eq 0 ] ||
  fail "The stack is not up (${not_healthy[*]} not healthy): run 'make up' first, or 'make logs' to see why."
