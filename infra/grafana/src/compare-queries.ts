// InfluxQL for the "compare runs" dashboard (and, at the end, its per-run cells in PromQL). Two shapes, neither of which fits the load dashboard's builder (that one
// always scopes to `$testid` and groups by time):
//
//  - per run (A or B): one row per value of a tag, no time grouping, table format — `WHERE "testid" =~ /^$A$/`. An
//    InfluxQL statement cannot put two runs side by side, so every compare table has an A and a B query and Grafana
//    joins them (compare.ts).
//  - over runs (the trend): one point per run, placed at the run's first sample, the newest `$N` runs by start.
//    See `overRuns` for how InfluxQL 1.x is made to do that.
import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import type { DataTransformerConfig } from "@grafana/grafana-foundation-sdk/dashboard";
import type { Backend } from "./backend";
import { INFLUX_DATASOURCE } from "./datasource";
import { ident, literal, type InfluxQLQuery } from "./influxql";
import {
  ALL,
  SUMMARY_MEASUREMENT,
  SUMMARY_METRIC_TAG,
  SUMMARY_START_FIELD,
  summaryField,
  summaryOf,
  type SummaryStat,
} from "../../../tools/rollup/spec";
import { promRunExpr, promTarget, runFilter as promRunFilter } from "./promql";
import type { Statistic as NeutralStatistic, TagFilter as NeutralTagFilter } from "./query-spec";

export type Side = "A" | "B";

/** The two run variables; B is the newer run by default, A the one before it. */
export const SIDES: readonly Side[] = ["A", "B"];

/** The variable holding how many runs the trend shows. */
export const RUNS_VARIABLE = "N";

/** A raw InfluxQL target with a fixed text (Grafana's macros and variables still in it). */
export class RawInfluxQL implements cog.Builder<cog.Dataquery> {
  constructor(
    private readonly refId: string,
    private readonly text: string,
    private readonly format: InfluxQLQuery["resultFormat"],
    private readonly legend?: string,
  ) {
    if (!/^[A-Z][A-Z0-9]*$/.test(refId)) throw new Error(`refId must be upper-case letters/digits, got "${refId}"`);
  }

  render(): string {
    return this.text;
  }

  build(): InfluxQLQuery {
    const query: InfluxQLQuery = {
      refId: this.refId,
      datasource: { ...INFLUX_DATASOURCE },
      query: this.text,
      rawQuery: true,
      resultFormat: this.format,
      _implementsDataqueryVariant: () => {},
    };
    if (this.legend !== undefined) query.alias = this.legend;
    return query;
  }
}

/** A condition on a tag: a fixed value, or a multi-value dashboard variable (`"tag" =~ /^($variable)$/`). */
export type TagFilter = { tag: string; value: string } | { tag: string; variable: string };

function condition(filter: TagFilter): string {
  return "value" in filter
    ? `${ident(filter.tag)} = ${literal(filter.value)}`
    : `${ident(filter.tag)} =~ /^($${filter.variable})$/`;
}

function where(conditions: readonly string[]): string {
  return [...conditions, "$timeFilter"].join(" AND ");
}

/** What one cell of a compare table is, computed over one run's samples of one metric. */
export type Statistic =
  | { kind: "percentile"; n: number }
  | { kind: "mean" }
  | { kind: "sum" }
  /** Samples per second between the group's first and last sample: 1000 / the mean gap in ms. */
  | { kind: "rate" };

function aggregate(stat: Exclude<Statistic, { kind: "rate" }>): string {
  return stat.kind === "percentile" ? `percentile("value", ${stat.n})` : `${stat.kind}("value")`;
}

const runFilter = (side: Side): string => `"testid" =~ /^$${side}$/`;

/**
 * One run's statistic per value of `by`, as a table with one row per value and one column named after the side
 * ("A" or "B"), so that the two queries of a table join into distinct columns.
 *
 * A rate is `(n − 1) / (last − first)`, written as 1000 / mean(elapsed gap in ms): InfluxQL cannot divide a count by
 * a run's duration (no join, no arithmetic on time), but the gaps between consecutive samples of the group are a
 * transformation it has. A group with a single sample has no gap and no rate.
 */
export function perRun(side: Side, metric: string, stat: Statistic, by: string, filters: readonly TagFilter[]): string {
  const conditions = [runFilter(side), ...filters.map(condition)];
  const column = ident(side);
  if (stat.kind === "rate") {
    const gaps = `SELECT elapsed("value", 1ms) AS "gap" FROM ${ident(metric)} WHERE ${where(conditions)} GROUP BY ${ident(by)}`;
    return `SELECT 1000 / mean("gap") AS ${column} FROM (${gaps}) GROUP BY ${ident(by)}`;
  }
  return `SELECT ${aggregate(stat)} AS ${column} FROM ${ident(metric)} WHERE ${where(conditions)} GROUP BY ${ident(by)}`;
}

export interface RunField {
  /** Column name of the result. */
  name: string;
  /** An InfluxQL aggregate or selector over `value`, e.g. `percentile("value", 95)`. */
  expr: string;
}

