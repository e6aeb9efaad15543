// One way to make a panel: a timeseries (never the legacy graph) on the backend's k6 datasource, with a legend that
// shows last/max, and — when the k6 suite declares limits for what it plots — those limits drawn as dashed lines.
// The spec is the same for every backend (backend.ts); only the targets and the datasource differ.
import * as common from "@grafana/grafana-foundation-sdk/common";
import { ThresholdsConfigBuilder, ThresholdsMode, type Threshold } from "@grafana/grafana-foundation-sdk/dashboard";
import { PanelBuilder } from "@grafana/grafana-foundation-sdk/timeseries";
import { INFLUXQL, type Backend, type BackendId } from "./backend";
import type { Query, QuerySpec } from "./query-spec";
import type { ThresholdCondition } from "./thresholds";

export interface TimeseriesSpec {
  title: string;
  /** The text, or the text in each backend's words (e.g. where the latency row reads its percentiles from). */
  description: string | ((backend: BackendId) => string);
  unit: string;
  queries: (QuerySpec | Query)[];
  /** Grid width (of 24) and height. */
  width?: number;
  height?: number;
  /** k6 threshold conditions to draw as lines (their limits, in the panel's unit). */
  limits?: ThresholdCondition[];
  /** Bars for per-interval counts, lines otherwise. */
  style?: "lines" | "bars";
  stacked?: boolean;
  min?: number;
  max?: number;
  /**
   * What Grafana shows instead of "No data" when the queries return no series at all (Grafana's field option
   * `noValue`). Counter panels use "0": a counter that never got a sample in the range has no series in InfluxDB,
   * which `fill(0)` cannot fill, and "no timeouts" should read 0.
   */
  noValue?: string;
  /** Grafana's panel "min interval" (default MIN_INTERVAL). */
  minInterval?: string;
  /** The legend's calculations (default LEGEND_CALCS); per-interval counts whose total matters add "sum" (Total). */
  legendCalcs?: string[];
}

/** Last and max of each series in the legend. */
export const LEGEND_CALCS = ["lastNotNull", "max"];

/**
 * The floor of every panel's `$__interval`. Grafana divides the range by the panel's width in pixels (20 minutes on
 * a 1500 px panel: 1 s buckets, 1200 of them per series); InfluxDB's cost grows with the buckets × series it
 * returns, so on long runs the floor keeps queries fast (20 minutes: 120 buckets). 10 s still resolves k6's ramps
 * (stages of a minute or more), and the per-second panels divide by `$__interval_ms`, so rates stay per second.
 */
export const MIN_INTERVAL = "10s";

const OK = "green";
const BREACH = "red";

/**
 * Grafana draws one line per threshold step. Colours follow the direction of the condition: for `<` limits the
 * region above the line is the breach, for `>` limits (success rates) the region below it is.
 */
export function thresholdSteps(limits: readonly ThresholdCondition[]): Threshold[] {
  const values = [...new Set(limits.map((c) => c.limit))].sort((a, b) => a - b);
  const upperBound = limits.every((c) => c.operator === "<" || c.operator === "<=");
  if (upperBound) return [{ value: null, color: OK }, ...values.map((value) => ({ value, color: BREACH }))];
  return [{ value: null, color: BREACH }, ...values.map((value) => ({ value, color: OK }))];
}

export function timeseries(spec: TimeseriesSpec, backend: Backend = INFLUXQL): PanelBuilder {
  const panel = new PanelBuilder()
    .title(spec.title)
    .description(typeof spec.description === "string" ? spec.description : spec.description(backend.id))
    .datasource({ ...backend.datasource })
    .interval(spec.minInterval ?? MIN_INTERVAL)
    .targets(backend.targets(spec.queries.map((q) => ("spec" in q ? q.spec : q))))
    .unit(spec.unit)
    .span(spec.width ?? 12)
    .height(spec.height ?? 8)
    .lineWidth(1)
    .fillOpacity(spec.style === "bars" ? 80 : 10)
    .drawStyle(spec.style === "bars" ? common.GraphDrawStyle.Bars : common.GraphDrawStyle.Line)
    .showPoints(common.VisibilityMode.Never)
    .spanNulls(true)
    .legend(
      new common.VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(common.LegendDisplayMode.List)
        .placement(common.LegendPlacement.Bottom)
        .calcs(spec.legendCalcs ?? LEGEND_CALCS),
    )
    .tooltip(
      new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending),
    );
  if (spec.stacked) panel.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal));
  if (spec.min !== undefined) panel.min(spec.min);
  if (spec.max !== undefined) panel.max(spec.max);
  if (spec.noValue !== undefined) panel.noValue(spec.noValue);
  const limits = spec.limits ?? [];
  if (limits.length > 0) {
    panel
      .thresholds(new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps(thresholdSteps(limits)))
      .thresholdsStyle(new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed));
  }
  return panel;
}
