#!/usr/bin/env bash
# Runs the k6 suite once with a fresh testid: in the project's Docker image (--docker) or with a local k6, against
# the target of --env, optionally streaming to InfluxDB and/or Prometheus (--metrics) + Grafana (--monitor). Prints
# where to watch the run and where its reports are; when baselines/<profile>.json exists (make baseline), ends with
# the comparison against it.
# Exit status: k6's own (0 = passed, 99 = thresholds breached), 2 = bad usage, 1 = other, or (COMPARE_GATE=1 only)
# 1 when k6 passed but the comparison with the baseline found a regression.
# Runs on bash 3.2 (macOS) too: no associative arrays, no ${var,,}.
set -euo pipefail
cd "$(dirname "$0")"

readonly SCENARIO_NAMES="authentication mcp_connection tool_execution list_tools disconnect mixed_workload agent_conversation event_watchers"
readonly PROFILE_NAMES="smoke local staging production"
readonly ENV_NAMES="local staging production"
# The only keys an .env.<name> file may set (targets, profile and prompt budget; never secrets).
readonly ENV_FILE_KEYS="PROFILE SCENARIOS VUS_FACTOR TIME_SCALE BASE_URL AGENTAPI_URL_TEMPLATE AGENTS AGENTAPI_URLS OAUTH_BASE_URL AUTH_URL MCP_URL AGENT_ONLY AGENTAPI_TRANSPORT MAX_PROMPTS"
# The AgentAPI credentials: from the environment or the git-ignored .env only, never on a command line or printed.
readonly SECRET_KEYS="AGENTAPI_TOKEN AGENTAPI_HEADERS"
readonly TARGET_KEYS="BASE_URL OAUTH_BASE_URL AUTH_URL MCP_URL"
# Where k6 streams (--metrics / METRICS; unset or empty: influxdb). Prometheus gets k6's built-in remote-write output
# (no extension); its settings for the k6 container are in docker-compose.yml, the same values below for a local k6.
readonly METRICS_NAMES="influxdb prometheus both"
readonly PROMETHEUS_OUTPUT="experimental-prometheus-rw"
readonly PROMETHEUS_PUSH_INTERVAL="5s"
# The dashboards: InfluxQL (agentapi-load) and PromQL (the one for METRICS=prometheus, datasource uid prometheus-k6).
readonly INFLUX_DASHBOARD_UID="agentapi-load"
readonly PROMETHEUS_DASHBOARD_UID="agentapi-load-prometheus"

