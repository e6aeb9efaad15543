#!/usr/bin/env bash
# `make k8s-load PARALLELISM=4 IMAGE=registry.example.com/agentapi-load-k6:1.8.1`: one distributed run of the k6
# suite on Kubernetes with k6-operator v1.6.0. Renders the manifests (scripts/k8s-render.ts: a TestRun with
# PARALLELISM runners, its settings and script ConfigMaps, the InfluxDB Secret when INFLUXDB_TOKEN is set, the
# run's AgentAPI credentials Secret when AGENTAPI_TOKEN or AGENTAPI_HEADERS is set), applies them, waits for the
# TestRun to finish, deletes the run's credentials Secret, saves each runner's log under
# reports/<testid>/instance-<k>/, prints the Grafana link for the run's one testid, then gives the run's verdict over
# all runners: `npm run thresholds -- --testid <testid>` (k6-operator judges thresholds on each runner alone).
#
# Knobs (environment or make variables): PARALLELISM (default 4), IMAGE (required), NAMESPACE (default: kubectl's),
# TESTID (default: a fresh one), INFLUXDB_TOKEN (renders the Secret; else it must exist), GRAFANA_URL, K8S_TIMEOUT
# (seconds to wait, default 7200), K8S_POLL_SECONDS (default 10), and every setting k8s-render reads: PROFILE,
# SCENARIOS, VUS_FACTOR, TIME_SCALE, BASE_URL, AGENTAPI_URL_TEMPLATE, AGENTS, AGENTAPI_URLS, OAUTH_BASE_URL,
# AUTH_URL, MCP_URL, AGENT_ONLY, MAX_PROMPTS, CONFIRM_PROMPTS, METRICS (influxdb | prometheus | both),
# K6_PROMETHEUS_RW_SERVER_URL, INFLUXDB_ADDR, INFLUXDB_ORG, INFLUXDB_BUCKET,
# REPORTS_PVC. Secrets (INFLUXDB_TOKEN, AGENTAPI_TOKEN, AGENTAPI_HEADERS) only from the environment; never printed.
# --dry-run: render and print the manifests with every Secret value redacted, touch no cluster (no kubectl needed).
#
# Exit status: 0 the run finished and the global verdict passed; 2 bad usage or configuration (also: the Secret is
# missing, the TestRun exists already); 3 kubectl is not installed; 4 the cluster is unreachable or k6-operator's
# TestRun CRD is not installed; 5 the TestRun ended in stage `error` or a runner failed to run (not a threshold);
# 6 timed out waiting (the run goes on); 7 the global verdict is missing (no `thresholds` script in package.json);
# 1 anything else; otherwise the global verdict's own status (99: thresholds breached, as k6; 97: undecided at
# Prometheus' bucket resolution).
set -euo pipefail
cd "$(dirname "$0")/.."

fail() {
  local code=$1
  shift
  printf 'k8s-load: %s\n' "$*" >&2
  exit "$code"
}

dry_run=false
for arg in "$@"; do
  case "$arg" in
    --dry-run) dry_run=true ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
      exit 0
      ;;
    *) fail 2 "unknown argument '$arg' (use --dry-run or --help)" ;;
  esac
done

export PARALLELISM="${PARALLELISM:-4}"
[[ $PARALLELISM =~ ^[1-9][0-9]*$ ]] || fail 2 "PARALLELISM must be a whole number >= 1 (got '$PARALLELISM')"
[ -n "${IMAGE:-}" ] ||
  fail 2 "IMAGE is not set: push the project's k6 image (README.md, 'Beyond one machine') and pass IMAGE=registry/name:tag"
