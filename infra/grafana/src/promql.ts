// The PromQL renderer of backend-neutral query specs (query-spec.ts), for what k6 v1.8's experimental-prometheus-rw
// output writes with K6_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM=true (k6 internal/output/prometheusrw/remotewrite):
//
//  - every series is named `k6_<metric>` plus a suffix and labelled with the sample's k6 tags (testid, scenario,
//    endpoint, kind, status, observed_by, reason, cause, transport, instance_id, …; a tag with an empty value is
//    left out, so "no tag" and `tag=""` are the same thing);
//  - Counter → `k6_<name>_total`, the series' cumulative sum since the run began;
//  - Gauge → `k6_<name>`, the last value the series got before each push;
//  - Rate → `k6_<name>_rate`, a gauge holding the share of non-zero samples since the run began (per series: no
//    count is written, so shares of several series cannot be weighted unless a counter counts the same samples);
//  - Trend → a cumulative NATIVE histogram: `k6_<name>_seconds` for a time trend (k6's ms divided by 1000, so a panel
//    in ms multiplies by 1000), `k6_<name>` otherwise;
//  - a series is pushed (every 5 s, K6_PROMETHEUS_RW_PUSH_INTERVAL) only when it got a sample since the last push.
//
// So: per-interval statistics are what each cumulative series gained in the interval (`gained`: now minus one
// `$__interval` ago, the whole value for a series that is new), which is what InfluxQL's per-interval sum, count
// and percentile are, at push resolution — not rate()/increase(), which extrapolate and need two pushes in their
// window (a sparse counter pushed once reads nothing). Percentiles are `histogram_quantile` over those gains
// (within a native-histogram bucket, schema 3: < 9.05 % above / 8.3 % below), whole-run figures each series'
// last value (`last_over_time(…[$__range])`: the cumulative counter or histogram itself). A gauge is its value at
// each push.
import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import { DataqueryBuilder, PromQueryFormat, QueryEditorMode } from "@grafana/grafana-foundation-sdk/prometheus";
import { PROMETHEUS_DATASOURCE } from "./datasource";
import { K6 } from "./metrics";
import { legendOf, metricInfo, type Legend, type QuerySpec, type Statistic, type TagFilter } from "./query-spec";

/** k6's prometheus-rw push interval (K6_PROMETHEUS_RW_PUSH_INTERVAL's default). */
export const PUSH_INTERVAL_S = 5;

/** The variable that picks the run on the load dashboard. */
export const RUN_VARIABLE = "testid";

/** The Prometheus series name k6 writes a metric under. */
export function promMetricName(metric: string): string {
  const info = metricInfo(metric);
  switch (info.type) {
    case "counter":
      return `k6_${metric}_total`;
    case "gauge":
      return `k6_${metric}`;
    case "rate":
      return `k6_${metric}_rate`;
    case "trend":
      return info.isTime ? `k6_${metric}_seconds` : `k6_${metric}`;
  }
}

/** A PromQL string literal (double-quoted, Go escapes). */
export function promString(value: string): string {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}

const LABEL = /^[A-Za-z_][A-Za-z0-9_]*$/;

function label(name: string): string {
  if (!LABEL.test(name)) throw new Error(`not a Prometheus label name: ${name}`);
  return name;
}

/**
 * One label matcher. A variable with All or several values matches as a regex (`=~`, fully anchored in PromQL):
 * Grafana regex-escapes each value for Prometheus and joins several with `|`, and the All value `.*` also matches
 * a series without the label. A single-value variable (the run) is substituted as is: an exact match.
 */
export function matcher(filter: TagFilter): string {
  if ("variable" in filter) {
    return filter.single === true
      ? `${label(filter.tag)}="$${filter.variable}"`
      : `${label(filter.tag)}=~"$${filter.variable}"`;
  }
  return `${label(filter.tag)}${filter.op}${promString(filter.value)}`;
}