usage() {
  cat <<'EOF'
Usage: ./run-tests.sh [options]

Runs the k6 suite once with a fresh testid and prints the Grafana link and the reports folder.

Options:
  --env NAME        local (default) | staging | production: targets and profile from .env.NAME
  --profile NAME    smoke | local | staging | production (default: PROFILE from the env file)
  --scenario NAMES  only these scenarios, comma-separated: authentication, mcp_connection, tool_execution,
                    list_tools, disconnect, mixed_workload, agent_conversation, event_watchers
                    (sets SCENARIOS; k6 has no --scenario flag)
  --vus-factor N    scale every stage's VU target by N (a number > 0)
  --time-scale N    the same profile shape in N of the time (0 < N <= 1, e.g. 0.1): every start time, stage
                    and graceful stop times N, whole seconds, at least 1 s; think times stay THINK_TIME_SCALE's
  --base-url URL    one AgentAPI server (default: the reference target's fleet under --docker, else
                    http://localhost:3284); with it, every VU talks to that one server
  --agent-url-template URL
                    a fleet: a URL with {agent} (1 ... AGENTS), one agent per VU (sets AGENTAPI_URL_TEMPLATE)
  --agents N        how many agents the template names (sets AGENTS); under --docker the default template is
                    the stack's stub fleet, which must have at least N agents (make up STUB_AGENTS=N)
  --agent-urls LIST a fleet as a comma list of AgentAPI base URLs (sets AGENTAPI_URLS)
  --agent-only      drive only the AgentAPI endpoints (for a real `agentapi server`); sets AGENT_ONLY=true
  --max-prompts N   send at most N user prompts in the whole run (a whole number >= 0; sets MAX_PROMPTS)
  --transport NAME  pty (default) | acp: how the AgentAPI servers drive their agents (`agentapi server
                    --experimental-acp` is acp); sets AGENTAPI_TRANSPORT
  --docker          run k6 in the project's image (docker compose) instead of a local k6
  --monitor         stream metrics to the --metrics backend and watch them in Grafana (starts both when needed)
  --metrics NAME    influxdb (default) | prometheus | both: where --docker and --monitor stream (sets METRICS).
                    prometheus: k6's built-in experimental-prometheus-rw output (native histograms, every tag a
                    label) to the stack's Prometheus (compose profile prometheus, started when needed); both: two
                    --out flags. A local k6 without --monitor streams nowhere.
  --yes             confirm a production run and prompts to real agents without a budget (CONFIRM_PRODUCTION=yes,
                    CONFIRM_PROMPTS=yes)
  --dry-run         print the resolved settings and the k6 command, run nothing
  -h, --help        show this help

Environment (flags win over the environment, which wins over .env.NAME): PROFILE, SCENARIOS, VUS_FACTOR,
TIME_SCALE, BASE_URL, AGENTAPI_URL_TEMPLATE, AGENTS, AGENTAPI_URLS, OAUTH_BASE_URL, AUTH_URL, MCP_URL, AGENT_ONLY,
AGENTAPI_TRANSPORT, MAX_PROMPTS, METRICS, TESTID (default: a fresh one), CONFIRM_PRODUCTION, CONFIRM_PROMPTS, K6_BIN (local k6 binary, default
k6), COMPARE_GATE (1: a regression against baselines/<profile>.json fails the run with exit 1; default: the
comparison only reports).

Secrets: AGENTAPI_TOKEN (sent as Authorization: Bearer) and AGENTAPI_HEADERS (a JSON object of headers, e.g.
{"Coder-Session-Token":"..."}) go on every AgentAPI request. Export them, or put them in the git-ignored .env
(single-quote the JSON there); never in .env.NAME (refused) nor on a command line. k6 reads them from its
environment; --dry-run shows only whether they are set.

Targets: under --docker, with no BASE_URL and no fleet given, each VU gets its own agent of the stack's stub fleet
(docker-compose.yml: STUB_AGENTS agents, AGENTS of them used). A BASE_URL (flag, environment or .env.NAME) means
that one server: the default fleet is switched off (AGENTAPI_URL_TEMPLATE and AGENTS passed empty).

Examples:
  ./run-tests.sh --docker --monitor --profile smoke
  ./run-tests.sh --scenario authentication,list_tools --vus-factor 0.5
  ./run-tests.sh --docker --time-scale 0.1              # the local profile's full shape in about 2 minutes
  ./run-tests.sh --docker --agent-only --base-url http://host.docker.internal:3284
  ./run-tests.sh --env staging --docker
  ./run-tests.sh --docker --metrics prometheus          # k6 remote-writes to Prometheus instead of InfluxDB
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
flag_time_scale=""
flag_base_url=""
flag_agent_url_template=""
flag_agents=""
flag_agent_urls=""
flag_agent_only=false
flag_max_prompts=""
flag_transport=""
flag_metrics=""
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
    --time-scale) need_value "$1" "$#" "${2:-}" && flag_time_scale=$2 && shift 2 ;;
    --time-scale=*) flag_time_scale=${1#*=} && shift ;;
    --base-url) need_value "$1" "$#" "${2:-}" && flag_base_url=$2 && shift 2 ;;
    --base-url=*) flag_base_url=${1#*=} && shift ;;
    --agent-url-template) need_value "$1" "$#" "${2:-}" && flag_agent_url_template=$2 && shift 2 ;;
    --agent-url-template=*) flag_agent_url_template=${1#*=} && shift ;;
    --agents) need_value "$1" "$#" "${2:-}" && flag_agents=$2 && shift 2 ;;
    --agents=*) flag_agents=${1#*=} && shift ;;
    --agent-urls) need_value "$1" "$#" "${2:-}" && flag_agent_urls=$2 && shift 2 ;;
    --agent-urls=*) flag_agent_urls=${1#*=} && shift ;;
    --agent-only) flag_agent_only=true && shift ;;
    --max-prompts) need_value "$1" "$#" "${2:-}" && flag_max_prompts=$2 && shift 2 ;;
    --max-prompts=*) flag_max_prompts=${1#*=} && shift ;;
    --transport) need_value "$1" "$#" "${2:-}" && flag_transport=$2 && shift 2 ;;
    --transport=*) flag_transport=${1#*=} && shift ;;
    --metrics) need_value "$1" "$#" "${2:-}" && flag_metrics=$2 && shift 2 ;;
    --metrics=*) flag_metrics=${1#*=} && shift ;;
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
  # Name the key, never echo the line: it may hold a secret pasted in the wrong file.
  if one_of "$key" "$SECRET_KEYS"; then
    usage_error "$env_file:$line_no: $key is a secret: export it in the environment or put it in the git-ignored .env, never in $env_file"
  fi
  [ "$key" != "$line" ] || die "$env_file:$line_no: not a KEY=value line"
  one_of "$key" "$ENV_FILE_KEYS" || die "$env_file:$line_no: only ${ENV_FILE_KEYS// /, } may be set there (got '$key')"
  is_set "$key" || export "$key=$value"
done <"$env_file"

[ -n "$flag_profile" ] && export PROFILE="$flag_profile"
[ -n "$flag_scenarios" ] && export SCENARIOS="$flag_scenarios"
[ -n "$flag_vus_factor" ] && export VUS_FACTOR="$flag_vus_factor"
[ -n "$flag_time_scale" ] && export TIME_SCALE="$flag_time_scale"
[ -n "$flag_base_url" ] && export BASE_URL="$flag_base_url"
[ -n "$flag_agent_url_template" ] && export AGENTAPI_URL_TEMPLATE="$flag_agent_url_template"
[ -n "$flag_agents" ] && export AGENTS="$flag_agents"
[ -n "$flag_agent_urls" ] && export AGENTAPI_URLS="$flag_agent_urls"
[ "$flag_agent_only" = true ] && export AGENT_ONLY=true
[ -n "$flag_max_prompts" ] && export MAX_PROMPTS="$flag_max_prompts"
[ -n "$flag_transport" ] && export AGENTAPI_TRANSPORT="$flag_transport"
[ -n "$flag_metrics" ] && export METRICS="$flag_metrics"
[ "$confirmed" = true ] && export CONFIRM_PROMPTS=yes
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

if [ -n "${TIME_SCALE:-}" ]; then
  # (0, 1]: 1, 1.0, 0.5, .25; not 0, not above 1.
  if [[ ! $TIME_SCALE =~ ^(1([.]0*)?|0?[.][0-9]+)$ ]] || [[ $TIME_SCALE =~ ^0?[.]0*$ ]]; then
    usage_error "--time-scale must be a number in (0, 1], e.g. 0.1 (got '$TIME_SCALE')"
  fi
fi

if [ -n "${MAX_PROMPTS:-}" ] && [[ ! $MAX_PROMPTS =~ ^[0-9]+$ ]]; then
  usage_error "--max-prompts must be a whole number >= 0 (got '$MAX_PROMPTS')"
fi

if [ -n "${AGENTAPI_TRANSPORT:-}" ]; then
  one_of "$AGENTAPI_TRANSPORT" "pty acp" || usage_error "--transport must be pty or acp (got '$AGENTAPI_TRANSPORT')"
fi

export METRICS="${METRICS:-influxdb}"
one_of "$METRICS" "$METRICS_NAMES" || usage_error "--metrics must be one of: ${METRICS_NAMES// /, } (got '$METRICS')"
to_influxdb=false
to_prometheus=false
case "$METRICS" in influxdb) to_influxdb=true ;; prometheus) to_prometheus=true ;; both) to_influxdb=true to_prometheus=true ;; esac

