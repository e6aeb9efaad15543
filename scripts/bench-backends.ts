// `npm run bench:backends`: the same long runs in both metrics stores, every panel of the load and the compare
// dashboard timed on each, side by side. Starts a real InfluxDB 1.x (Debian's influxd) and a real Prometheus
// (Debian's, remote-write receiver and native histograms on), writes two 20-minute full `local` runs
// (tests/dashboards/helpers/long-run.ts: 5.0 M points each by default, the measured size of a real run) into
// InfluxDB as xk6-output-influxdb writes them (then the rollup and each run's summary rows, as the stack's rollup
// service would) and into
// Prometheus as k6's experimental-prometheus-rw output pushes them (tools/prometheus: a native histogram per trend
// series, a point per series every 5 s), then runs each panel's query as Grafana sends it (20-minute range, the
// newer run, scenario/endpoint All; compare: A = the older run, B = the newer) 3 times and prints the medians.
// Goals: InfluxQL panels ≤ 300 ms and each dashboard ≤ 1.5 s; PromQL panels ≤ 100 ms and each dashboard ≤ 0.5 s.
//
//   npm run bench:backends
//   BENCH_POINTS=1000000 npm run bench:backends        # smaller runs of the same shape
//   BENCH_INFLUX_COMPARE=old.json npm run bench:backends  # time another InfluxQL compare dashboard (before/after)
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { INFLUX_DATABASE, INFLUX_RETENTION_POLICY } from "../infra/grafana/src/datasource";
import {
  COMPARE_DASHBOARD_FILE,
  DASHBOARD_FILE,
  PROM_COMPARE_DASHBOARD_FILE,
  PROM_DASHBOARD_FILE,
} from "../infra/grafana/src/paths";
import { panelTargets, type DashboardJson } from "../tests/dashboards/helpers/dashboard-model";
import { expandQuery } from "../tests/dashboards/helpers/grafana-macros";
import { findInfluxd, startInfluxd, type RunningInfluxd } from "../tests/dashboards/helpers/influxd";
import { recordRun } from "../tests/dashboards/helpers/journey-samples";
import { withAgentSamples } from "../tests/dashboards/helpers/agent-samples";
import { REAL_RUN_POINTS, writeLongRun, writeLongRunTo, LONG_RUN_SECONDS } from "../tests/dashboards/helpers/long-run";
import { DATASOURCE_MIN_INTERVAL, PANEL_WIDTH_PX } from "../tests/dashboards/helpers/panel-timing";
import {
  promPanelTargets,
  promRequest,
  promTemplateVariables,
  type PromQueryContext,
} from "../tests/dashboards/helpers/prometheus-macros";
import { resolveVariables } from "../tests/dashboards/helpers/resolve-variables";
import { findPrometheus, startPrometheus, type RunningPrometheus } from "../tests/prometheus/helpers/prometheus";
import { createInfluxReader, createInfluxWriter } from "../tools/influx/index";
import {
  createQueryClient,
  createRemoteWriter,
  encodeWriteRequest,
  K6RemoteWriteOutput,
  snappyCompress,
  type PromQueryClient,
  type RemoteWriteBatch,
} from "../tools/prometheus/index";
import { rollupRange } from "../tools/rollup/rollup";
import { summarizeRun } from "../tools/rollup/summary";

const GOALS = { influxql: { panel: 300, whole: 1500 }, promql: { panel: 100, whole: 500 } } as const;
const PUSH_MS = 5000;
const REPEAT = 3;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function timed(run: () => Promise<unknown>): Promise<number> {
  const runs: number[] = [];
  for (let i = 0; i < REPEAT; i++) {
    const t0 = performance.now();
    await run();
    runs.push(performance.now() - t0);
  }
  return median(runs);
}

/** Per panel title: the sum of its targets' medians (a panel waits for all its queries). */
type PanelTimes = Map<string, number>;

