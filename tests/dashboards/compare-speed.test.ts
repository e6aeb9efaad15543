// The compare dashboard's query time does not grow with the number of runs kept: 8 runs of the same size (the
// harness's series and sample mix, helpers/long-run.ts) are written and summarised (tools/rollup/summary.ts) in a real
// InfluxDB, and every target of the dashboard is run as Grafana sends it over a range holding the newest 2 runs and
// over one holding all 8 (A and B are the newest two either way; the trend shows every run in the range). The ratio
// of the two, measured interleaved in the same run (medians of ROUNDS), must stay near 1 — never absolute
// milliseconds: this machine is shared and noisy. The same dashboard over raw points (the form before the summaries)
// is timed on the same data, once per range, and printed with the rest (the "before").
// COMPARE_SPEED_POINTS=<n> sizes each run (default 40 000); the test prints every number it measured.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { INFLUXQL } from "../../infra/grafana/src/backend";
import { buildCompareDashboard } from "../../infra/grafana/src/compare";
import { INFLUX_DATABASE, INFLUX_RETENTION_POLICY } from "../../infra/grafana/src/datasource";
import { COMPARE_DASHBOARD_FILE } from "../../infra/grafana/src/paths";
import { createInfluxReader, createInfluxWriter } from "../../tools/influx/index";
import { summarizeRun } from "../../tools/rollup/summary";
import { withAgentSamples } from "./helpers/agent-samples";
import { loadCommittedDashboard, type DashboardJson } from "./helpers/dashboard-model";
import { findInfluxd, startInfluxd, type RunningInfluxd } from "./helpers/influxd";
import { recordRun } from "./helpers/journey-samples";
import { writeLongRun, type LongRunStats } from "./helpers/long-run";
import { timeDashboard, type TargetTiming } from "./helpers/panel-timing";

const INFLUXD = findInfluxd();
if (INFLUXD === undefined)
  console.warn("SKIP tests/dashboards/compare-speed: no influxd; the compare dashboard's query time was NOT measured");

const RUNS = 8;
const POINTS = Number(process.env.COMPARE_SPEED_POINTS ?? "40000");
const ROUNDS = 5;
/** Runs start 10 minutes apart and last 5: ids sort as they start, so B and A are the newest two. */
const FIRST_START = Date.UTC(2026, 11, 4, 8, 0, 0);
const testidOf = (i: number): string => `20261204-08${String(i * 10).padStart(2, "0")}00-sp${i}`;

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

interface Pass {
  whole: number;
  trend: number;
  /** Rows the trend targets returned (one per run and line). */
  trendRows: number;
  slowest: { panel: string; ms: number };
}

/** The whole dashboard (sum of targets, as Grafana's panels queue on one browser), its trend row, its slowest panel. */
function passOf(timings: readonly TargetTiming[]): Pass {
  const panels = new Map<string, number>();
  const isTrend = (panel: string): boolean => / over runs$|^Runs over time$/.test(panel);
  let trendRows = 0;
  for (const t of timings) {
    const panel = t.label.replace(/ \[[^\]]*\]$/, "");
    panels.set(panel, (panels.get(panel) ?? 0) + t.ms);
    if (isTrend(panel)) trendRows += t.rows;
  }
  const [panel, ms] = [...panels].sort((a, b) => b[1] - a[1])[0] ?? ["", 0];
  const trend = [...panels].filter(([p]) => isTrend(p)).reduce((n, [, v]) => n + v, 0);
  return { whole: [...panels.values()].reduce((a, b) => a + b, 0), trend, trendRows, slowest: { panel, ms } };
}

