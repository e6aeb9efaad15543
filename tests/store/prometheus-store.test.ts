// The Prometheus store (tools/store/prometheus.ts) against a REAL Prometheus (Debian's 2.42, remote-write receiver
// and native histograms on) fed exactly what k6's experimental-prometheus-rw output pushes (tools/prometheus):
//   - a real harness run of the journeys: every statistic the store gives is k6's exact value computed from the
//     run's own samples (tools/thresholds/arithmetic.ts), or an interval that holds it;
//   - the global-thresholds case of tests/thresholds/global.test.ts (two runners, one testid): the union's p95
//     breaches, runner 1's holds, and runner 0's (295 ms against 300) is undecided at the buckets' resolution — the
//     three exits of `npm run thresholds --store prometheus` (99, 0, 97);
//   - `npm run compare --store prometheus` reads runs from it (aggregate-only).
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { builtinMetrics, customMetrics } from "../../k6/src/metric-catalog";
import { splitKey } from "../../k6/src/reports/summary-data";
import { thresholdTable, thresholdKey } from "../../k6/src/thresholds";
import { fromStore } from "../../tools/compare/run-data";
import {
  createQueryClient,
  createRemoteWriter,
  k6RemoteWriteBatches,
  writeAll,
  type K6Sample,
} from "../../tools/prometheus/index";
import { createPrometheusStore, type RunStore } from "../../tools/store/index";
import { aggregate } from "../../tools/thresholds/arithmetic";
import { evaluateRun } from "../../tools/thresholds/evaluate";
import { recordRun, type MetricSample } from "../dashboards/helpers/journey-samples";
import { findPrometheus, startPrometheus, type RunningPrometheus } from "../prometheus/helpers/prometheus";
import { runCli } from "../support/run-cli";

const PROMETHEUS = findPrometheus();
if (PROMETHEUS === undefined) {
  console.warn(
    "SKIP tests/store/prometheus-store: `prometheus` is not installed (Debian: apt-get install -y prometheus); " +
      "the Prometheus store was NOT checked",
  );
}

const RUN = "store-20261205-run";
const GLOBAL = "store-20261205-global";
const PUSH_MS = 1000;
const STATUS_ROW = thresholdTable().find((r) => thresholdKey(r) === "http_req_duration{endpoint:status}");
const CATALOG = [...builtinMetrics(), ...customMetrics()];

/** Two runners' /status latencies, as tests/thresholds/global.test.ts: 142 + 8 and 105 + 6 (20 ms, 520 ms). */
const RUNNERS = [
  { instance: "0", fast: 142, slow: 8 },
  { instance: "1", fast: 105, slow: 6 },
];

const matches = (tags: Record<string, string>, filter: Record<string, string>): boolean =>
  Object.entries(filter).every(([k, v]) => tags[k] === v);

/** Relative slack for the ms → s → ms round trip of a histogram's bounds and sums. */
const within = (value: number, [low, high]: readonly [number, number]): boolean =>
  value >= low * (1 - 1e-9) - 1e-12 && value <= high * (1 + 1e-9) + 1e-12;

