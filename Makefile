# agentapi-load: `make up && make load`. Every Docker target checks Docker first and fails with one readable line.
# `make` alone lists the targets.

SHELL := /usr/bin/env bash
.SHELLFLAGS := -e -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

COMPOSE := docker compose
# Host side of Grafana's port (from .env when present, else the default); only used to print links.
GRAFANA_PORT ?= $(or $(shell sed -n 's/^GRAFANA_PORT=//p' .env 2>/dev/null),3001)
GRAFANA_URL := http://localhost:$(GRAFANA_PORT)
PROMETHEUS_PORT ?= $(or $(shell sed -n 's/^PROMETHEUS_PORT=//p' .env 2>/dev/null),9090)

# `make load` knobs (all optional): PROFILE=smoke|local|staging|production, SCENARIOS=a,b, VUS_FACTOR=2,
# TIME_SCALE=0.1 (the profile's shape in a tenth of the time), BASE_URL=http://host.docker.internal:3284 (one
# server; plus OAUTH_BASE_URL/AUTH_URL/MCP_URL, AGENT_ONLY=true), and the fleet: by default each VU gets its own
# agent of the stub's (docker-compose.yml STUB_AGENTS); AGENTS=n, AGENTAPI_URL_TEMPLATE=url-with-{agent},
# AGENTAPI_URLS=u1,u2 (a bigger stub fleet: `make up STUB_AGENTS=n`, then `make load AGENTS=n`). MAX_PROMPTS=n caps
# the run's user prompts; CONFIRM_PROMPTS=yes prompts real agents without one (make exports command-line variables
# to the recipe). The secrets AGENTAPI_TOKEN and AGENTAPI_HEADERS are never written into the recipe: export them or
# put them in .env (git-ignored), where docker compose reads them.
LOAD_FLAGS := $(strip $(if $(METRICS),--metrics $(METRICS)) $(if $(PROFILE),--profile $(PROFILE)) $(if $(SCENARIOS),--scenario $(SCENARIOS)) \
	$(if $(VUS_FACTOR),--vus-factor $(VUS_FACTOR)) $(if $(TIME_SCALE),--time-scale $(TIME_SCALE)) \
	$(if $(BASE_URL),--base-url $(BASE_URL)) $(if $(AGENTAPI_URL_TEMPLATE),--agent-url-template '$(AGENTAPI_URL_TEMPLATE)') \
	$(if $(AGENTS),--agents $(AGENTS)) $(if $(AGENTAPI_URLS),--agent-urls $(AGENTAPI_URLS)) \
	$(if $(MAX_PROMPTS),--max-prompts $(MAX_PROMPTS)) $(if $(AGENTAPI_TRANSPORT),--transport $(AGENTAPI_TRANSPORT)))

# METRICS=influxdb (the default; also when unset or empty) | prometheus | both: where k6 streams. `make up` starts
# Prometheus (compose profile prometheus) for prometheus and both, `make load` passes it to run-tests.sh --metrics,
# `make smoke` hands it to the smoke test's environment. Another value stops with one line (make exits 2).
CHECK_METRICS := case "$(METRICS)" in ""|influxdb|prometheus|both) ;; \
	*) echo "METRICS must be one of: influxdb, prometheus, both (got '$(METRICS)')" >&2; exit 2 ;; esac
COMPOSE_UP := $(strip $(COMPOSE) $(if $(filter prometheus both,$(METRICS)),--profile prometheus) up -d --build --wait)
# down, clean, logs and ps cover every profile that `make up` / `make load` may have started.
COMPOSE_ALL := $(COMPOSE) --profile load --profile prometheus

.PHONY: help up load smoke test down clean logs build ps compare baseline rollup

help: ## list the targets
	@echo "agentapi-load - load tests and live dashboards for AgentAPI"
	@echo
	@echo "usage: make <target> [PROFILE=smoke|local|staging|production] [SCENARIOS=a,b] [VUS_FACTOR=n] [TIME_SCALE=0.1]"
	@echo "                     [BASE_URL=url] [AGENTS=n] [AGENTAPI_URL_TEMPLATE=url-with-{agent}] [AGENTAPI_URLS=u1,u2]"
	@echo "                     [MAX_PROMPTS=n] [CONFIRM_PROMPTS=yes]  (AGENTAPI_TOKEN, AGENTAPI_HEADERS: export or .env)"
	@echo "                     [METRICS=influxdb|prometheus|both]  (up, load, smoke: where k6 streams; default influxdb)"
	@echo
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  %-17s %s\n", $$1, $$2}'

up: ## start InfluxDB, Grafana and the reference target (healthy), creating .env on first use; METRICS=prometheus|both adds Prometheus
	@$(CHECK_METRICS)
	@./scripts/require-docker.sh
	@./scripts/ensure-env.sh
	@$(COMPOSE_UP)
	@echo "Stack is up. Grafana: $(GRAFANA_URL) (dashboard: $(GRAFANA_URL)/d/agentapi-load)"
	@$(if $(filter prometheus both,$(METRICS)),echo "Prometheus (k6 remote-writes here with METRICS=$(METRICS)): http://localhost:$(PROMETHEUS_PORT)",:)

