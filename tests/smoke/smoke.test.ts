// `make smoke`: the whole stack end to end. Brings up influxdb, grafana, rollup and agentapi-stub from
// docker-compose.yml (testcontainers' DockerComposeEnvironment, waiting on their healthchecks), runs the k6 service
// once with PROFILE=smoke and a fresh testid (docker-compose), then checks that the run passed, that InfluxDB holds
// its points for http_reqs and every custom metric, that the rollup followed it, and that Grafana serves the
// datasource, the dashboard and data for every panel query. It uses its own compose project and free host ports, so
// it never touches a `make up` stack.
//
// METRICS (what `make smoke METRICS=…` passes; default both) says where the run streams: with prometheus or both
// the prometheus service is up too, k6 adds `--out experimental-prometheus-rw`, and the suite checks that Prometheus
// holds the run's requests and its latency histogram, that Grafana's Prometheus datasource answers, and that
// `npm run thresholds --store prometheus` judges the run from it.
//
// Where Docker cannot do this (no CLI, no daemon, no Compose v2, images that cannot be pulled or built) the suite
// SKIPS and prints why. SMOKE_REQUIRE_DOCKER=1 (set on CI's Docker runner) turns every such skip into a failure.
import { randomBytes } from "node:crypto";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as compose from "docker-compose";
import type { StartedDockerComposeEnvironment } from "testcontainers";
import { afterAll, beforeAll, describe, expect, it, type TestContext } from "vitest";
import { customMetrics } from "../../k6/src/metric-catalog";
import { loadCommittedDashboard, panelTargets } from "../dashboards/helpers/dashboard-model";
import { interpolateVariables, type TemplateVariable } from "../dashboards/helpers/grafana-macros";
import { ROOT } from "../stack/repo";
import { DOWNLOAD_FAILURE, lastLine, probeDocker, stackImages } from "./docker-probe";
import { countPoints, queryNumber, freePort, GrafanaClient } from "./stack-clients";
import { waitFor } from "../support/wait";

const REQUIRE_DOCKER = process.env.SMOKE_REQUIRE_DOCKER === "1";
const DASHBOARD_UID = "agentapi-load";
const DATASOURCE_UID = "influxdb-k6";
const METRICS = process.env.METRICS || "both";
const WITH_PROMETHEUS = METRICS === "prometheus" || METRICS === "both";
const WITH_INFLUXDB = METRICS !== "prometheus";
const PROM_DATASOURCE_UID = "prometheus-k6";
/** What selects the run's threshold rows (tools/thresholds reads them as the run did). */
const SMOKE_RUN_SETTINGS = {
  PROFILE: "smoke",
  SCENARIOS: "",
  VUS_FACTOR: "1",
  AGENT_ONLY: "false",
  BASE_URL: "http://agentapi-stub:3284",
};
const PROM_DASHBOARD_UID = "agentapi-load-prometheus";
const STACK_SERVICES = ["influxdb", "grafana", "rollup", "agentapi-stub", ...(WITH_PROMETHEUS ? ["prometheus"] : [])];
/** The run's outputs as run-tests.sh --metrics gives them (a command-line --out replaces the service's K6_OUT). */
const K6_OUT_ARGS =
  METRICS === "prometheus"
    ? ["--out", "experimental-prometheus-rw"]
    : METRICS === "both"
      ? ["--out", "xk6-influxdb=http://influxdb:8086", "--out", "experimental-prometheus-rw"]
      : [];

// Without the requirement, images are probed with one bounded pull; with it, compose pulls and a failure fails.
const probe = await probeDocker(stackImages(ROOT), REQUIRE_DOCKER ? 0 : 20_000);
if (!probe.ok) {
  console.warn(
    `SKIP tests/smoke: ${probe.reason}; the Docker stack was NOT exercised` +
      (REQUIRE_DOCKER ? " (SMOKE_REQUIRE_DOCKER=1, so the suite fails instead)" : ""),
  );
}