describe.skipIf(PROMETHEUS === undefined)("the Prometheus store against a real Prometheus", () => {
  let prometheus: RunningPrometheus;
  let store: RunStore;
  let samples: MetricSample[];
  let env: Record<string, string>;

  beforeAll(async () => {
    prometheus = await startPrometheus(PROMETHEUS as string);
    const writer = createRemoteWriter({ url: prometheus.url });
    samples = await recordRun(RUN);
    await writeAll(writer, k6RemoteWriteBatches(samples, { pushIntervalMs: PUSH_MS }));
    // The global case, placed a minute ago (Prometheus takes nothing older than its head allows).
    const start = Date.now() - 60_000;
    const global: K6Sample[] = [];
    for (const [r, runner] of RUNNERS.entries()) {
      const values = [
        ...Array.from({ length: runner.fast }, () => 20),
        ...Array.from({ length: runner.slow }, () => 520),
      ];
      values.forEach((value, i) => {
        const tags = { testid: GLOBAL, endpoint: "status", instance_id: runner.instance, scenario: "list_tools" };
        const time = start + i * 100 + r * 7;
        global.push({ metric: "http_req_duration", type: "trend", value, tags, time });
        global.push({ metric: "http_reqs", type: "counter", value: 1, tags, time });
        // Every check passed (k6 judges checks rate>0.99 on every run, and an empty rate fails it).
        global.push({ metric: "checks", type: "rate", value: 1, tags: { ...tags, check: "status is 200" }, time });
      });
    }
    await writeAll(writer, k6RemoteWriteBatches(global, { pushIntervalMs: PUSH_MS }));
    store = createPrometheusStore(createQueryClient({ url: prometheus.url, envFile: null }), {
      pushIntervalMs: PUSH_MS,
    });
    env = {
      METRICS: "prometheus",
      PROMETHEUS_URL: prometheus.url,
      K6_PROMETHEUS_RW_PUSH_INTERVAL: `${PUSH_MS}ms`,
      PROFILE: "smoke",
      SCENARIOS: "list_tools",
      AGENT_ONLY: "true",
      AGENTAPI_URL_TEMPLATE: "http://agent-{agent}.fleet.test",
      AGENTS: "150",
      BASE_URL: "http://agent-1.fleet.test",
    };
  }, 120_000);

  afterAll(async () => {
    await prometheus?.stop();
  });

  it("finds the run: its metrics under k6's names, its span to a push interval", async () => {
    const info = await store.runInfo(RUN);
    const recorded = new Set(samples.map((s) => s.metric).filter((m) => CATALOG.some((c) => c.name === m)));
    expect(info.measurements).toEqual([...recorded].sort());
    const times = samples.map((s) => s.time);
    expect(info.start).toBeGreaterThanOrEqual(Math.floor(Math.min(...times)));
    expect(info.start).toBeLessThanOrEqual(Math.min(...times) + PUSH_MS);
    expect(info.end).toBeLessThanOrEqual(Math.max(...times));
    expect(await store.listTestIds()).toEqual([GLOBAL, RUN].sort());
    await expect(store.runInfo("store-none")).rejects.toThrow(/^unknown testid "store-none": no series in Prometheus/);
  });

  it("gives k6's exact statistics, or an interval that holds them, for every key of the run", async () => {
    const run = await fromStore(store, RUN, RUN);
    let trends = 0;
    let bounded = 0;
    for (const [key, stats] of run.metrics) {
      const { metric, tags } = splitKey(key);
      const values = samples.filter((s) => s.metric === metric && matches(s.tags, tags)).map((s) => s.value);
      if (values.length === 0) continue; // a zero counter the reports add
      const exact = aggregate(stats.type, values, 1000);
      if (stats.type === "trend") {
        trends++;
        expect(stats.values.count, key).toBe(values.length);
        expect(stats.values.avg, key).toBeCloseTo(exact("avg"), 6);
        for (const stat of ["min", "med", "max", "p(90)", "p(95)", "p(99)"]) {
          const bounds = stats.bounds?.[stat];
          expect(bounds, `${key} ${stat}`).toBeDefined();
          expect(
            within(exact(stat), bounds as [number, number]),
            `${key} ${stat}: ${exact(stat)} in ${JSON.stringify(bounds)}`,
          ).toBe(true);
          if (bounds && bounds[0] !== bounds[1]) bounded++;
        }
      } else if (stats.type === "counter") {
        expect(stats.values.count, key).toBeCloseTo(exact("count"), 9);
      } else if (stats.type === "rate") {
        const bounds = stats.bounds?.rate;
        if (bounds)
          expect(within(exact("rate"), bounds), `${key}: ${exact("rate")} in ${JSON.stringify(bounds)}`).toBe(true);
        else expect(stats.values.rate, key).toBeCloseTo(exact("rate"), 12);
      } else {
        // Gauges: the pushes see the value at each flush, so the max read is at most the true one.
        expect(stats.values.max, key).toBeLessThanOrEqual(exact("max"));
      }
    }
    expect(trends).toBeGreaterThan(10);
    expect(bounded).toBeGreaterThan(0);
    expect(run.source).toBe("prometheus");
  });

  it("judges thresholds over every runner: union breached, runner 1 held, runner 0 undecided (295 ms vs 300)", async () => {
    const rows = STATUS_ROW === undefined ? [] : [STATUS_ROW];
    const [union] = await evaluateRun(store, GLOBAL, rows);
    expect(union).toMatchObject({ verdict: "breached", ok: false, samples: 261 });
    expect(union?.bounds?.[0]).toBeGreaterThan(300);
    const [one] = await evaluateRun(store, GLOBAL, rows, { instance: "1" });
    expect(one).toMatchObject({ verdict: "held", ok: true });
    expect(within(270, one?.bounds as [number, number])).toBe(true);
    const [zero] = await evaluateRun(store, GLOBAL, rows, { instance: "0" });
    expect(zero).toMatchObject({ verdict: "undecided", ok: false });
    expect(within(295, zero?.bounds as [number, number])).toBe(true);
  });

  it("npm run thresholds --store prometheus exits 99 breached, 0 held, 97 undecided, 2 for an unknown run", () => {
    const all = runCli("tools/thresholds/cli.ts", ["--testid", GLOBAL], env);
    expect(all.stderr).toBe("");
    expect(all.status).toBe(99);
    expect(all.stdout).toMatch(/FAILED \(all runners of store-20261205-global\)/);
    expect(all.stdout).toMatch(/✗ http_req_duration\{endpoint:status\}\s+p\(95\)<300\s+≈\d+\.\d+, exact in \[/);
    const one = runCli("tools/thresholds/cli.ts", ["--testid", GLOBAL, "--instance", "1"], env);
    expect(one.status, one.stdout).toBe(0);
    expect(one.stdout).toMatch(/PASSED \(runner 1 alone\)/);
    const zero = runCli("tools/thresholds/cli.ts", ["--testid", GLOBAL, "--instance", "0"], env);
    expect(zero.status).toBe(97);
    expect(zero.stdout).toMatch(/UNDECIDED .* 1 undecided at Prometheus at http:\/\/127\.0\.0\.1:\d+'s resolution/);
    expect(zero.stdout).toMatch(/\? http_req_duration\{endpoint:status\}/);
    const unknown = runCli("tools/thresholds/cli.ts", ["--testid", "store-none"], env);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr.trim().split("\n")).toEqual([expect.stringMatching(/^thresholds: unknown testid/)]);
    const bad = runCli("tools/thresholds/cli.ts", ["--testid", GLOBAL, "--store", "graphite"], env);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim()).toBe("thresholds: --store must be influxdb|prometheus|both");
  });

  it("npm run compare reads testids from Prometheus, aggregate-only", () => {
    const list = runCli("tools/compare/cli.ts", ["--list"], env);
    expect(list.status).toBe(0);
    expect(list.stdout.trim().split("\n")).toEqual([GLOBAL, RUN].sort());
    const same = runCli("tools/compare/cli.ts", [RUN, RUN, "--quiet", "--out", `/tmp/${RUN}-compare`], env);
    expect(same.status, same.stderr).toBe(0);
    expect(same.stdout).toMatch(/aggregate-only/);
  });

  it("npm run baseline records a run with no summary.json from Prometheus (a distributed run's case)", () => {
    const dir = mkdtempSync(join(tmpdir(), "baseline-prom-"));
    const made = runCli("tools/compare/baseline.ts", [RUN, "--profile", "smoke", "--dir", dir], env);
    expect(made.status, made.stderr).toBe(0);
    const file = JSON.parse(readFileSync(join(dir, "smoke.json"), "utf8")) as {
      testid: string;
      summary: { metrics: Record<string, { values: Record<string, number> }> };
    };
    expect(file.testid).toBe(RUN);
    const requests = samples.filter((s) => s.metric === "http_reqs").length;
    expect(file.summary.metrics.http_reqs?.values.count).toBe(requests);
    // The baseline then compares with the run itself: nothing regressed.
    const compared = runCli(
      "tools/compare/cli.ts",
      [join(dir, "smoke.json"), RUN, "--quiet", "--out", join(dir, "out")],
      env,
    );
    expect(compared.status, compared.stdout + compared.stderr).toBe(0);
    const unknown = runCli("tools/compare/baseline.ts", ["store-none", "--profile", "smoke", "--dir", dir], env);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr.trim()).toMatch(
      /^baseline: no summary\.json for "store-none" and unknown testid "store-none"/,
    );
  });
});