if [ -n "${AGENT_ONLY:-}" ]; then
  one_of "$AGENT_ONLY" "true false" || usage_error "AGENT_ONLY must be true or false (got '$AGENT_ONLY')"
fi

check_url() { # check_url KEY URL: an http(s) URL, not a placeholder, not the container's own loopback under --docker
  [[ $2 =~ ^https?://[^/]+ ]] || usage_error "$1 must be an http(s) URL (got '$2')"
  case "$2" in
    *.example.invalid*) die "$1 is still the placeholder from $env_file: put your real URL there or export $1" ;;
  esac
  if [ "$use_docker" = true ]; then
    case "$2" in
      http://localhost[:/]* | http://127.0.0.1[:/]* | https://localhost[:/]* | https://127.0.0.1[:/]*)
        die "$1=$2 would point at the k6 container itself under --docker: use http://host.docker.internal:PORT" ;;
    esac
  fi
}

for key in $TARGET_KEYS; do
  eval "url=\${$key:-}"
  [ -z "$url" ] || check_url "$key" "$url"
done
[ -z "${AGENTAPI_URL_TEMPLATE:-}" ] || check_url AGENTAPI_URL_TEMPLATE "${AGENTAPI_URL_TEMPLATE//\{agent\}/1}"
for url in ${AGENTAPI_URLS:+${AGENTAPI_URLS//,/ }}; do check_url AGENTAPI_URLS "$url"; done

# ---- the AgentAPI fleet ------------------------------------------------------------------------------------------------
# docker-compose.yml gives the k6 service the stub fleet by default (AGENTAPI_URL_TEMPLATE and AGENTS, `${VAR-…}`:
# a default only when unset). A BASE_URL or an explicit list means no template: pass both empty so the default
# fleet cannot win over the server the user named.
if [ -n "${AGENTAPI_URL_TEMPLATE:-}" ] && [ -n "${AGENTAPI_URLS:-}" ]; then
  usage_error "--agent-url-template and --agent-urls exclude each other (set one fleet)"
fi
if [ -n "${AGENTS:-}" ] && { [[ ! $AGENTS =~ ^[0-9]+$ ]] || [[ $AGENTS =~ ^0+$ ]]; }; then
  usage_error "--agents must be a whole number >= 1 (got '$AGENTS')"
fi
if [ -n "${AGENTAPI_URL_TEMPLATE:-}" ]; then
  case "$AGENTAPI_URL_TEMPLATE" in
    *"{agent}"*) ;;
    *) usage_error "--agent-url-template must contain {agent} (got '$AGENTAPI_URL_TEMPLATE')" ;;
  esac
elif [ -n "${AGENTAPI_URLS:-}" ] || [ -n "${BASE_URL:-}" ] || [ "$use_docker" = false ]; then
  if [ -n "${AGENTS:-}" ] && [ -n "${AGENTAPI_URLS:-}" ]; then
    usage_error "--agents goes with --agent-url-template; --agent-urls is the fleet itself"
  elif [ -n "${AGENTS:-}" ]; then
    usage_error "--agents needs --agent-url-template (a URL with {agent}) unless --docker uses the stack's stub fleet"
  fi
  export AGENTAPI_URL_TEMPLATE="" AGENTS=""
fi

# ---- AgentAPI credentials (secrets) ------------------------------------------------------------------------------------
# Never on a command line (argv shows in `ps` and in --dry-run's command): a local k6 reads them from its environment
# (`k6 run` puts the system environment in __ENV), docker compose hands them to the k6 container from this
# environment or, when unset here, from .env. For a local k6 this script reads .env the same way.
dotenv_value() { # dotenv_value KEY: KEY's last value in .env, without one pair of surrounding quotes
  local value
  value=$(sed -n "s/^$1=//p" .env 2>/dev/null | tail -n 1)
  case "$value" in
    \'*\') value=${value#\'} && value=${value%\'} ;;
    \"*\") value=${value#\"} && value=${value%\"} ;;
  esac
  printf '%s' "$value"
}
for key in $SECRET_KEYS; do
  origin=""
  if is_set "$key"; then
    eval "[ -z \"\${$key}\" ]" || origin="the environment"
  elif [ -f .env ]; then
    value=$(dotenv_value "$key")
    if [ -n "$value" ]; then
      origin=.env
      [ "$use_docker" = true ] || export "$key=$value"
    fi
  fi
  printf -v "secret_origin_$key" "%s" "$origin"
done
unset value

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
dotenv_port() { sed -n "s/^$1=//p" .env 2>/dev/null | tail -n 1 || true; }
grafana_port=$(dotenv_port GRAFANA_PORT)
dashboard_uid=$INFLUX_DASHBOARD_UID
[ "$METRICS" != prometheus ] || dashboard_uid=$PROMETHEUS_DASHBOARD_UID
dashboard_url="http://localhost:${grafana_port:-3001}/d/${dashboard_uid}?var-testid=${TESTID}"

# ---- where the metrics go: --out flags ---------------------------------------------------------------------------------
# A command-line --out replaces K6_OUT (k6 applies the CLI over the environment), so influxdb alone keeps K6_OUT
# (docker-compose.yml, or the local --monitor block below) and prometheus / both name every output with --out.
out_flags=()
if [ "$use_docker" = true ]; then
  influxdb_out="xk6-influxdb=http://influxdb:8086"
  prometheus_rw_url="http://prometheus:9090/api/v1/write"
else
  influxdb_port=$(dotenv_port INFLUXDB_PORT)
  prometheus_port=$(dotenv_port PROMETHEUS_PORT)
  influxdb_out="xk6-influxdb=http://localhost:${influxdb_port:-8086}"
  prometheus_rw_url="http://localhost:${prometheus_port:-9090}/api/v1/write"
fi
if [ "$to_prometheus" = true ] && { [ "$use_docker" = true ] || [ "$monitor" = true ]; }; then
  [ "$to_influxdb" = false ] || out_flags+=(--out "$influxdb_out")
  out_flags+=(--out "$PROMETHEUS_OUTPUT")
fi

if [ "$use_docker" = true ]; then
  command=(docker compose --profile load run --rm --build)
  # compose allocates a TTY unless stdout is a pipe; with stdin redirected (CI, hooks, `< /dev/null`) that fails
  # with "the input device is not a TTY", so ask for none unless both ends are terminals.
  { [ -t 0 ] && [ -t 1 ]; } || command+=(--no-TTY)
  # `${a[@]+"${a[@]}"}`: an empty array under `set -u` on bash 3.2.
  command+=(k6 ${out_flags[@]+"${out_flags[@]}"})
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
  if [ "$monitor" = true ] && [ "$to_influxdb" = true ] && [ "$dry_run" = false ]; then
    case "$k6_version" in
      *xk6-output-influxdb*) ;;
      *) die "--monitor with a local k6 needs a k6 built with xk6-output-influxdb: use --docker, or build one (see README)" ;;
    esac
  fi
  export K6_WEB_DASHBOARD=true
  export K6_WEB_DASHBOARD_EXPORT="${REPORT_DIR}/k6-dashboard.html"
  command=("$k6_bin" run --tag "testid=${TESTID}" ${out_flags[@]+"${out_flags[@]}"} "$bundle")