load: ## run the k6 suite in Docker against the stack (MAX_PROMPTS=n: prompt budget); prints this run's dashboard link
	@$(CHECK_METRICS)
	@./scripts/require-stack.sh
	@./run-tests.sh --docker --monitor $(LOAD_FLAGS)

# `make capacity`: one stepped arrival-rate run and a verdict per step (k6/README.md "Capacity search"): the knobs of
# `make load` plus CAPACITY_MAX_RATE=, CAPACITY_STEPS=, CAPACITY_RATES=a,b,c, CAPACITY_STEP_SECONDS=, CAPACITY_MIX=,
# CAPACITY_MAX_VUS= (make exports command-line variables to the recipe, and run-tests.sh hands them to k6). The judged
# steps go onto the stack's Grafana as annotations (--annotate).
capacity: ## how much can it take: one stepped arrival-rate run, then per step the SLO rows from the store; prints the knee
	@$(CHECK_METRICS)
	@./scripts/require-stack.sh
	@npm run --silent capacity -- --annotate

.PHONY: capacity

# `make k8s-load` (k6-operator, README.md "Beyond one machine"): PARALLELISM=4 IMAGE=registry/agentapi-load-k6:tag
# [NAMESPACE=ns] [INFLUXDB_TOKEN=… INFLUXDB_ADDR=url] [GRAFANA_URL=url] plus the run knobs above; exit codes in the script.
k8s-load: ## run the suite on Kubernetes with k6-operator: N runners, one testid; waits, then the global verdict
	@./scripts/k8s-load.sh

.PHONY: k8s-load

compare: ## compare two runs (A=, B=: testid, report folder, summary.json or baselines/<profile>.json); exit 1 on a regression
	@if [ -z "$(A)" ] || [ -z "$(B)" ]; then echo "usage: make compare A=<baseline> B=<candidate> [COMPARE_FLAGS=...]" >&2; exit 2; fi
	@npm run --silent compare -- $(A) $(B) $(COMPARE_FLAGS)

baseline: ## record run TESTID= as its profile's baseline (baselines/<profile>.json); make load then compares with it
	@if [ -z "$(TESTID)" ]; then echo "usage: make baseline TESTID=<testid>" >&2; exit 2; fi
	@npm run --silent baseline -- $(TESTID)

rollup: ## roll run TESTID= up for the dashboard's latency row (runs the stack's rollup service did not see)
	@if [ -z "$(TESTID)" ]; then echo "usage: make rollup TESTID=<testid>" >&2; exit 2; fi
	@npm run --silent rollup -- --testid $(TESTID)

smoke: ## end-to-end smoke test of the whole stack (skips with a reason where Docker cannot run it)
	@$(CHECK_METRICS)
	@npm run smoke

test: ## the project's own test suite (vitest)
	@npm test

build: ## build the k6 bundles, the stub and the rollup, then the Docker images
	@npm run build
	@./scripts/require-docker.sh
	@./scripts/ensure-env.sh
	@$(COMPOSE) --profile load build

ps: ## show the stack's containers and their health
	@./scripts/require-docker.sh
	@if [ -f .env ]; then $(COMPOSE_ALL) ps; else echo "The stack was never started (no .env): run 'make up'."; fi

logs: ## follow the stack's logs (SERVICE=grafana to pick one)
	@./scripts/require-docker.sh
	@if [ -f .env ]; then $(COMPOSE_ALL) logs -f --tail=200 $(SERVICE); else echo "The stack was never started (no .env): run 'make up'."; fi

down: ## stop and remove the stack's containers (data volumes are kept)
	@./scripts/require-docker.sh
	@if [ -f .env ]; then $(COMPOSE_ALL) down --remove-orphans; else echo "The stack was never started (no .env): nothing to stop."; fi

agentapi-install: ## install the pinned coder/agentapi (infra/agentapi-real/agentapi.version) into $(go env GOPATH)/bin
	@./scripts/install-agentapi.sh

agentapi-real: ## the real agentapi + a fake agent on :3284 (AGENTAPI_PORT=, FAKE_AGENT_THINK_MS=, ACP=1); Ctrl-C stops it
	@npm run --silent agentapi:real$(if $(filter-out 0 false no,$(ACP)), -- --acp)

.PHONY: agentapi-install agentapi-real

clean: ## remove containers, volumes, reports and build output (.env is kept)
	@if ./scripts/require-docker.sh 2>/dev/null && [ -f .env ]; then $(COMPOSE_ALL) down --volumes --remove-orphans; \
	else echo "Docker stack skipped (Docker unavailable or never started); removing local files only."; fi
	@npm run clean --silent
	@echo "Removed reports/, k6/dist/ and infra/agentapi-stub/dist/."
