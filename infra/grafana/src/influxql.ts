// A small typed InfluxQL query builder for Grafana's InfluxDB datasource. The foundation SDK ships no InfluxDB query
// type, so this implements its Builder<Dataquery> contract and renders raw InfluxQL (`rawQuery: true`).
//
// Every query it builds is scoped to one test run: the `testid` filter and Grafana's `$timeFilter` are added by the
// builder itself and cannot be left out, so no panel can ever mix runs.
import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import type * as common from "@grafana/grafana-foundation-sdk/common";
import { ALL as ROLLUP_ALL, ROLLUP_PERCENTILES, ROLLUP_TAGS, rollupOf } from "../../../tools/rollup/spec";
import { INFLUX_DATASOURCE } from "./datasource";
import { legendOf, type Legend, type QuerySpec, type Statistic, type TagFilter } from "./query-spec";

/** The target JSON Grafana's InfluxDB datasource reads in InfluxQL mode with a raw query. */
export interface InfluxQLQuery extends cog.Dataquery {
  refId: string;
  datasource: common.DataSourceRef;
  query: string;
  rawQuery: true;
  resultFormat: "time_series" | "table";
  /** Legend name; `$tag_<key>` and `$col` are expanded by the datasource. */
  alias?: string;
}

/** Aggregates over k6's single field, `value`. */
export type Aggregate =
  { fn: "mean" | "sum" | "count" | "max" | "min" | "last" | "median" } | { fn: "percentile"; n: number };

export function aggregate(agg: Aggregate): string {
  return agg.fn === "percentile" ? `percentile("value", ${agg.n})` : `${agg.fn}("value")`;
}

export const percentile = (n: number): string => aggregate({ fn: "percentile", n });
export const sum = (): string => aggregate({ fn: "sum" });
export const mean = (): string => aggregate({ fn: "mean" });
export const max = (): string => aggregate({ fn: "max" });
export const count = (): string => aggregate({ fn: "count" });

/** `max` of a named field (the rollup's rows carry p50/p95/p99/max/count fields instead of k6's `value`). */
export const maxOf = (field: string): string => `max(${ident(field)})`;

/** A per-second rate of a counter: the interval's sum divided by the interval length (Grafana fills in the ms). */
export const perSecond = (): string => `${sum()} * 1000 / $__interval_ms`;

export type Fill = "none" | "null" | "0" | "previous" | "linear";

/** Quote an InfluxQL identifier (measurement, tag key, alias). */
export function ident(name: string): string {
  return `"${name.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** Quote an InfluxQL string literal. */
export function literal(value: string): string {
  return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

interface Selected {
  expr: string;
  as: string;
}

/**
 * Usage: `new InfluxQLQueryBuilder("A").select(percentile(95), "p95").from("http_req_duration")
 *   .whereVariable("scenario").groupByTag("endpoint").alias("$tag_endpoint")`.
 */
export class InfluxQLQueryBuilder implements cog.Builder<cog.Dataquery> {
  private readonly selects: Selected[] = [];
  private measurement: string | undefined;
  private readonly conditions: string[] = [];
  private readonly groupTags: string[] = [];
  private fillMode: Fill = "none";
  private legend: string | undefined;

  constructor(private readonly refId: string) {
    if (!/^[A-Z][A-Z0-9]*$/.test(refId)) throw new Error(`refId must be upper-case letters/digits, got "${refId}"`);
  }

  select(expr: string, as: string): this {
    this.selects.push({ expr, as });
    return this;
  }

  from(measurement: string): this {
    this.measurement = measurement;
    return this;
  }

  /**
   * `"tag" =~ /^(...)$/` with a dashboard variable: Grafana regex-escapes each selected value and joins several
   * with `|` — the group keeps `^`/`$` anchoring every alternative — and a custom all-value (`.*`) goes in raw.
   */
  whereVariable(variable: string, tag: string = variable): this {
    if (!VARIABLE_NAME.test(variable)) throw new Error(`not a variable name: ${variable}`);
    this.conditions.push(`${ident(tag)} =~ /^($${variable})$/`);
    return this;
  }

  /**
   * `"tag" = '${variable:text}'`: the selection's display text, which is "All" for All — how a rollup row that
   * covers every value of the tag is tagged (tools/rollup/spec.ts). Single-value variables only.
   */
  whereVariableText(variable: string, tag: string = variable): this {
    if (!VARIABLE_NAME.test(variable)) throw new Error(`not a variable name: ${variable}`);
    this.conditions.push(`${ident(tag)} = '\${${variable}:text}'`);
    return this;
  }

  /** `"tag" != 'value'`. */
  whereTagNot(tag: string, value: string): this {
    this.conditions.push(`${ident(tag)} != ${literal(value)}`);
    return this;
  }

  /** `"tag" = 'value'` with a fixed value (e.g. the endpoint a threshold applies to). */
  whereTag(tag: string, value: string): this {
    this.conditions.push(`${ident(tag)} = ${literal(value)}`);
    return this;
  }

  groupByTag(tag: string): this {
    this.groupTags.push(tag);
    return this;
  }

  fill(mode: Fill): this {
    this.fillMode = mode;
    return this;
  }

  alias(legend: string): this {
    this.legend = legend;
    return this;
  }

  /** The InfluxQL text, with Grafana's macros still in it. */
  render(): string {
    if (this.measurement === undefined) throw new Error(`query ${this.refId}: from() is missing`);
    if (this.selects.length === 0) throw new Error(`query ${this.refId}: select() is missing`);
    const fields = this.selects.map((s) => `${s.expr} AS ${ident(s.as)}`).join(", ");
    // The run filter comes first: it is the one every query must have.
    const where = [`"testid" =~ /^$testid$/`, ...this.conditions, "$timeFilter"].join(" AND ");
    const groupBy = ["time($__interval)", ...this.groupTags.map(ident)].join(", ");
    return `SELECT ${fields} FROM ${ident(this.measurement)} WHERE ${where} GROUP BY ${groupBy} fill(${this.fillMode})`;
  }

  build(): InfluxQLQuery {
    const query: InfluxQLQuery = {
      refId: this.refId,
      datasource: { ...INFLUX_DATASOURCE },
      query: this.render(),
      rawQuery: true,
      resultFormat: "time_series",
      // Required by the SDK's Dataquery variant marker; functions do not survive JSON serialisation.
      _implementsDataqueryVariant: () => {},
    };
    if (this.legend !== undefined) query.alias = this.legend;
    return query;
  }
}

// ---- The InfluxQL renderer of backend-neutral query specs (query-spec.ts) ----

/** The InfluxQL expression of one statistic over k6's `value` field. */
export function influxStatistic(stat: Statistic): string {
  switch (stat.kind) {
    case "percentile":
      return percentile(stat.n);
    case "zeros":
      return `${count()} - ${sum()}`;
    case "perSecond":
      return perSecond();
    default:
      return aggregate({ fn: stat.kind });
  }
}

/** `$col`, `$tag_<key>` or `$tag_<key> $col`: the alias Grafana's InfluxDB datasource expands for a legend. */
export function influxLegend(legend: Legend): string {
  switch (legend.kind) {
    case "column":
      return "$col";
    case "tag":
      return `$tag_${legend.tag}`;
    case "tagColumn":
      return `$tag_${legend.tag} $col`;
  }
}

function applyFilter(query: InfluxQLQueryBuilder, filter: TagFilter): void {
  if ("variable" in filter) {
    if (filter.single === true) throw new Error(`single-value filters are the builder's own ($testid): ${filter.tag}`);
    query.whereVariable(filter.variable, filter.tag);
  } else if (filter.op === "=") query.whereTag(filter.tag, filter.value);
  else query.whereTagNot(filter.tag, filter.value);
}

