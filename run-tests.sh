#!/usr/bin/env bash
# Runs the k6 suite once with a fresh testid: in the project's Docker image (--docker) or with a local k6, against
# the target of --env, optionally streaming to InfluxDB + Grafana (--monitor). Prints where to watch the run and
# where its reports are. Exit status: k6's own (0 = passed, 99 = thresholds breached), 2 = bad usage, 1 = other.
# Runs on bash 3.2 (macOS) too: no associative arrays, no ${var,,}.
set -euo pipefail
cd "$(dirname "$0")"

readonly SCENARIO_NAMES="authentication mcp_connection tool_execution list_tools disconnect mixed_workload"
readonly PROFILE_NAMES="smoke local staging production"
readonly ENV_NAMES="local staging production"
# The only keys an .env.<name> file may set (targets and profile; never secrets).
readonly ENV_FILE_KEYS="PROFILE SCENARIOS VUS_FACTOR BASE_URL OAUTH_BASE_URL AUTH_URL MCP_URL AGENT_ONLY"
readonly TARGET_KEYS="BASE_URL OAUTH_BASE_URL AUTH_URL MCP_URL"

usage() {
  cat <<'EOF'
Usage: ./run-tests.sh [options]

Runs the k6 suite once with a fresh testid and prints the Grafana link and the reports folder.

Options:
  --env NAME        local (default) | staging | production: targets and profile from .env.NAME
  --profile NAME    smoke | local | staging | production (default: PROFILE from the env file)
  --scenario NAMES  only these scenarios, comma-separated: authentication, mcp_connection, tool_execution,
                    list_tools, disconnect, mixed_workload (sets SCENARIOS; k6 has no --scenario flag)
  --vus-factor N    scale every stage's VU target by N (a number > 0)
  --base-url URL    the AgentAPI server (default: the reference target)
  --agent-only      drive only the AgentAPI endpoints (for a real `agentapi server`); sets AGENT_ONLY=true
  --docker          run k6 in the project's image (docker compose) instead of a local k6
  --monitor         stream metrics to InfluxDB and watch them in Grafana (starts both when needed)
  --yes             confirm a production run (same as CONFIRM_PRODUCTION=yes)
  --dry-run         print the resolved settings and the k6 command, run nothing
  -h, --help        show this help

Environment (flags win over the environment, which wins over .env.NAME): PROFILE, SCENARIOS, VUS_FACTOR,
BASE_URL, OAUTH_BASE_URL, AUTH_URL, MCP_URL, AGENT_ONLY, TESTID (default: a fresh one), CONFIRM_PRODUCTION,
K6_BIN (local k6 binary, default k6).

Examples:
  ./run-tests.sh --docker --monitor --profile smoke
  ./run-tests.sh --scenario authentication,list_tools --vus-factor 0.5
  ./run-tests.sh --env staging --docker
EOF
}

usage_error() {
  printf 'run-tests.sh: %s (see --help)\n' "$1" >&2
  exit 2
}

die() {
  printf 'run-tests.sh: %s\n' "$1" >&2
  exit 1
}

one_of() { # one_of WORD "LIST"
  case " $2 " in *" $1 "*) return 0 ;; *) return 1 ;; esac
}

is_set() { # is_set NAME: true when the variable exists in the environment (even if empty)
  eval "[ -n \"\${$1+x}\" ]"
}

# ---- arguments -------------------------------------------------------------------------------------------------
env_name=local
flag_profile=""
flag_scenarios=""
flag_vus_factor=""
flag_base_url=""
flag_agent_only=false
use_docker=false
monitor=false
confirmed=false
dry_run=false

need_value() { # need_value FLAG "$#" VALUE
  if [ "$2" -lt 2 ] || [ -z "$3" ] || [ "${3#--}" != "$3" ]; then
    usage_error "$1 needs a value"
  fi
}

while [ "$#" -gt 0 ]; do
  case "$1" in
    --env) need_value "$1" "$#" "${2:-}" && env_name=$2 && shift 2 ;;
    --env=*) env_name=${1#*=} && shift ;;
    --profile) need_value "$1" "$#" "${2:-}" && flag_profile=$2 && shift 2 ;;
    --profile=*) flag_profile=${1#*=} && shift ;;
    --scenario | --scenarios) need_value "$1" "$#" "${2:-}" && flag_scenarios=$2 && shift 2 ;;
    --scenario=* | --scenarios=*) flag_scenarios=${1#*=} && shift ;;
    --vus-factor) need_value "$1" "$#" "${2:-}" && flag_vus_factor=$2 && shift 2 ;;
    --vus-factor=*) flag_vus_factor=${1#*=} && shift ;;
    --base-url) need_value "$1" "$#" "${2:-}" && flag_base_url=$2 && shift 2 ;;
    --base-url=*) flag_base_url=${1#*=} && shift ;;
    --agent-only) flag_agent_only=true && shift ;;
    --docker) use_docker=true && shift ;;
    --monitor) monitor=true && shift ;;
    --yes) confirmed=true && shift ;;
    --dry-run) dry_run=true && shift ;;
    -h | --help) usage && exit 0 ;;
    *) usage_error "unknown argument '$1'" ;;
  esac