/** `k6_x{testid="$testid",…}`: every selector is scoped to one run, like every InfluxQL query. */
export function selector(metric: string, filters: readonly TagFilter[], run: TagFilter = runFilter()): string {
  return `${promMetricName(metric)}{${[run, ...filters].map(matcher).join(", ")}}`;
}

/** The run filter of the load dashboard: `testid="$testid"`. */
export function runFilter(variable: string = RUN_VARIABLE): TagFilter {
  return { tag: "testid", variable, single: true };
}

function by(groupBy: readonly string[]): string {
  return groupBy.length === 0 ? "" : ` by (${groupBy.map(label).join(", ")})`;
}

/** ms panels over a seconds histogram: × 1000. */
function toPanelUnit(metric: string, expr: string): string {
  const info = metricInfo(metric);
  return info.type === "trend" && info.isTime ? `${expr} * 1000` : expr;
}

/** Counters whose samples a Rate metric's samples match one to one (same tags), so shares can be weighted. */
const RATE_COUNTED_BY: Readonly<Record<string, string>> = { [K6.httpReqFailed]: K6.httpReqs };

/** Why a statistic has no PromQL form on a metric type (promql-exceptions.ts lists the panels this leaves out). */
export class NoPromQLTwin extends Error {}

function requireType(spec: QuerySpec, stat: Statistic, ...types: string[]): void {
  const { type } = metricInfo(spec.metric);
  if (!types.includes(type))
    throw new NoPromQLTwin(
      `${stat.kind} of ${spec.metric} (a ${type}) has no PromQL form in k6's prometheus-rw output`,
    );
}

const BACK = " offset $__interval";

/**
 * What a cumulative series (a counter, a native histogram, or a product of such) gained in the step's interval
 * (t − $__interval, t]: its value now minus its value one interval ago, or — for a series that did not exist then
 * (k6 creates a series at its first sample, so everything it holds came after) — its whole value. Exact at push
 * resolution, and unlike rate()/increase() it sees a series pushed once in the window (a sparse counter: timeouts,
 * failures; a rare trend: recovery times), which rate() needs two pushes for. Instant selectors only: cheap.
 *
 * `at("")` is the expression now, `at(BACK)` one interval ago. A series silent for longer than Prometheus'
 * lookback delta (5 min by default) is absent one interval ago, so its next push counts its whole total again:
 * run Prometheus with `--query.lookback-delta` at least the longest silence of one series (README).
 */
export function gained(at: (offset: string) => string): string {
  return `((${at("")} - ${at(BACK)}) or (${at("")} unless ${at(BACK)}))`;
}

/** A time series statistic per `$__interval` step (range query), in the panel's unit. */
export function promRangeExpr(spec: QuerySpec, stat: Statistic, run: TagFilter = runFilter()): string {
  const sel = selector(spec.metric, spec.filters, run);
  const g = by(spec.groupBy);
  const delta = gained((offset) => `${sel}${offset}`);
  // Counters: intervals without an event read 0 while the series is alive (pushed within the lookback delta),
  // which is fill(0) for the groups that have data; fillZero needs nothing more.
  switch (stat.kind) {
    case "percentile":
      requireType(spec, stat, "trend");
      return toPanelUnit(spec.metric, `histogram_quantile(${stat.n / 100}, sum${g} (${delta}))`);
    case "max": {
      const { type } = metricInfo(spec.metric);
      if (type === "trend") return toPanelUnit(spec.metric, `histogram_quantile(1, sum${g} (${delta}))`);
      requireType(spec, stat, "gauge");
      return `max${g} (max_over_time(${sel}[$__interval]))`;
    }
    case "last":
      requireType(spec, stat, "gauge");
      return `max${g} (last_over_time(${sel}[$__interval]))`;
    case "mean": {
      const { type } = metricInfo(spec.metric);
      if (type === "trend")
        return toPanelUnit(spec.metric, `sum${g} (histogram_sum(${delta})) / sum${g} (histogram_count(${delta}))`);
      requireType(spec, stat, "rate");
      const counted = RATE_COUNTED_BY[spec.metric];
      if (counted === undefined) return `avg${g} (${sel})`;
      // share × count is the series' cumulative number of non-zero samples: its gain over the count's gain is the
      // share within the interval, weighted by each series' samples.
      const count = selector(counted, spec.filters, run);
      const nonZero = gained((offset) => `${sel}${offset} * ${count}${offset}`);
      return `sum${g} (${nonZero}) / sum${g} (${gained((offset) => `${count}${offset}`)})`;
    }
    case "perSecond":
      requireType(spec, stat, "counter");
      return `sum${g} (${delta}) / ($__interval_ms / 1000)`;
    case "sum":
      requireType(spec, stat, "counter");
      return `sum${g} (${delta})`;
    case "count":
      requireType(spec, stat, "trend");
      return `sum${g} (histogram_count(${delta}))`;
    case "zeros":
      throw new NoPromQLTwin(
        `${spec.metric}: k6's prometheus-rw output writes no sample count for a ${metricInfo(spec.metric).type}, so its zeros cannot be counted`,
      );
  }
}