/**
 * The rollup's rows (tools/rollup/spec.ts): per 10 s window, the percentiles of the raw samples of that window and
 * selection. A rollup row is tagged with a value or "All" for each of scenario and endpoint, so: a fixed value is
 * that row, a tag the panel breaks down by is every row but "All", and a variable is the row `${var:text}` names
 * (the selected value or "All"). The rollup's own fixed tags (kind:call) are already applied by the rollup.
 */
function influxRollup(spec: QuerySpec, refId: string): InfluxQLQueryBuilder {
  const rollup = rollupOf(spec.metric);
  const query = new InfluxQLQueryBuilder(refId).from(rollup.measurement);
  for (const { stat, as } of spec.select) {
    if (stat.kind !== "percentile" || !(ROLLUP_PERCENTILES as readonly number[]).includes(stat.n))
      throw new Error(`the rollup keeps no ${as} of ${spec.metric} (spec.ts)`);
    query.select(maxOf(`p${stat.n}`), as);
  }
  const rollupTags: readonly string[] = ROLLUP_TAGS;
  for (const filter of spec.filters) {
    if (rollupTags.includes(filter.tag)) continue;
    if ("variable" in filter || filter.op !== "=" || rollup.where[filter.tag] !== filter.value)
      throw new Error(`${spec.metric}: the rollup does not keep ${filter.tag} ${JSON.stringify(filter)}`);
  }
  for (const [tag, value] of Object.entries(rollup.where)) {
    if (!spec.filters.some((f) => f.tag === tag && "op" in f && f.op === "=" && f.value === value))
      throw new Error(`${spec.metric}: the rollup holds ${tag}=${value} only; the spec must say so`);
  }
  for (const tag of spec.groupBy) {
    if (!rollupTags.includes(tag)) throw new Error(`${spec.metric}: the rollup has no rows by ${tag}`);
  }
  for (const tag of ROLLUP_TAGS) {
    const fixed = spec.filters.find((f) => f.tag === tag && "op" in f);
    const variable = spec.filters.find((f) => f.tag === tag && "variable" in f);
    if (fixed !== undefined && "op" in fixed) {
      if (fixed.op !== "=") throw new Error(`${spec.metric}: the rollup has no rows for ${tag} ${fixed.op}`);
      query.whereTag(tag, fixed.value);
    } else if (variable === undefined || !("variable" in variable)) {
      throw new Error(`${spec.metric}: a rollup query fixes ${tag} or filters it by a variable`);
    } else if (spec.groupBy.includes(tag)) {
      query.whereTagNot(tag, ROLLUP_ALL).whereVariable(variable.variable, tag).groupByTag(tag);
    } else query.whereVariableText(variable.variable, tag);
  }
  return query.alias(influxLegend(legendOf(spec)));
}

/** The InfluxQL target of a spec: testid- and time-scoped (the builder adds both), grouped by time and the tags. */
export function influxQuery(spec: QuerySpec, refId: string): InfluxQLQueryBuilder {
  if (spec.influxRollup === true) return influxRollup(spec, refId);
  const query = new InfluxQLQueryBuilder(refId).from(spec.metric);
  for (const filter of spec.filters) applyFilter(query, filter);
  for (const { stat, as } of spec.select) query.select(influxStatistic(stat), as);
  for (const tag of spec.groupBy) query.groupByTag(tag);
  if (spec.fillZero) query.fill("0");
  return query.alias(influxLegend(legendOf(spec)));
}