export IMAGE
timeout_s="${K8S_TIMEOUT:-7200}"
poll_s="${K8S_POLL_SECONDS:-10}"
[[ $timeout_s =~ ^[0-9]+$ ]] || fail 2 "K8S_TIMEOUT must be a number of seconds (got '$timeout_s')"
[[ $poll_s =~ ^[0-9]+$ ]] || fail 2 "K8S_POLL_SECONDS must be a number of seconds (got '$poll_s')"
export TESTID="${TESTID:-$(./scripts/new-testid.sh)}"
grafana_url="${GRAFANA_URL:-http://localhost:3001}"
dashboard_uid=agentapi-load
[ "${METRICS:-}" != prometheus ] || dashboard_uid=agentapi-load-prometheus
dashboard_url="${grafana_url%/}/d/${dashboard_uid}?var-testid=${TESTID}"
secret_name=agentapi-load-influxdb

kube=(kubectl --request-timeout=30s)
if [ -n "${NAMESPACE:-}" ]; then
  export NAMESPACE
  kube+=(--namespace "$NAMESPACE")
fi

if [ "$dry_run" = false ]; then
  command -v kubectl >/dev/null 2>&1 ||
    fail 3 "kubectl is not installed: install it (https://kubernetes.io/docs/tasks/tools/) and point it at the cluster"
  if ! crd_err=$("${kube[@]}" get crd testruns.k6.io -o name 2>&1 >/dev/null); then
    reason=$(printf '%s' "$crd_err" | grep -v '^\s*$' | tail -n 1 | cut -c1-160 || true)
    case "$crd_err" in
      *NotFound* | *"not found"*)
        fail 4 "k6-operator is not installed (no TestRun CRD testruns.k6.io): install k6-operator v1.6.0 (README.md)" ;;
      *) fail 4 "the cluster is unreachable (${reason:-no answer}): check kubectl's context" ;;
    esac
  fi
  # METRICS=prometheus writes no InfluxDB sample: its Secret is optional then (k8s-render marks it so).
  if [ -z "${INFLUXDB_TOKEN:-}" ] && [ "${METRICS:-}" != prometheus ] && ! "${kube[@]}" get secret "$secret_name" -o name >/dev/null 2>&1; then
    fail 2 "Secret $secret_name is missing: set INFLUXDB_TOKEN, or kubectl create secret generic $secret_name --from-literal=K6_INFLUXDB_TOKEN=<token>"
  fi
fi

# ---- render ---------------------------------------------------------------------------------------------------------
if [ ! -f k6/dist/main.js ]; then
  echo "Building the k6 bundles (node k6/build.mjs)..."
  node k6/build.mjs
fi
manifest=$(mktemp "${TMPDIR:-/tmp}/agentapi-load-k8s.XXXXXX")
trap 'rm -f "$manifest"' EXIT
render_status=0
render_args=(--out "$manifest")
# What is printed never holds a secret's value: the dry run's manifests are for reading.
[ "$dry_run" = false ] || render_args+=(--redact)
node --import tsx scripts/k8s-render.ts "${render_args[@]}" || render_status=$?
case "$render_status" in
  0) ;;
  2) exit 2 ;;
  *) fail 1 "rendering the manifests failed (exit $render_status)" ;;
esac
name=$(sed -n 's/^# Rendered by scripts\/k8s-render\.ts: TestRun \([a-z0-9-]*\),.*/\1/p' "$manifest")
label=$(sed -n 's/^ *agentapi-load\/testid: *//p' "$manifest" | head -n 1)
[ -n "$name" ] || fail 1 "the rendered manifests name no TestRun"
credentials_secret=$(sed -n 's/^# AgentAPI credentials: Secret \([a-z0-9-]*\) .*/\1/p' "$manifest")

if [ "$dry_run" = true ]; then
  cat "$manifest"
  exit 0
fi

# ---- apply ----------------------------------------------------------------------------------------------------------
if "${kube[@]}" get testrun "$name" -o name >/dev/null 2>&1; then
  fail 2 "TestRun $name exists already (testid $TESTID was used): delete it, or run with another TESTID"
