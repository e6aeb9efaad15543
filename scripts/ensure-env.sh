#!/usr/bin/env bash
# Creates .env from .env.example the first time, replacing every "change-me" placeholder with a fresh random
# value (InfluxDB token, admin passwords), and says so. An existing .env is never touched.
# Usage: scripts/ensure-env.sh [ENV_FILE] [EXAMPLE_FILE]   (defaults: .env and .env.example at the repo root)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
env_file=${1:-$root/.env}
example_file=${2:-$root/.env.example}

[ -f "$env_file" ] && exit 0
[ -f "$example_file" ] || {
  printf '%s\n' "Cannot create ${env_file}: ${example_file} is missing." >&2
  exit 1
}

# 32 random bytes as hex: openssl when present, else Node's crypto, else the kernel's generator.
random_secret() {
  openssl rand -hex 32 2>/dev/null ||
    node -e 'process.stdout.write(require("node:crypto").randomBytes(32).toString("hex") + "\n")' 2>/dev/null ||
    od -An -tx1 -N32 /dev/urandom | tr -d ' \n'
}

tmp=$(mktemp "${env_file}.XXXXXX")
trap 'rm -f "$tmp"' EXIT
replaced=0
while IFS= read -r line || [ -n "$line" ]; do
  if [[ $line =~ ^([A-Z0-9_]+)=change-me$ ]]; then
    printf '%s=%s\n' "${BASH_REMATCH[1]}" "$(random_secret)"
    replaced=$((replaced + 1))
  else
    printf '%s\n' "$line"
  fi
done <"$example_file" >"$tmp"
chmod 600 "$tmp"
mv "$tmp" "$env_file"
trap - EXIT

echo "Created ${env_file#"$root"/} from .env.example with ${replaced} random secrets (InfluxDB token, admin passwords); it is git-ignored."