fi

if [ "$dry_run" = true ]; then
  echo "env=${env_name} docker=${use_docker} monitor=${monitor}"
  for key in METRICS TESTID PROFILE SCENARIOS VUS_FACTOR TIME_SCALE AGENT_ONLY AGENTAPI_TRANSPORT MAX_PROMPTS CONFIRM_PRODUCTION CONFIRM_PROMPTS \
    REPORT_DIR $TARGET_KEYS; do
    eval "printf '%s=%s\n' \"\$key\" \"\${$key:-}\""
  done
  # Secrets: whether they are set and where from, never their values.
  for key in $SECRET_KEYS; do
    eval "origin=\${secret_origin_$key}"
    if [ -n "$origin" ]; then echo "${key}=*** (set, from ${origin})"; else echo "${key}="; fi
  done
  # The fleet keys only when set: unset means docker-compose.yml's default (the stub fleet), empty means none.
  for key in AGENTAPI_URL_TEMPLATE AGENTS AGENTAPI_URLS; do
    if is_set "$key"; then eval "printf '%s=%s\n' \"\$key\" \"\${$key}\""; fi
  done
  if [ "$to_prometheus" = true ]; then
    echo "K6_PROMETHEUS_RW_SERVER_URL=${prometheus_rw_url}"
    echo "K6_PROMETHEUS_RW_PUSH_INTERVAL=${PROMETHEUS_PUSH_INTERVAL}"
  fi
  echo "command: ${command[*]}"
  [ ! -f "baselines/${PROFILE}.json" ] || echo "baseline: baselines/${PROFILE}.json (compared after the run)"
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
  # The k6 service waits for InfluxDB and Grafana itself; Prometheus (opt-in profile) is started here.
  [ "$to_prometheus" = false ] || docker compose --profile prometheus up -d --wait prometheus