/**
 * One point per run for the newest `$N` runs in the range, each at the time of the run's first sample of `metric`
 * (for k6's HTTP metrics that is the run's first request: k6 stamps every metric of a request with the same time),
 * ordered by that time. Five nested statements, because InfluxQL 1.x has no join and no ORDER BY over series:
 *
 *  1. `stats`: the fields per testid. Two or more function calls make InfluxQL give the row the lower bound of
 *     `$timeFilter` as its time, before any sample of the run (a dummy count is added when there is one field).
 *  2. `marker`: a 0 per field per testid at the run's first sample (`first() * 0`: one selector, whose time is the
 *     time of the point it selects). It has no filter but the time range, so it marks the start of the whole run.
 *  3. `perRun`: both merged per testid (same measurement, so the same series): exactly two rows, (range start, x)
 *     then (run start, 0). `moving_average(x, 2) * 2` emits one row at the second point's time with (x + 0) / 2 * 2
 *     = x, exact in floating point; `elapsed` on the same two rows gives run start − range start, a number that
 *     orders the runs by start. A run without samples matching the filters has only the marker row: no point.
 *  4. `newest`: `top("start", $N)` over all runs keeps the `$N` latest starts, in time order, with their fields and
 *     testid (ORDER BY time DESC LIMIT does not do this across a subquery's series in InfluxDB 1.x: it limits the
 *     runs in testid order).
 *  5. the fields (and the testid) without top()'s own column.
 */
export function overRuns(
  metric: string,
  fields: readonly RunField[],
  filters: readonly TagFilter[],
  withTestid = false,
): string {
  if (fields.length === 0) throw new Error(`overRuns(${metric}): no fields`);
  const m = ident(metric);
  const names = fields.map((f) => ident(f.name));
  const selects = fields.map((f) => `${f.expr} AS ${ident(f.name)}`);
  if (fields.length === 1) selects.push(`count("value") AS "n"`);
  const stats = `SELECT ${selects.join(", ")} FROM ${m} WHERE ${where(filters.map(condition))} GROUP BY "testid"`;
  const marker = `SELECT ${names.map((n) => `first("value") * 0 AS ${n}`).join(", ")} FROM ${m} WHERE ${where([])} GROUP BY "testid"`;
  const perRunRow = [
    ...names.map((n) => `moving_average(${n}, 2) * 2 AS ${n}`),
    `elapsed(${names[0]}, 1ms) AS "start"`,
  ];
  const perRunQuery = `SELECT ${perRunRow.join(", ")} FROM (${stats}), (${marker}) GROUP BY "testid"`;
  const newest = `SELECT top("start", $${RUNS_VARIABLE}), "testid", ${names.join(", ")} FROM (${perRunQuery})`;
  const shown = withTestid ? [`"testid"`, ...names] : names;
  return `SELECT ${shown.join(", ")} FROM (${newest})`;
}

// ---- The same cells from the run summaries (tools/rollup/summary.ts): what the InfluxQL dashboard reads ----
//
// `perRun` and `overRuns` above compute over a run's raw points on every refresh: each percentile cell sorts every
// sample of the run, and the trend does it for every run kept. The rollup writes, once a run has ended, the same
// numbers (computed by the same InfluxQL functions) as rows of `run_summary`: one per run, metric and selection,
// stamped at the run's first sample of the metric, each tag a value or "All". The queries below read those rows.
// The raw forms stay: they are the oracle the summary is tested against (tests/dashboards) and the "before" of the
// bench.

/** Where the dashboard's InfluxQL compare cells are computed: the run summaries, or the raw points (the oracle). */
export type CompareSource = "summary" | "raw";

/** The `run_summary` field holding a compare statistic (throws when the rollup does not summarise it). */
function summaryFieldOf(metric: string, stat: SummaryStat): string {
  const spec = summaryOf(metric);
  const field = summaryField(stat);
  if (!spec.stats.some((s) => summaryField(s) === field))
    throw new Error(`the run summary of ${metric} has no ${field} (tools/rollup/spec.ts)`);
  return field;
}

/**
 * The conditions picking a metric's summary rows for a selection: the tag a table breaks down by is every row but
 * "All" (narrowed by its variable, if any); a fixed value is that row; a variable is the row `${var:text}` names (one
 * value, or "All" for All: the variables are single-value); any other tag of the rows is "All". Filters on tags the
 * rows are not split by must be the summary's own fixed tags (kind:call).
 */