/** Everything an error says: its message plus any captured output (compose errors carry stderr/err/out). */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return typeof error === "string" ? error : JSON.stringify(error);
  const extra = error as Error & Record<string, unknown>;
  const streams = ["stderr", "stdout", "err", "out"].map((key) => extra[key]).filter((v) => typeof v === "string");
  return [error.message, ...streams].join("\n");
}

/** A fresh k6 testid in scripts/new-testid.sh's format, so it also sorts as the dashboard's newest run. */
const TESTID = execFileSync("./scripts/new-testid.sh", { cwd: ROOT, encoding: "utf8" }).trim();
const PROJECT = `agentapi-load-smoke-${randomBytes(3).toString("hex")}`;
const SECRETS = {
  INFLUXDB_TOKEN: randomBytes(32).toString("hex"),
  INFLUXDB_ADMIN_PASSWORD: randomBytes(16).toString("hex"),
  GRAFANA_ADMIN_PASSWORD: randomBytes(16).toString("hex"),
};

describe("smoke: the Docker stack end to end", () => {
  let counted = 0;
  const promRequests = `k6_http_reqs_total{testid="${TESTID}"}`;
  /** One number from Prometheus' query API (NaN when the result is empty). */
  async function promNumber(promql: string): Promise<number> {
    const res = await fetch(`http://127.0.0.1:${ports.prometheus}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await res.json()) as { data?: { result?: Array<{ value?: [number, string] }> } };
    return Number(body.data?.result?.[0]?.value?.[1] ?? NaN);
  }
  let skipReason: string | undefined = probe.ok ? undefined : probe.reason;
  let stack: StartedDockerComposeEnvironment | undefined;
  let composeTouched = false;
  let composeEnv: NodeJS.ProcessEnv = {};
  let ports = { influxdb: 0, grafana: 0, prometheus: 0, agentapi: 0, broker: 0 };
  let k6: { exitCode: number | null; output: string } | undefined;
  let runStartedAt = 0;
  let runEndedAt = 0;

  /** Skips (with the reason) when the stack could not run here, or fails when Docker is required. */
  function needsStack(ctx: TestContext): void {
    if (skipReason === undefined) return;
    if (REQUIRE_DOCKER) throw new Error(`SMOKE_REQUIRE_DOCKER=1 but ${skipReason}`);
    ctx.skip(skipReason);
  }

  /** A compose/build failure that only means "could not download" becomes a skip; anything else is a failure. */
  function skipIfDownloadFailure(step: string, output: string): boolean {
    if (REQUIRE_DOCKER || !DOWNLOAD_FAILURE.test(output)) return false;
    skipReason = `images cannot be pulled or built while ${step} (${lastLine(output)})`;
    console.warn(`SKIP tests/smoke: ${skipReason}; the Docker stack was NOT exercised`);
    return true;
  }

  beforeAll(async () => {
    if (skipReason !== undefined) return;
    ports = {
      influxdb: await freePort(),
      grafana: await freePort(),
      prometheus: await freePort(),
      agentapi: await freePort(),
      broker: await freePort(),
    };
    const settings = {
      ...SECRETS,
      INFLUXDB_ORG: "agentapi-load",
      INFLUXDB_PORT: String(ports.influxdb),
      GRAFANA_PORT: String(ports.grafana),
      PROMETHEUS_PORT: String(ports.prometheus),
      AGENTAPI_PORT: String(ports.agentapi),
      BROKER_PORT: String(ports.broker),
      STUB_THINK_MS: "50-150",
    };
    // The run's knobs are stated explicitly: the parent environment (vitest sets BASE_URL=/) must not leak in.
    const runKnobs = {
      TESTID,
      ...SMOKE_RUN_SETTINGS,
      OAUTH_BASE_URL: "http://agentapi-stub:3000/api/mcp/oauth",
      AUTH_URL: "http://agentapi-stub:3000/api/auth/token",
      MCP_URL: "http://agentapi-stub:3000/mcp",
      HOST_UID: String(process.getuid?.() ?? 12345),
      HOST_GID: String(process.getgid?.() ?? 12345),
    };
    composeEnv = { ...process.env, ...settings, ...runKnobs };

    // Testcontainers' Ryuk sidecar would be one more image to pull; this suite tears its project down itself.
    process.env.TESTCONTAINERS_RYUK_DISABLED ??= "true";
    const { DockerComposeEnvironment, Wait } = await import("testcontainers");
    composeTouched = true;
    try {
      stack = await new DockerComposeEnvironment(ROOT, "docker-compose.yml")
        .withProjectName(PROJECT)
        .withProfiles(...(WITH_PROMETHEUS ? ["prometheus"] : []))
        .withEnvironment({ ...settings, ...runKnobs })
        .withBuild()
        .withDefaultWaitStrategy(Wait.forHealthCheck())
        .withStartupTimeout(180_000)
        .up(STACK_SERVICES);
    } catch (error) {
      const output = describeError(error);
      if (skipIfDownloadFailure("starting influxdb, grafana, rollup and agentapi-stub", output)) return;
      throw error;
    }

    // The k6 container writes ./reports as this user; the folder must exist first or Docker creates it as root.
    mkdirSync(join(ROOT, "reports"), { recursive: true });
    runStartedAt = Date.now();
    const options = {
      cwd: ROOT,
      config: "docker-compose.yml",
      composeOptions: ["--project-name", PROJECT, "--profile", "load", "--profile", "prometheus"],
      commandOptions: ["--rm", "--build"],
      env: composeEnv,
    };
    // docker-compose rejects with its result on a non-zero exit, or with an Error when docker cannot be spawned.
    const result = await compose
      .run("k6", K6_OUT_ARGS, options)
      .catch((failure: unknown): compose.IDockerComposeResult =>
        failure instanceof Error
          ? { exitCode: null, out: "", err: describeError(failure), truncated: { out: false, err: false } }
          : (failure as compose.IDockerComposeResult),
      );
    runEndedAt = Date.now();
    k6 = { exitCode: result.exitCode, output: `${result.out}\n${result.err}` };
    if (k6.exitCode !== 0 && skipIfDownloadFailure("building the k6 image", k6.output)) return;
    if (k6.exitCode !== 0 && k6.exitCode !== 99) return;
    // k6 stops its outputs (a last flush) before it exits; wait until InfluxDB holds every request k6 counted
    // (summary.json's http_reqs), so the tests below read the whole run, not the part that had landed.
    const summary = JSON.parse(readFileSync(join(ROOT, "reports", TESTID, "summary.json"), "utf8")) as {
      metrics: { http_reqs?: { values: { count: number } } };
    };
    counted = summary.metrics.http_reqs?.values.count ?? 0;
    const influx = { url: `http://127.0.0.1:${ports.influxdb}`, token: SECRETS.INFLUXDB_TOKEN, database: "k6" };
    if (WITH_INFLUXDB) {
      await waitFor(
        async () => ((await countPoints(influx, "http_reqs", TESTID)) >= counted ? true : undefined),
        30_000,
        500,
        () => `InfluxDB holding the run's ${counted} http_reqs points`,
      );
    }
    if (WITH_PROMETHEUS) {
      // k6 pushes a last time when it stops; wait until Prometheus' request total is summary.json's.
      await waitFor(
        async () => ((await promNumber(`sum(last_over_time(${promRequests}[1h]))`)) >= counted ? true : undefined),
        30_000,
        500,
        () => `Prometheus holding the run's ${counted} requests`,
      );
    }
  }, 30 * 60_000);

  afterAll(async () => {
    if (!composeTouched) return;
    await stack?.down({ removeVolumes: true }).catch(() => undefined);
    // Also whatever a failed `up` or the k6 run left behind in this project (containers, network, volumes).
    await compose
      .down({
        cwd: ROOT,
        config: "docker-compose.yml",
        composeOptions: ["--project-name", PROJECT, "--profile", "load", "--profile", "prometheus"],
        commandOptions: ["--volumes", "--remove-orphans"],
        env: composeEnv,
      })
      .catch(() => undefined);
  }, 5 * 60_000);

  it("the k6 service runs PROFILE=smoke against the stack and exits 0", (ctx) => {
    needsStack(ctx);
    expect(k6?.exitCode, k6?.output.slice(-4000)).toBe(0);
    expect(k6?.output).toContain(`testid=${TESTID}`);
  });

  it.skipIf(!WITH_INFLUXDB)(
    "InfluxDB holds points for this testid for http_reqs and every custom metric",
    async (ctx) => {
      needsStack(ctx);
      const influx = { url: `http://127.0.0.1:${ports.influxdb}`, token: SECRETS.INFLUXDB_TOKEN, database: "k6" };
      const measurements = ["http_reqs", ...customMetrics().map((metric) => metric.name)];
      const counts = Object.fromEntries(
        await Promise.all(measurements.map(async (name) => [name, await countPoints(influx, name, TESTID)] as const)),
      );
      expect(Object.keys(counts)).toHaveLength(measurements.length);
      expect(
        measurements.filter((name) => !(counts[name]! > 0)),
        JSON.stringify(counts),
      ).toEqual([]);
      // And nothing under a testid that was never run: the filter really filters.
      expect(await countPoints(influx, "http_reqs", `${TESTID}-none`)).toBe(0);
    },
  );

  it.skipIf(!WITH_INFLUXDB)(
    "the rollup service rolled the run up: its All rows count every http_req_duration{kind:call} sample",
    async (ctx) => {
      needsStack(ctx);
      const influx = { url: `http://127.0.0.1:${ports.influxdb}`, token: SECRETS.INFLUXDB_TOKEN, database: "k6" };
      const raw = await queryNumber(
        influx,
        `SELECT count("value") FROM "http_req_duration" WHERE "testid" = '${TESTID}' AND "kind" = 'call'`,
      );
      expect(raw).toBeGreaterThan(0);
      // It follows live, every 5 s: wait for its ticks after k6's last flush to have counted every sample.
      let rolled = 0;
      await waitFor(
        async () => {
          rolled = await queryNumber(
            influx,
            `SELECT sum("count") FROM "rollup_http_req_duration" WHERE "testid" = '${TESTID}' AND "scenario" = 'All' AND "endpoint" = 'All'`,
          );
          return rolled === raw ? true : undefined;
        },
        30_000,
        1_000,
        () => `the rollup counting ${raw} samples (${rolled} so far)`,
      ).catch(() => undefined);
      expect(rolled).toBe(raw);
    },
  );

  it("Grafana's InfluxDB datasource reports healthy and the dashboard exists by uid", async (ctx) => {
    needsStack(ctx);
    const grafana = new GrafanaClient(`http://127.0.0.1:${ports.grafana}`, "admin", SECRETS.GRAFANA_ADMIN_PASSWORD);
    const health = await grafana.datasourceHealth(DATASOURCE_UID);
    expect(health.status, JSON.stringify(health.body)).toBe(200);
    expect(health.body.status).toBe("OK");
    const dashboard = await grafana.dashboard(DASHBOARD_UID);
    expect(dashboard.status).toBe(200);
    expect(dashboard.body.dashboard?.uid).toBe(DASHBOARD_UID);
  });

  it.skipIf(!WITH_INFLUXDB)(
    "every panel query returns data for this testid through Grafana's /api/ds/query",
    async (ctx) => {
      needsStack(ctx);
      const grafana = new GrafanaClient(`http://127.0.0.1:${ports.grafana}`, "admin", SECRETS.GRAFANA_ADMIN_PASSWORD);
      const dashboard = loadCommittedDashboard();
      // The frontend's part of the expansion (template variables): this run, and "All" for the others.
      const variables: TemplateVariable[] = dashboard.templating.list.map((variable) => ({
        name: variable.name,
        multi: variable.multi === true,
        includeAll: variable.includeAll === true,
        allValue: variable.allValue ?? null,
        options: variable.name === "testid" ? [TESTID] : [],
        current: variable.name === "testid" ? TESTID : "$__all",
      }));
      const range = { fromMs: runStartedAt - 60_000, toMs: runEndedAt + 60_000 };
      const targets = panelTargets(dashboard);
      expect(targets.length).toBeGreaterThan(20);
      const problems: string[] = [];
      for (const { target, label } of targets) {
        const result = await grafana.query(
          {
            refId: target.refId ?? "A",
            datasourceUid: target.datasource?.uid ?? DATASOURCE_UID,
            query: interpolateVariables(target.query ?? "", variables),
          },
          range,
        );
        if (result.status !== 200 || result.error)
          problems.push(`${label}: HTTP ${result.status} ${result.error ?? ""}`);
        else if (result.nonNullValues === 0) problems.push(`${label}: no data`);
      }
      expect(problems).toEqual([]);
    },
  );

  it.skipIf(!WITH_PROMETHEUS)(
    "Prometheus holds the run: k6's request total and latency histogram count equal summary.json's",
    async (ctx) => {
      needsStack(ctx);
      const summary = JSON.parse(readFileSync(join(ROOT, "reports", TESTID, "summary.json"), "utf8")) as {
        metrics: { http_req_duration?: { values: { count?: number } } };
      };
      expect(await promNumber(`sum(last_over_time(${promRequests}[1h]))`)).toBe(counted);
      // Trends arrive as native histograms (K6_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM): their count is exact.
      const durations = await promNumber(
        `sum(histogram_count(last_over_time(k6_http_req_duration_seconds{testid="${TESTID}"}[1h])))`,
      );
      expect(durations).toBe(counted);
      expect(summary.metrics.http_req_duration?.values.count ?? counted).toBe(counted);
      expect(await promNumber(`sum(last_over_time(k6_http_reqs_total{testid="${TESTID}-none"}[1h]))`)).toBeNaN();
    },
  );

  it.skipIf(!WITH_PROMETHEUS)(
    "Grafana's Prometheus datasource is healthy and the PromQL dashboard exists",
    async (ctx) => {
      needsStack(ctx);
      const grafana = new GrafanaClient(`http://127.0.0.1:${ports.grafana}`, "admin", SECRETS.GRAFANA_ADMIN_PASSWORD);
      const health = await grafana.datasourceHealth(PROM_DATASOURCE_UID);
      expect(health.status, JSON.stringify(health.body)).toBe(200);
      expect(health.body.status).toBe("OK");
      const dashboard = await grafana.dashboard(PROM_DASHBOARD_UID);
      expect(dashboard.status).toBe(200);
    },
  );

  it.skipIf(!WITH_PROMETHEUS)("npm run thresholds --store prometheus judges the run from Prometheus", (ctx) => {
    needsStack(ctx);
    const result = spawnSync(
      join(ROOT, "node_modules", ".bin", "tsx"),
      [join(ROOT, "tools", "thresholds", "cli.ts"), "--testid", TESTID, "--store", "prometheus"],
      {
        cwd: ROOT,
        encoding: "utf8",
        env: { ...process.env, ...SMOKE_RUN_SETTINGS, PROMETHEUS_URL: `http://127.0.0.1:${ports.prometheus}` },
      },
    );
    // 0 held, 97 undecided at the buckets' resolution; never 99 on a run k6 itself passed, never 2.
    expect([0, 97], result.stdout + result.stderr).toContain(result.status);
    expect(result.stdout).toMatch(/thresholds met/);
  });
});