/**
 * A statistic over a whole run (an instant query over the dashboard's range, `$__range`), from each series' last
 * push: k6's counters and histograms are cumulative since the run began, so the last value is the whole run.
 */
export function promRunExpr(
  metric: string,
  stat: Statistic,
  filters: readonly TagFilter[],
  groupBy: readonly string[],
  run: TagFilter,
): string {
  const spec: QuerySpec = { metric, select: [], filters: [...filters], groupBy: [...groupBy], fillZero: false };
  const sel = selector(metric, filters, run);
  const g = by(groupBy);
  const last = (s: string): string => `last_over_time(${s}[$__range])`;
  switch (stat.kind) {
    case "percentile":
      requireType(spec, stat, "trend");
      return toPanelUnit(metric, `histogram_quantile(${stat.n / 100}, sum${g} (${last(sel)}))`);
    case "sum":
      requireType(spec, stat, "counter");
      return `sum${g} (${last(sel)})`;
    case "mean": {
      requireType(spec, stat, "rate");
      const counted = RATE_COUNTED_BY[metric];
      if (counted === undefined) return `avg${g} (${last(sel)})`;
      const count = last(selector(counted, filters, run));
      return `sum${g} (${last(sel)} * ${count}) / sum${g} (${count})`;
    }
    case "perSecond":
      requireType(spec, stat, "counter");
      // Events / the time the group was active, as the pushes that carried it (one per PUSH_INTERVAL_S with events).
      return `sum${g} (${last(sel)}) / (${PUSH_INTERVAL_S} * max${g} (count_over_time(${sel}[$__range])))`;
    default:
      throw new NoPromQLTwin(`${stat.kind} over a run of ${metric} has no PromQL form here`);
  }
}

/** Grafana's legendFormat: `{{tag}}` for a label's value. */
export function promLegend(legend: Legend, column: string): string {
  switch (legend.kind) {
    case "column":
      return column;
    case "tag":
      return `{{${legend.tag}}}`;
    case "tagColumn":
      return `{{${legend.tag}}} ${column}`;
  }
}

/** A Prometheus target: range query in code mode, legend as given. */
export function promTarget(
  refId: string,
  expr: string,
  legendFormat: string,
  instant = false,
): cog.Builder<cog.Dataquery> {
  const builder = new DataqueryBuilder()
    .refId(refId)
    .datasource({ ...PROMETHEUS_DATASOURCE })
    .editorMode(QueryEditorMode.Code)
    .expr(expr)
    .legendFormat(legendFormat);
  if (instant) builder.instant().format(PromQueryFormat.Table);
  else builder.range().format(PromQueryFormat.TimeSeries);
  return builder;
}

/** One target per statistic of the spec (a PromQL expression yields one value per series). */
export function promTargets(
  spec: QuerySpec,
  refIds: () => string,
  run: TagFilter = runFilter(),
): cog.Builder<cog.Dataquery>[] {
  const legend = legendOf(spec);
  return spec.select.map(({ stat, as }) =>
    promTarget(refIds(), promRangeExpr(spec, stat, run), promLegend(legend, as)),
  );
}