async function timeInfluxDashboard(
  influx: RunningInfluxd,
  dashboard: DashboardJson,
  range: { fromMs: number; toMs: number },
  overrides: Record<string, string>,
): Promise<PanelTimes> {
  const run = (q: string) => influx.query(q, INFLUX_DATABASE);
  const variables = await resolveVariables(run, dashboard, overrides);
  const times: PanelTimes = new Map();
  for (const target of panelTargets(dashboard)) {
    const panelMin = (target.panel as { interval?: string }).interval;
    const query = expandQuery(target.target.query ?? "", {
      ...range,
      maxDataPoints: PANEL_WIDTH_PX,
      minInterval: panelMin ?? DATASOURCE_MIN_INTERVAL,
      variables,
    });
    await run(query); // warm-up
    const title = target.panel.title ?? "?";
    times.set(title, (times.get(title) ?? 0) + (await timed(() => run(query))));
  }
  return times;
}

async function timePromDashboard(
  promql: PromQueryClient,
  dashboard: DashboardJson,
  range: { fromMs: number; toMs: number },
  selections: Record<string, string>,
): Promise<PanelTimes> {
  const ctx: PromQueryContext = {
    ...range,
    maxDataPoints: PANEL_WIDTH_PX,
    scrapeInterval: "5s",
    variables: promTemplateVariables(dashboard, selections),
  };
  const times: PanelTimes = new Map();
  for (const target of promPanelTargets(dashboard)) {
    const request = promRequest(target, ctx);
    const run = () =>
      request.instant
        ? promql.vector(request.expr, { timeMs: request.end * 1000 })
        : promql.queryRange(request.expr, {
            startMs: request.start * 1000,
            endMs: request.end * 1000,
            stepMs: request.step * 1000,
          });
    await run(); // warm-up
    const title = target.panel.title ?? "?";
    times.set(title, (times.get(title) ?? 0) + (await timed(run)));
  }
  return times;
}

function sideBySide(name: string, influx: PanelTimes, prom: PanelTimes): void {
  const titles = [...new Set([...influx.keys(), ...prom.keys()])];
  const total = (m: PanelTimes) => [...m.values()].reduce((a, b) => a + b, 0);
  const cell = (ms: number | undefined, goal: number) =>
    ms === undefined ? "—".padStart(9) : `${ms.toFixed(0).padStart(7)}${ms > goal ? " !" : "  "}`;
  console.log(`\n${name}: per panel, median of ${REPEAT} (ms; ! over the panel goal)`);
  console.log(`  ${"panel".padEnd(52)} ${"InfluxQL".padStart(9)} ${"PromQL".padStart(9)}`);
  const rows = titles.sort(
    (a, b) => Math.max(influx.get(b) ?? 0, prom.get(b) ?? 0) - Math.max(influx.get(a) ?? 0, prom.get(a) ?? 0),
  );
  for (const t of rows) {
    console.log(
      `  ${t.slice(0, 52).padEnd(52)} ${cell(influx.get(t), GOALS.influxql.panel)} ${cell(prom.get(t), GOALS.promql.panel)}`,
    );
  }
  const slowest = (m: PanelTimes) => Math.max(0, ...m.values());
  console.log(
    `  whole: InfluxQL ${total(influx).toFixed(0)} ms (goal ≤ ${GOALS.influxql.whole}), slowest ${slowest(influx).toFixed(0)} ms; ` +
      `PromQL ${total(prom).toFixed(0)} ms (goal ≤ ${GOALS.promql.whole}), slowest ${slowest(prom).toFixed(0)} ms`,
  );
}

const du = (dir: string): number => Number(execFileSync("du", ["-sb", dir], { encoding: "utf8" }).split("\t")[0]);