done

one_of "$env_name" "$ENV_NAMES" || usage_error "--env must be one of: ${ENV_NAMES// /, } (got '$env_name')"

# ---- settings: flags > environment > .env.<name> ------------------------------------------------------------------
env_file=".env.${env_name}"
[ -f "$env_file" ] || die "$env_file is missing (it ships with the repository; restore it)"
line_no=0
while IFS= read -r line || [ -n "$line" ]; do
  line_no=$((line_no + 1))
  case "$line" in '' | '#'*) continue ;; esac
  key=${line%%=*}
  value=${line#*=}
  if [ "$key" = "$line" ] || ! one_of "$key" "$ENV_FILE_KEYS"; then
    die "$env_file:$line_no: only ${ENV_FILE_KEYS// /, } may be set there (got '$line')"
  fi
  is_set "$key" || export "$key=$value"
done <"$env_file"

[ -n "$flag_profile" ] && export PROFILE="$flag_profile"
[ -n "$flag_scenarios" ] && export SCENARIOS="$flag_scenarios"
[ -n "$flag_vus_factor" ] && export VUS_FACTOR="$flag_vus_factor"
[ -n "$flag_base_url" ] && export BASE_URL="$flag_base_url"
[ "$flag_agent_only" = true ] && export AGENT_ONLY=true
export PROFILE="${PROFILE:-local}"

one_of "$PROFILE" "$PROFILE_NAMES" || usage_error "--profile must be one of: ${PROFILE_NAMES// /, } (got '$PROFILE')"

if [ -n "${SCENARIOS:-}" ]; then
  for scenario in ${SCENARIOS//,/ }; do
    one_of "$scenario" "$SCENARIO_NAMES" ||
      usage_error "unknown scenario '$scenario'; scenarios are: ${SCENARIO_NAMES// /, }"
  done
fi

if [ -n "${VUS_FACTOR:-}" ]; then
  if [[ ! $VUS_FACTOR =~ ^[0-9]+([.][0-9]+)?$ ]] || [[ $VUS_FACTOR =~ ^0+([.]0+)?$ ]]; then
    usage_error "--vus-factor must be a number greater than 0 (got '$VUS_FACTOR')"
  fi
fi

if [ -n "${AGENT_ONLY:-}" ]; then
  one_of "$AGENT_ONLY" "true false" || usage_error "AGENT_ONLY must be true or false (got '$AGENT_ONLY')"
fi

for key in $TARGET_KEYS; do
  eval "url=\${$key:-}"
  [ -z "$url" ] && continue
  [[ $url =~ ^https?://[^/]+ ]] || usage_error "$key must be an http(s) URL (got '$url')"
  case "$url" in
    *.example.invalid*) die "$key is still the placeholder from $env_file: put your real URL there or export $key" ;;
  esac
  if [ "$use_docker" = true ]; then
    case "$url" in
      http://localhost[:/]* | http://127.0.0.1[:/]* | https://localhost[:/]* | https://127.0.0.1[:/]*)
        die "$key=$url would point at the k6 container itself under --docker: use http://host.docker.internal:PORT" ;;
    esac
  fi
done

# ---- production needs an explicit yes -------------------------------------------------------------------------------
if [ "$PROFILE" = production ] || [ "$env_name" = production ]; then
  if [ "$confirmed" = true ] || [ "${CONFIRM_PRODUCTION:-}" = yes ]; then
    :
  elif [ "$dry_run" = false ] && [ -t 0 ] && [ -t 1 ]; then
    printf 'This sends load to PRODUCTION (%s). Type yes to go on: ' "${BASE_URL:-the default target}"
    read -r answer
    [ "$answer" = yes ] || die "production run cancelled"
  else
    die "refusing to run against production without confirmation: pass --yes or set CONFIRM_PRODUCTION=yes"
  fi
  export CONFIRM_PRODUCTION=yes
fi

# ---- this run ---------------------------------------------------------------------------------------------------------
export TESTID="${TESTID:-$(./scripts/new-testid.sh)}"
[[ $TESTID =~ ^[A-Za-z0-9._-]+$ ]] || usage_error "TESTID may only hold letters, digits, '.', '_' and '-' (got '$TESTID')"
export REPORT_DIR="reports/${TESTID}"
grafana_port=$(sed -n 's/^GRAFANA_PORT=//p' .env 2>/dev/null || true)
dashboard_url="http://localhost:${grafana_port:-3001}/d/agentapi-load?var-testid=${TESTID}"

if [ "$use_docker" = true ]; then
  command=(docker compose --profile load run --rm --build)
  # compose allocates a TTY unless stdout is a pipe; with stdin redirected (CI, hooks, `< /dev/null`) that fails
  # with "the input device is not a TTY", so ask for none unless both ends are terminals.
  { [ -t 0 ] && [ -t 1 ]; } || command+=(--no-TTY)
  command+=(k6)
else
  k6_bin=${K6_BIN:-k6}
  bundle=k6/dist/main.stock.js
  k6_version=""
  if [ "$dry_run" = false ]; then
    command -v "$k6_bin" >/dev/null 2>&1 ||
      die "k6 is not installed: install it (https://grafana.com/docs/k6/latest/set-up/install-k6/) or use --docker"
    k6_version=$("$k6_bin" version 2>&1 || true)
  fi
  # The xk6 build (xk6-sse) runs the full bundle; a stock k6 runs the one whose SSE step polls /messages.
  case "$k6_version" in *xk6-sse*) bundle=k6/dist/main.js ;; esac
  if [ "$monitor" = true ] && [ "$dry_run" = false ]; then
    case "$k6_version" in
      *xk6-output-influxdb*) ;;
      *) die "--monitor with a local k6 needs a k6 built with xk6-output-influxdb: use --docker, or build one (see README)" ;;
    esac
  fi
  export K6_WEB_DASHBOARD=true
  export K6_WEB_DASHBOARD_EXPORT="${REPORT_DIR}/k6-dashboard.html"
  command=("$k6_bin" run --tag "testid=${TESTID}" "$bundle")