fi
# Server-side: the script ConfigMap is too big for client-side apply's last-applied annotation.
"${kube[@]}" apply --server-side --field-manager=agentapi-load -f "$manifest" >/dev/null ||
  fail 1 "kubectl apply failed (see above)"
echo "testid:    ${TESTID} (TestRun ${name}, ${PARALLELISM} runner(s))"
echo "watch:     ${dashboard_url}"

# ---- wait -----------------------------------------------------------------------------------------------------------
started=$SECONDS
stage=""
while :; do
  now=$("${kube[@]}" get testrun "$name" -o 'jsonpath={.status.stage}' 2>/dev/null || true)
  if [ "$now" != "$stage" ] && [ -n "$now" ]; then
    echo "stage:     ${now} (after $((SECONDS - started)) s)"
    stage=$now
  fi
  case "$stage" in finished | error) break ;; esac
  if [ $((SECONDS - started)) -ge "$timeout_s" ]; then
    fail 6 "TestRun $name is still '${stage:-pending}' after ${timeout_s} s; it goes on: kubectl get testrun $name"
  fi
  sleep "$poll_s"
done

# The runners read their credentials when they started: the run's Secret need not outlive it.
if [ -n "$credentials_secret" ]; then
  "${kube[@]}" delete secret "$credentials_secret" --ignore-not-found >/dev/null 2>&1 ||
    echo "k8s-load: could not delete Secret ${credentials_secret}: kubectl delete secret ${credentials_secret}" >&2
fi

# ---- each runner: its log (the text summary) and its exit status ----------------------------------------------------
broken=0
for k in $(seq 1 "$PARALLELISM"); do
  if [ "$PARALLELISM" -eq 1 ]; then dir="reports/${TESTID}"; else dir="reports/${TESTID}/instance-${k}"; fi
  mkdir -p "$dir"
  "${kube[@]}" logs "job/${name}-${k}" -c k6 >"${dir}/k6.log" 2>/dev/null || echo "(no log: the runner pod is gone)" >"${dir}/k6.log"
  code=$("${kube[@]}" get pods -l "job-name=${name}-${k}" \
    -o 'jsonpath={.items[0].status.containerStatuses[0].state.terminated.exitCode}' 2>/dev/null || true)
  case "$code" in
    0) note="passed its own thresholds" ;;
    99) note="breached its own thresholds (one runner's share; the global verdict decides)" ;;
    *)
      note="did not run to the end (exit ${code:-unknown})"
      broken=$((broken + 1))
      ;;
  esac
  echo "runner ${k}:  ${note}; log ${dir}/k6.log"
done

echo
echo "testid:    ${TESTID}"
echo "dashboard: ${dashboard_url}"
echo "clean up:  kubectl delete testrun,configmap,secret -l agentapi-load/testid=${label}${NAMESPACE:+ -n ${NAMESPACE}}"
[ "$stage" = error ] && fail 5 "TestRun $name ended in stage 'error': kubectl describe testrun $name"
[ "$broken" -eq 0 ] || fail 5 "${broken} runner(s) did not run to the end: see their logs"

# ---- HOOK: the global verdict over every runner's points of this testid (the METRICS store: InfluxDB, or Prometheus
# at PROMETHEUS_URL with METRICS=prometheus; tools/store/README.md) -------------------------------------------------
if [ "$(npm pkg get scripts.thresholds 2>/dev/null || echo '{}')" = "{}" ]; then
  fail 7 "global verdict unavailable: package.json has no 'thresholds' script (npm run thresholds -- --testid ${TESTID})"
fi
verdict=0
npm run --silent thresholds -- --testid "$TESTID" || verdict=$?
case "$verdict" in
  0) echo "result:    passed (global thresholds over ${PARALLELISM} runner(s))" ;;
  97) echo "result:    undecided at Prometheus' bucket resolution (exit 97; METRICS=both keeps InfluxDB's exact samples)" ;;
  *) echo "result:    global verdict failed (exit ${verdict})" ;;
esac
exit "$verdict"