async function main(): Promise<void> {
  const influxd = findInfluxd();
  const prometheusBin = findPrometheus();
  if (influxd === undefined) throw new Error("influxd is not installed (Debian: apt-get install -y influxdb)");
  if (prometheusBin === undefined)
    throw new Error("prometheus is not installed (Debian: apt-get install -y prometheus)");
  const points = Number(process.env.BENCH_POINTS ?? REAL_RUN_POINTS);
  const influx = await startInfluxd(influxd);
  let prometheus: RunningPrometheus | undefined;
  try {
    prometheus = await startPrometheus(prometheusBin);
    await influx.query(`CREATE DATABASE "${INFLUX_DATABASE}" WITH NAME "${INFLUX_RETENTION_POLICY}"`);
    // Two runs, 5 minutes apart, ending 5 minutes ago (Prometheus takes points within an hour of its newest).
    const runMs = LONG_RUN_SECONDS * 1000;
    const newerStart = Math.floor(Date.now() / 1000) * 1000 - runMs - 5 * 60_000;
    const runs = [
      { testid: "20261205-010000-a0a0", startMs: newerStart - runMs - 5 * 60_000 },
      { testid: "20261205-013000-b0b0", startMs: newerStart },
    ];
    const writer = createRemoteWriter({ url: prometheus.url, timeoutMs: 60_000 });
    let requests = 0;
    let bytes = 0;
    let samples = 0;
    let influxPoints = 0;
    let influxSeries = 0;
    for (const run of runs) {
      const harness = withAgentSamples(await recordRun(run.testid), run.testid);
      const stats = await writeLongRun(influx, harness, {
        testid: run.testid,
        startMs: run.startMs,
        points,
        db: INFLUX_DATABASE,
        rp: INFLUX_RETENTION_POLICY,
      });
      influxPoints += stats.points;
      influxSeries = Math.max(influxSeries, stats.series);
      const reader = createInfluxReader({ url: influx.url, envFile: null });
      const influxWriter = createInfluxWriter({ url: influx.url, envFile: null });
      await rollupRange(reader, influxWriter, run.testid, stats.startMs, stats.endMs + 1);
      // The per-run summary rows the compare dashboard reads (the rollup writes them once a run has ended).
      await summarizeRun(reader, influxWriter, run.testid);
      // The same points through k6's remote-write output: a flush every 5 s of run time.
      const output = new K6RemoteWriteOutput();
      let nextFlush = run.startMs + PUSH_MS;
      const send = async (batch: RemoteWriteBatch | undefined): Promise<void> => {
        if (batch === undefined) return;
        requests++;
        bytes += snappyCompress(encodeWriteRequest(batch.series)).length;
        await writer.write(batch.series);
      };
      const promStats = await writeLongRunTo(
        {
          add: (s) => {
            samples++;
            output.add(s);
          },
          async second(endMs) {
            if (endMs >= nextFlush) {
              await send(output.flush(nextFlush));
              nextFlush += PUSH_MS;
            }
          },
          async end(endMs) {
            await send(output.flush(endMs));
            await send(output.staleMarkers(endMs + 1));
          },
        },
        harness,
        { testid: run.testid, startMs: run.startMs, points },
      );
      console.log(
        `${run.testid}: InfluxDB ${stats.points.toLocaleString("en")} points / ${stats.series} series in ` +
          `${(stats.writeMs / 1000).toFixed(0)} s; Prometheus ${output.seriesCount} series from the same ` +
          `${promStats.points.toLocaleString("en")} samples in ${(promStats.writeMs / 1000).toFixed(0)} s`,
      );
    }
    console.log(
      `\nstores: InfluxDB ${(du(influx.dataDir) / 1e6).toFixed(0)} MB (${influxPoints.toLocaleString("en")} points); ` +
        `Prometheus ${(du(prometheus.dataDir) / 1e6).toFixed(0)} MB (head + WAL; ${requests} remote-write requests, ` +
        `${(bytes / requests / 1e3).toFixed(0)} kB and ${(samples / requests).toFixed(0)} k6 samples each on average)`,
    );
    const newer = runs[1] as { testid: string; startMs: number };
    const older = runs[0] as { testid: string; startMs: number };
    const loadRange = { fromMs: newer.startMs, toMs: newer.startMs + runMs };
    const compareRange = { fromMs: older.startMs, toMs: newer.startMs + runMs };
    const promql = createQueryClient({ url: prometheus.url, timeoutMs: 60_000 });
    const load = (file: string) => JSON.parse(readFileSync(file, "utf8")) as DashboardJson;
    sideBySide(
      "load dashboard",
      await timeInfluxDashboard(influx, load(DASHBOARD_FILE), loadRange, { testid: newer.testid }),
      await timePromDashboard(promql, load(PROM_DASHBOARD_FILE), loadRange, { testid: newer.testid }),
    );
    const pair = { A: older.testid, B: newer.testid };
    sideBySide(
      "compare dashboard (A = older run, B = newer)",
      await timeInfluxDashboard(
        influx,
        load(process.env.BENCH_INFLUX_COMPARE ?? COMPARE_DASHBOARD_FILE),
        compareRange,
        pair,
      ),
      await timePromDashboard(promql, load(PROM_COMPARE_DASHBOARD_FILE), compareRange, pair),
    );
  } finally {
    await prometheus?.stop();
    await influx.stop();
  }
}

await main();