fi

if [ "$dry_run" = true ]; then
  echo "env=${env_name} docker=${use_docker} monitor=${monitor}"
  for key in TESTID PROFILE SCENARIOS VUS_FACTOR AGENT_ONLY CONFIRM_PRODUCTION REPORT_DIR $TARGET_KEYS; do
    eval "printf '%s=%s\n' \"\$key\" \"\${$key:-}\""
  done
  echo "command: ${command[*]}"
  exit 0
fi

# ---- prerequisites and run -----------------------------------------------------------------------------------------
if [ "$use_docker" = true ] || [ "$monitor" = true ]; then
  ./scripts/require-docker.sh
  ./scripts/ensure-env.sh
fi

if [ "$use_docker" = true ]; then
  # The container writes ./reports as the calling user, so the files stay yours.
  HOST_UID=$(id -u)
  HOST_GID=$(id -g)
  export HOST_UID HOST_GID
elif [ "$monitor" = true ]; then
  docker compose up -d --wait influxdb grafana
  env_value() { sed -n "s/^$1=//p" .env | tail -n 1; }
  influxdb_port=$(env_value INFLUXDB_PORT)
  K6_OUT="xk6-influxdb=http://localhost:${influxdb_port:-8086}"
  K6_INFLUXDB_ORGANIZATION=$(env_value INFLUXDB_ORG)
  K6_INFLUXDB_TOKEN=$(env_value INFLUXDB_TOKEN)
  export K6_OUT K6_INFLUXDB_ORGANIZATION K6_INFLUXDB_TOKEN K6_INFLUXDB_BUCKET=k6
fi
if [ ! -f "${bundle:-k6/dist/main.js}" ] && [ "$use_docker" = false ]; then
  echo "Building the k6 bundles (node k6/build.mjs)..."
  node k6/build.mjs
fi
mkdir -p "$REPORT_DIR"

echo "testid:    ${TESTID} (profile ${PROFILE}, scenarios ${SCENARIOS:-all}, env ${env_name})"
if [ "$use_docker" = true ] || [ "$monitor" = true ]; then
  echo "watch:     ${dashboard_url}"
fi

status=0
"${command[@]}" || status=$?

echo
echo "testid:    ${TESTID}"
if [ "$use_docker" = true ] || [ "$monitor" = true ]; then
  echo "dashboard: ${dashboard_url}"
fi
echo "reports:   ${REPORT_DIR}/ (summary.html, summary.json, junit.xml, k6-dashboard.html)"
case "$status" in
  0) echo "result:    passed" ;;
  99) echo "result:    thresholds breached (k6 exit 99)" ;;
  108) echo "result:    stopped by setup (k6 exit 108): the target did not answer, see the first lines of the run" ;;
  *) echo "result:    k6 failed (exit ${status})" ;;
esac
exit "$status"
