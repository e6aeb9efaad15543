// Times a dashboard's panel queries the way Grafana sends them: variables resolved as on load (testid = the newest
// run, scenario/endpoint = All), macros expanded for the range, $__interval computed for a panel of the given pixel
// width (maxDataPoints) floored by the panel's own min interval or the datasource's timeInterval (1s).
import { panelTargets, type DashboardJson, type PanelTarget } from "./dashboard-model";
import { expandQuery, type TemplateVariable } from "./grafana-macros";
import type { RunningInfluxd } from "./influxd";
import { resolveVariables } from "./resolve-variables";

export const DATASOURCE_MIN_INTERVAL = "1s";
/** Grafana's maxDataPoints for a ~1500 px wide panel. */
export const PANEL_WIDTH_PX = 1500;

/** The dashboard's variables as Grafana resolves them on load (saved value, else the first option). */
export function resolveDefaults(
  influx: RunningInfluxd,
  db: string,
  dashboard: DashboardJson,
): Promise<TemplateVariable[]> {
  return resolveVariables((q) => influx.query(q, db), dashboard);
}

export interface TargetTiming {
  label: string;
  query: string;
  /** Median of the runs, ms. */
  ms: number;
  series: number;
  rows: number;
}

const median = (xs: number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

export function expandedQuery(
  target: PanelTarget,
  variables: TemplateVariable[],
  range: { fromMs: number; toMs: number },
): string {
  const panelMin = (target.panel as { interval?: string }).interval;
  return expandQuery(target.target.query ?? "", {
    ...range,
    maxDataPoints: PANEL_WIDTH_PX,
    minInterval: panelMin ?? DATASOURCE_MIN_INTERVAL,
    variables,
  });
}

/** One query run `repeat` times: the median, ms. */
export async function timeQuery(influx: RunningInfluxd, db: string, query: string, repeat = 3): Promise<number> {
  const runs: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const started = performance.now();
    await influx.query(query, db);
    runs.push(performance.now() - started);
  }
  return median(runs);
}

/** Every target of the dashboard, each run `repeat` times (median), in panel order. */
export async function timeDashboard(
  influx: RunningInfluxd,
  db: string,
  dashboard: DashboardJson,
  range: { fromMs: number; toMs: number },
  repeat = 3,
): Promise<TargetTiming[]> {
  const variables = await resolveDefaults(influx, db, dashboard);
  const timings: TargetTiming[] = [];
  for (const target of panelTargets(dashboard)) {
    const query = expandedQuery(target, variables, range);
    const runs: number[] = [];
    let series = 0;
    let rows = 0;
    for (let i = 0; i < repeat; i++) {
      const started = performance.now();
      const result = await influx.query(query, db);
      runs.push(performance.now() - started);
      series = result.length;
      rows = result.reduce((n, s) => n + s.values.length, 0);
    }
    timings.push({ label: target.label, query, ms: median(runs), series, rows });
  }
  return timings;
}