describe.skipIf(INFLUXD === undefined)("compare dashboard query time vs the number of runs kept", () => {
  let influx: RunningInfluxd;
  let runs: LongRunStats[];
  let summary: DashboardJson;
  let raw: DashboardJson;
  const summarizeMs: number[] = [];

  const range = (first: number): { fromMs: number; toMs: number } => ({
    fromMs: (runs[first] as LongRunStats).startMs - 60_000,
    toMs: (runs[RUNS - 1] as LongRunStats).endMs + 60_000,
  });

  beforeAll(
    async () => {
      influx = await startInfluxd(INFLUXD as string);
      await influx.query(`CREATE DATABASE "${INFLUX_DATABASE}" WITH NAME "${INFLUX_RETENTION_POLICY}"`);
      const reader = createInfluxReader({ url: influx.url, envFile: null });
      const writer = createInfluxWriter({ url: influx.url, envFile: null });
      const harness = withAgentSamples(await recordRun(testidOf(0)), testidOf(0));
      runs = [];
      for (let i = 0; i < RUNS; i++) {
        runs.push(
          await writeLongRun(influx, harness, {
            testid: testidOf(i),
            startMs: FIRST_START + i * 10 * 60_000,
            points: POINTS,
            durationSeconds: 300,
            db: INFLUX_DATABASE,
            rp: INFLUX_RETENTION_POLICY,
          }),
        );
        const started = performance.now();
        await summarizeRun(reader, writer, testidOf(i));
        summarizeMs.push(performance.now() - started);
      }
      summary = loadCommittedDashboard(COMPARE_DASHBOARD_FILE);
      raw = JSON.parse(JSON.stringify(buildCompareDashboard(INFLUXQL, "raw"))) as DashboardJson;
    },
    Math.max(120_000, (RUNS * POINTS) / 5),
  );

  afterAll(async () => {
    await influx?.stop();
  });

  it(
    "the summary dashboard takes as long with 8 runs in range as with 2 (and less than over raw points)",
    async () => {
      const time = async (dashboard: DashboardJson, first: number): Promise<Pass> =>
        passOf(await timeDashboard(influx, INFLUX_DATABASE, dashboard, range(first), 1));
      // Warm-up (caches, JIT), then interleaved rounds: a noisy stretch hits both sides.
      await time(summary, 0);
      const two: Pass[] = [];
      const eight: Pass[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        two.push(await time(summary, RUNS - 2));
        eight.push(await time(summary, 0));
      }
      const [rawTwo, rawEight] = [await time(raw, RUNS - 2), await time(raw, 0)];
      const med = (passes: Pass[], key: "whole" | "trend"): number => median(passes.map((p) => p[key]));
      const report = {
        pointsPerRun: runs[0]?.points,
        summarizeRunMs: median(summarizeMs),
        summary: {
          wholeMs: { two: med(two, "whole"), eight: med(eight, "whole") },
          trendMs: { two: med(two, "trend"), eight: med(eight, "trend") },
          slowestPanelEight: eight.map((p) => p.slowest).sort((a, b) => a.ms - b.ms)[Math.floor(ROUNDS / 2)],
        },
        raw: {
          wholeMs: { two: rawTwo.whole, eight: rawEight.whole },
          trendMs: { two: rawTwo.trend, eight: rawEight.trend },
          slowestPanelEight: rawEight.slowest,
        },
      };
      console.log(`compare dashboard timing: ${JSON.stringify(report, null, 1)}`);
      // Both forms draw the same trend: a point per run and line, 4× as many over 8 runs as over 2.
      expect(eight[0]?.trendRows).toBe(rawEight.trendRows);
      expect(two[0]?.trendRows).toBe(rawTwo.trendRows);
      expect(eight[0]?.trendRows).toBe(4 * (two[0]?.trendRows ?? 0));
      const wholeRatio = med(eight, "whole") / med(two, "whole");
      const trendRatio = med(eight, "trend") / med(two, "trend");
      expect(wholeRatio, "whole dashboard, 8 runs / 2 runs").toBeLessThan(1.5);
      expect(trendRatio, "trend row, 8 runs / 2 runs").toBeLessThan(1.5);
      // The raw form on the same data, for the record (printed above, one cold pass each: at this size its cost is
      // mostly per query, so its growth is not asserted): the summaries are the cheaper form.
      expect(med(eight, "whole")).toBeLessThan(rawEight.whole);
    },
    Math.max(60_000, (RUNS * POINTS) / 10),
  );
});