elif [ "$monitor" = true ]; then
  if [ "$to_prometheus" = true ]; then
    services=(grafana prometheus)
    [ "$to_influxdb" = false ] || services+=(influxdb)
    docker compose --profile prometheus up -d --wait "${services[@]}"
  else
    docker compose up -d --wait influxdb grafana
  fi
  if [ "$to_influxdb" = true ]; then
    env_value() { sed -n "s/^$1=//p" .env | tail -n 1; }
    K6_OUT=${influxdb_out}
    K6_INFLUXDB_ORGANIZATION=$(env_value INFLUXDB_ORG)
    K6_INFLUXDB_TOKEN=$(env_value INFLUXDB_TOKEN)
    export K6_OUT K6_INFLUXDB_ORGANIZATION K6_INFLUXDB_TOKEN K6_INFLUXDB_BUCKET=k6
  fi
  if [ "$to_prometheus" = true ]; then
    # The same settings as the k6 service's (docker-compose.yml), aimed at the published port.
    export K6_PROMETHEUS_RW_SERVER_URL="$prometheus_rw_url" K6_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM=true \
      K6_PROMETHEUS_RW_PUSH_INTERVAL="$PROMETHEUS_PUSH_INTERVAL" K6_PROMETHEUS_RW_STALE_MARKERS=true
  fi
