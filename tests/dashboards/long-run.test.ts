// The dashboard stays fast on long runs: a 20-minute full local run, proportionally shaped but smaller than a real
// one (LONG_RUN_POINTS instead of 5.0 M: same series, VU ramps and sample mix, see helpers/long-run.ts), in a real
// InfluxDB; every panel target's query, as Grafana sends it for a 1500 px panel, must stay within the goal scaled
// to the dataset (300 ms per panel and 1.5 s per dashboard at 5.0 M points), with headroom for a shared CI core.
// The full-size measurement is `npm run bench:dashboards` (infra/grafana/README.md, "Query speed").
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { INFLUX_DATABASE, INFLUX_RETENTION_POLICY } from "../../infra/grafana/src/datasource";
import { loadCommittedDashboard, panelTargets } from "./helpers/dashboard-model";
import { findInfluxd, startInfluxd, type RunningInfluxd } from "./helpers/influxd";
import { recordRun } from "./helpers/journey-samples";
import { withAgentSamples } from "./helpers/agent-samples";
import { REAL_RUN_POINTS, writeLongRun, type LongRunStats } from "./helpers/long-run";
import { timeDashboard, type TargetTiming } from "./helpers/panel-timing";

const INFLUXD = findInfluxd();
if (INFLUXD === undefined) {
  console.warn("SKIP tests/dashboards/long-run: `influxd` is not installed; the query times were NOT measured");
}

const TESTID = "20261201-100000-be0c";
const LONG_RUN_POINTS = 250_000;
const SCALE = LONG_RUN_POINTS / REAL_RUN_POINTS;
/** Scaled goals ×5 for a loaded 2-core CI, plus a fixed allowance per query (HTTP round trip, planning). */
const HEADROOM = 5;
const PER_QUERY_FLOOR_MS = 20;
const TARGET_BUDGET_MS = 300 * SCALE * HEADROOM + PER_QUERY_FLOOR_MS;

describe.skipIf(INFLUXD === undefined)("dashboard query time on a long run", () => {
  let influx: RunningInfluxd;
  let stats: LongRunStats;
  let timings: TargetTiming[];

  beforeAll(async () => {
    influx = await startInfluxd(INFLUXD as string);
    await influx.query(`CREATE DATABASE "${INFLUX_DATABASE}" WITH NAME "${INFLUX_RETENTION_POLICY}"`);
    const harness = withAgentSamples(await recordRun(TESTID), TESTID);
    stats = await writeLongRun(influx, harness, {
      testid: TESTID,
      startMs: Date.UTC(2026, 11, 1, 10, 0, 0),
      points: LONG_RUN_POINTS,
      db: INFLUX_DATABASE,
      rp: INFLUX_RETENTION_POLICY,
    });
    const dashboard = loadCommittedDashboard();
    const range = { fromMs: stats.startMs, toMs: stats.endMs };
    await timeDashboard(influx, INFLUX_DATABASE, dashboard, range, 1); // warm-up
    timings = await timeDashboard(influx, INFLUX_DATABASE, dashboard, range, 3);
    const slowest = [...timings].sort((a, b) => b.ms - a.ms).slice(0, 3);
    console.log(
      `long run ${stats.points} points / ${stats.series} series; slowest: ` +
        slowest.map((t) => `${t.label} ${t.ms.toFixed(0)} ms`).join(", "),
    );
  }, 120_000);

  afterAll(async () => {
    await influx?.stop();
  });

  it("writes a 20-minute run of the planned size with the harness's series", () => {
    expect(stats.points).toBeGreaterThan(LONG_RUN_POINTS * 0.98);
    expect(stats.points).toBeLessThan(LONG_RUN_POINTS * 1.02);
    expect(stats.series).toBeGreaterThan(300);
    expect(stats.endMs - stats.startMs).toBe(20 * 60_000);
  });

  it("times every panel target and every one returns data", () => {
    expect(timings.length).toBe(panelTargets(loadCommittedDashboard()).length);
    expect(timings.filter((t) => t.series === 0).map((t) => t.label)).toEqual([]);
  });

  it("returns at most 10 s buckets (the panels' min interval) over 20 minutes", () => {
    for (const t of timings) expect(t.rows / Math.max(1, t.series), t.label).toBeLessThanOrEqual(121);
  });

  it(`keeps every target within ${TARGET_BUDGET_MS.toFixed(0)} ms and the dashboard within its scaled budget`, () => {
    const slow = timings.filter((t) => t.ms > TARGET_BUDGET_MS).map((t) => `${t.label}: ${t.ms.toFixed(0)} ms`);
    expect(slow).toEqual([]);
    const total = timings.reduce((n, t) => n + t.ms, 0);
    expect(total).toBeLessThan(1500 * SCALE * HEADROOM + PER_QUERY_FLOOR_MS * timings.length);
  });
});
