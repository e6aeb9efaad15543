// A small typed InfluxQL query builder for Grafana's InfluxDB datasource. The foundation SDK ships no InfluxDB query
// type, so this implements its Builder<Dataquery> contract and renders raw InfluxQL (`rawQuery: true`).
//
// Every query it builds is scoped to one test run: the `testid` filter and Grafana's `$timeFilter` are added by the
// builder itself and cannot be left out, so no panel can ever mix runs.
import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import type * as common from "@grafana/grafana-foundation-sdk/common";
import { INFLUX_DATASOURCE } from "./datasource";

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
