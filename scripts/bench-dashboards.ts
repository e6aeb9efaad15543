// `npm run bench:dashboards`: how long the dashboards' queries take on a long run. Starts a real InfluxDB 1.x
// (Debian's influxd, tests/dashboards/helpers/influxd.ts), writes a 20-minute full `local` profile run in
// xk6-output-influxdb's schema (tests/dashboards/helpers/long-run.ts: series and samples per iteration from a real
// journey run through the harness, VUs over time from the local profile, 5.0 M points by default = the measured
// size of a real run), then runs every panel's query as Grafana sends it (20-minute range, default variables:
// newest testid, scenario/endpoint All; $__interval for a 1500 px wide panel) 3 times and prints the medians:
// slowest targets first and the total, against the goals (every panel ≤ 300 ms, the whole dashboard ≤ 1.5 s).
//
//   npm run bench:dashboards
//   BENCH_POINTS=1000000 npm run bench:dashboards                 # a smaller dataset (same shape)
//   npm run bench:dashboards -- --dashboard old.json --dashboard infra/grafana/dashboards/agentapi-load.json
import { readFileSync } from "node:fs";
import { INFLUX_DATABASE, INFLUX_RETENTION_POLICY } from "../infra/grafana/src/datasource";
import { DASHBOARD_FILE } from "../infra/grafana/src/paths";
import type { DashboardJson } from "../tests/dashboards/helpers/dashboard-model";
import { findInfluxd, startInfluxd } from "../tests/dashboards/helpers/influxd";
import { recordRun } from "../tests/dashboards/helpers/journey-samples";
import { withAgentSamples } from "../tests/dashboards/helpers/agent-samples";
import { REAL_RUN_POINTS, writeLongRun } from "../tests/dashboards/helpers/long-run";
import { timeDashboard, timeQuery, type TargetTiming } from "../tests/dashboards/helpers/panel-timing";
import { scanBaselineQuery } from "../tests/dashboards/helpers/scan-budgets";
import { createInfluxReader, createInfluxWriter } from "../tools/influx/index";
import { createFollower } from "../tools/rollup/follow";
import { rollupRange } from "../tools/rollup/rollup";

const PANEL_GOAL_MS = 300;
const TOTAL_GOAL_MS = 1500;
const TESTID = "20261201-100000-be0c";

function args(): { dashboards: string[]; top: number } {
  const argv = process.argv.slice(2);
  const dashboards: string[] = [];
  let top = 12;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--dashboard") dashboards.push(argv[++i] as string);
    else if (argv[i] === "--top") top = Number(argv[++i]);
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  return { dashboards: dashboards.length > 0 ? dashboards : [DASHBOARD_FILE], top };
}

function report(file: string, timings: TargetTiming[], top: number, scanMs: number): void {
  const total = timings.reduce((n, t) => n + t.ms, 0);
  const slow = [...timings].sort((a, b) => b.ms - a.ms);
  console.log(
    `\n${file}: ${timings.length} targets, total ${total.toFixed(0)} ms = ${(total / scanMs).toFixed(1)} raw scans ` +
      `(goal ≤ ${TOTAL_GOAL_MS} ms)`,
  );
  console.log("  ms      scans   series  rows    target");
  for (const t of slow.slice(0, top)) {
    const flag = t.ms > PANEL_GOAL_MS ? "  > goal" : "";
    console.log(
      `  ${t.ms.toFixed(0).padStart(6)}  ${(t.ms / scanMs).toFixed(1).padStart(6)}  ${String(t.series).padStart(6)}  ` +
        `${String(t.rows).padStart(6)}  ${t.label}${flag}`,
    );
  }
  const over = slow.filter((t) => t.ms > PANEL_GOAL_MS).length;
  console.log(
    `  → ${over === 0 ? "every target" : `${over} target(s) not`} within ${PANEL_GOAL_MS} ms; total ${total <= TOTAL_GOAL_MS ? "within" : "over"} ${TOTAL_GOAL_MS} ms`,
  );
}

async function main(): Promise<void> {
  const { dashboards, top } = args();
  const binary = findInfluxd();
  if (binary === undefined) throw new Error("influxd is not installed (Debian: apt-get install -y influxdb)");
  const points = Number(process.env.BENCH_POINTS ?? REAL_RUN_POINTS);
  const influx = await startInfluxd(binary);
  try {
    await influx.query(`CREATE DATABASE "${INFLUX_DATABASE}" WITH NAME "${INFLUX_RETENTION_POLICY}"`);
    const harness = withAgentSamples(await recordRun(TESTID), TESTID);
    const startMs = Date.UTC(2026, 11, 1, 10, 0, 0);
    const stats = await writeLongRun(influx, harness, {
      testid: TESTID,
      startMs,
      points,
      db: INFLUX_DATABASE,
      rp: INFLUX_RETENTION_POLICY,
    });
    console.log(
      `dataset: ${stats.points.toLocaleString("en")} points, ${stats.series} series, 20 min, written in ${(stats.writeMs / 1000).toFixed(1)} s`,
    );
    const range = { fromMs: stats.startMs, toMs: stats.endMs };
    // The rollup the latency row reads: its cost once for the whole run (a backfill), and per live tick at full load
    // (the follower's work every 5 s: the last 30 s of the run, at its busiest point).
    const reader = createInfluxReader({ url: influx.url, envFile: null });
    const writer = createInfluxWriter({ url: influx.url, envFile: null });
    const backfillStarted = performance.now();
    const rolled = await rollupRange(reader, writer, TESTID, stats.startMs, stats.endMs + 1);
    const backfillMs = performance.now() - backfillStarted;
    const follower = createFollower(reader, writer, { now: () => stats.startMs + 15 * 60_000 });
    await follower.tick(); // first sight: rolls up from the start
    const ticks: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      await follower.tick();
      ticks.push(performance.now() - t0);
    }
    ticks.sort((a, b) => a - b);
    console.log(
      `rollup: backfill ${rolled.rows.toLocaleString("en")} rows in ${(backfillMs / 1000).toFixed(1)} s; ` +
        `live tick (last 30 s at full load) median ${(ticks[2] as number).toFixed(0)} ms, every 5 s`,
    );
    // The same-run baseline the test's budgets are written in (tests/dashboards/helpers/scan-budgets.ts).
    const scanMs = await timeQuery(influx, INFLUX_DATABASE, scanBaselineQuery(TESTID, range), 5);
    console.log(`raw scan (count per 10 s over http_req_duration): ${scanMs.toFixed(0)} ms`);
    for (const file of dashboards) {
      const dashboard = JSON.parse(readFileSync(file, "utf8")) as DashboardJson;
      // One warm-up pass (file cache, index), then the measured one.
      await timeDashboard(influx, INFLUX_DATABASE, dashboard, range, 1);
      report(file, await timeDashboard(influx, INFLUX_DATABASE, dashboard, range, 3), top, scanMs);
    }
  } finally {
    await influx.stop();
  }
}

await main();