fi
if [ ! -f "${bundle:-k6/dist/main.js}" ] && [ "$use_docker" = false ]; then
  echo "Building the k6 bundles (node k6/build.mjs)..."
  node k6/build.mjs
fi
mkdir -p "$REPORT_DIR"

echo "testid:    ${TESTID} (profile ${PROFILE}, scenarios ${SCENARIOS:-all}, env ${env_name}, metrics ${METRICS})"
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

# ---- comparison with the profile's baseline (make baseline TESTID=...) ---------------------------------------------
# Reports only, unless COMPARE_GATE=1: then a regression turns a passing run into exit 1 (k6's own failures win).
baseline_file="baselines/${PROFILE}.json"
if [ -f "$baseline_file" ] && [ -f "${REPORT_DIR}/summary.json" ]; then
  echo
  if [ -x node_modules/.bin/tsx ]; then
    compare_status=0
    node_modules/.bin/tsx tools/compare/cli.ts "$baseline_file" "$REPORT_DIR" --out "${REPORT_DIR}/compare" ||
      compare_status=$?
    case "$compare_status" in
      0) echo "compare:   no regression against ${baseline_file}" ;;
      1)
        echo "compare:   REGRESSED against ${baseline_file} (${REPORT_DIR}/compare/compare.html)"
        if [ "${COMPARE_GATE:-0}" = 1 ] && [ "$status" = 0 ]; then status=1; fi
        ;;
      *) echo "compare:   could not compare with ${baseline_file} (exit ${compare_status}; see the line above)" ;;
    esac
  else
    echo "compare:   skipped (run npm ci for tools/compare); baseline ${baseline_file}"
  fi
fi
exit "$status"
