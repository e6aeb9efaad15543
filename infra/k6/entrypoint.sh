#!/bin/sh
# Entry point of the k6 image: one k6 run of the bundled suite, tagged with this run's testid, reports under
# $REPORT_DIR. Extra arguments go to `k6 run` (e.g. `docker compose run --rm k6 --vus 2`).
set -eu

TESTID="${TESTID:-manual}"
REPORT_DIR="${REPORT_DIR:-reports/$TESTID}"
export TESTID REPORT_DIR

# k6 writes the summary files and the web-dashboard export into this folder; it must exist first.
mkdir -p "$REPORT_DIR"

echo "k6: testid=$TESTID profile=${PROFILE:-local} scenarios=${SCENARIOS:-all} reports=$REPORT_DIR"
exec k6 run --tag "testid=$TESTID" "$@" "${K6_SCRIPT:-/opt/agentapi-load/main.js}"