function summaryConditions(metric: string, filters: readonly TagFilter[], by?: string): string[] {
  const spec = summaryOf(metric);
  for (const filter of filters) {
    if (spec.tags.includes(filter.tag)) continue;
    if (!("value" in filter) || spec.where[filter.tag] !== filter.value)
      throw new Error(`${metric}: the run summary does not keep ${filter.tag} ${JSON.stringify(filter)}`);
  }
  for (const [tag, value] of Object.entries(spec.where)) {
    if (!filters.some((f) => f.tag === tag && "value" in f && f.value === value))
      throw new Error(`${metric}: the run summary holds ${tag}=${value} only; the query must say so`);
  }
  if (by !== undefined && !spec.tags.includes(by)) throw new Error(`${metric}: the run summary has no rows by ${by}`);
  const out = [`${ident(SUMMARY_METRIC_TAG)} = ${literal(metric)}`];
  for (const tag of spec.tags) {
    const fixed = filters.find((f): f is { tag: string; value: string } => f.tag === tag && "value" in f);
    const variable = filters.find((f): f is { tag: string; variable: string } => f.tag === tag && "variable" in f);
    if (tag === by) {
      out.push(`${ident(tag)} != ${literal(ALL)}`);
      if (fixed !== undefined) out.push(`${ident(tag)} = ${literal(fixed.value)}`);
      if (variable !== undefined) out.push(condition(variable));
    } else if (fixed !== undefined) {
      out.push(`${ident(tag)} = ${literal(fixed.value)}`);
      if (variable !== undefined) out.push(condition(variable));
    } else if (variable !== undefined) out.push(`${ident(tag)} = '\${${variable.variable}:text}'`);
    else out.push(`${ident(tag)} = ${literal(ALL)}`);
  }
  return out;
}

/** `perRun` from the run summaries: the same table (one row per value of `by`, one column named after the side). */
export function perRunSummary(
  side: Side,
  metric: string,
  stat: Statistic,
  by: string,
  filters: readonly TagFilter[],
): string {
  const field = summaryFieldOf(metric, stat);
  const conditions = [runFilter(side), ...summaryConditions(metric, filters, by)];
  return `SELECT ${ident(field)} AS ${ident(side)} FROM ${ident(SUMMARY_MEASUREMENT)} WHERE ${where(conditions)} GROUP BY ${ident(by)}`;
}

/** A trend field read from the run summaries: its column name and the statistic. */
export interface SummaryRunField {
  name: string;
  stat: SummaryStat;
}

/**
 * `overRuns` from the run summaries: each row already sits at its run's first sample of the metric and holds that
 * start in ms (`start`), so `top("start", $N)` over the selection's rows of every run keeps the newest $N runs, in
 * time order, with their fields (and testid); the outer select drops top()'s column.
 */
export function overRunsSummary(
  metric: string,
  fields: readonly SummaryRunField[],
  filters: readonly TagFilter[],
  withTestid = false,
): string {
  if (fields.length === 0) throw new Error(`overRunsSummary(${metric}): no fields`);
  const names = fields.map((f) => ident(f.name));
  const selects = fields.map((f) => `${ident(summaryFieldOf(metric, f.stat))} AS ${ident(f.name)}`);
  const top = `top(${ident(SUMMARY_START_FIELD)}, $${RUNS_VARIABLE})`;
  const newest =
    `SELECT ${[top, ...(withTestid ? [`"testid"`] : []), ...selects].join(", ")} FROM ${ident(SUMMARY_MEASUREMENT)} ` +
    `WHERE ${where(summaryConditions(metric, filters))}`;
  const shown = withTestid ? [`"testid"`, ...names] : names;
  return `SELECT ${shown.join(", ")} FROM (${newest})`;
}

// ---- The same per-run cells in PromQL (promql.ts) ----

/** The compare statistic as a neutral one (query-spec.ts): a rate is a counter's events per second of the span. */
function neutralStatistic(stat: Statistic): NeutralStatistic {
  return stat.kind === "rate" ? { kind: "perSecond" } : stat;
}

function neutralFilter(filter: TagFilter): NeutralTagFilter {
  return "value" in filter ? { tag: filter.tag, op: "=", value: filter.value } : filter;
}

/**
 * One run's statistic per value of `by` in PromQL: an instant query over the dashboard's range, from each series'
 * last push (k6's counters and histograms are cumulative since the run began), scoped to `testid="$A"` (or B).
 */
export function perRunPromQL(
  side: Side,
  metric: string,
  stat: Statistic,
  by: string,
  filters: readonly TagFilter[],
): string {
  return promRunExpr(metric, neutralStatistic(stat), filters.map(neutralFilter), [by], promRunFilter(side));
}

/** Side A's or B's table target on the backend. */
export function perRunTarget(
  backend: Backend,
  side: Side,
  metric: string,
  stat: Statistic,
  by: string,
  filters: readonly TagFilter[],
  source: CompareSource = "summary",
): cog.Builder<cog.Dataquery> {
  if (backend.id !== "influxql") return promTarget(side, perRunPromQL(side, metric, stat, by, filters), "", true);
  const text =
    source === "summary" ? perRunSummary(side, metric, stat, by, filters) : perRun(side, metric, stat, by, filters);
  return new RawInfluxQL(side, text, "table");
}

/**
 * What each backend's table frames call the side's value column, renamed to the side ("A", "B") before the join:
 * InfluxQL names it by its AS (already the side); Grafana's Prometheus table format names a value "Value #<refId>"
 * when a panel has several queries.
 */
export function sideColumns(backend: Backend): DataTransformerConfig[] {
  if (backend.id === "influxql") return [];
  const renameByName = Object.fromEntries(SIDES.map((side) => [`Value #${side}`, side]));
  return [{ id: "organize", options: { renameByName } }];
}
