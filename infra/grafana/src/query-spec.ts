// What a panel asks for, independent of the query language: one k6 metric, one or more statistics of it, the tag
// filters (fixed values or dashboard variables), the tags to break it down by, whether empty intervals read 0, and
// how the legend names each series. One renderer per backend turns a spec into targets: influxql.ts (InfluxQL on
// xk6-output-influxdb's schema) and promql.ts (PromQL on k6's experimental-prometheus-rw output). Panels never ask
// which backend they are on (backend.ts).
import { builtinMetrics, customMetrics, type MetricType } from "../../../k6/src/metric-catalog";
import { ENDPOINT_TAGGED, UNSCOPED_METRICS } from "./metrics";

/** A statistic of one metric over each interval (time series panels) or over a whole run (compare tables). */
export type Statistic =
  /** The n-th percentile of a trend's samples. */
  | { kind: "percentile"; n: number }
  /** The largest sample (a gauge's or a trend's). */
  | { kind: "max" }
  /** The mean of the samples: for a k6 Rate metric, the share of non-zero samples. */
  | { kind: "mean" }
  /** The sum of the samples: a counter's events in the interval, a 0/1 metric's ones. */
  | { kind: "sum" }
  /** How many samples. */
  | { kind: "count" }
  /** The samples that are 0 (count − sum): a Rate metric's failures, a 0/1 gauge's zeros. */
  | { kind: "zeros" }
  /** A counter's events per second. */
  | { kind: "perSecond" }
  /** The last sample (a gauge's current value). */
  | { kind: "last" };

/** A tag condition: equal/unequal to a fixed value, or matching a dashboard variable's selection. */
export type TagFilter =
  | { tag: string; op: "=" | "!="; value: string }
  /** The variable's selection; `single` for a single-value variable without All (matched whole, no group). */
  | { tag: string; variable: string; single?: boolean };

/** How the legend names a series: by the statistic's name, by a tag's value, or by both ("sse p95"). */
export type Legend = { kind: "column" } | { kind: "tag"; tag: string } | { kind: "tagColumn"; tag: string };

export interface Selected {
  stat: Statistic;
  /** The series' name in the legend (InfluxQL: the column's AS name). */
  as: string;
}

export interface QuerySpec {
  /** A k6 metric name (k6/src/metric-catalog.ts). */
  metric: string;
  select: Selected[];
  /** Conditions besides the run (`testid`) and the time range, which every renderer adds itself. */
  filters: TagFilter[];
  groupBy: string[];
  /** Intervals with no sample read 0 (counters), instead of a gap. */
  fillZero: boolean;
  /** Unset: by the grouped tag (and the column when there are several statistics), else by the column. */
  legend?: Legend;
  /**
   * Read from the InfluxDB rollup of this trend (tools/rollup/spec.ts) instead of the raw points. A hint for the
   * InfluxQL renderer only: the rollup exists because InfluxQL's percentile() re-sorts every raw point on every
   * refresh; PromQL reads k6's native histogram directly, at the same cost whatever the run's length.
   */
  influxRollup?: boolean;
}

export interface MetricInfo {
  name: string;
  type: MetricType;
  /** A trend of durations (ms in k6, seconds in Prometheus). */
  isTime: boolean;
}

const CATALOG: ReadonlyMap<string, MetricInfo> = new Map(
  [...builtinMetrics(), ...customMetrics()].map((m) => [
    m.name,
    { name: m.name, type: m.type, isTime: "isTime" in m && m.isTime === true },
  ]),
);

/** The metric's k6 type (throws on a name the catalog does not know: a typo must fail generation). */
export function metricInfo(name: string): MetricInfo {
  const info = CATALOG.get(name);
  if (info === undefined) throw new Error(`unknown k6 metric "${name}" (k6/src/metric-catalog.ts)`);
  return info;
}

/** The dashboard variables that narrow a metric: scenario (unless k6 emits it outside scenarios) and endpoint. */
export function scopeFilters(metric: string): TagFilter[] {
  const filters: TagFilter[] = [];
  if (!UNSCOPED_METRICS.has(metric)) filters.push({ tag: "scenario", variable: "scenario" });
  if (ENDPOINT_TAGGED.has(metric)) filters.push({ tag: "endpoint", variable: "endpoint" });
  return filters;
}

/** A spec builder in the style of the InfluxQL one: `query(metric).select(...).groupBy(tag).fill0().legend...`. */
export class Query {
  readonly spec: QuerySpec;

  constructor(metric: string, filters: TagFilter[] = scopeFilters(metric)) {
    metricInfo(metric);
    this.spec = { metric, select: [], filters: [...filters], groupBy: [], fillZero: false };
  }

  select(stat: Statistic, as: string): this {
    this.spec.select.push({ stat, as });
    return this;
  }

  where(tag: string, value: string): this {
    this.spec.filters.push({ tag, op: "=", value });
    return this;
  }

  whereNot(tag: string, value: string): this {
    this.spec.filters.push({ tag, op: "!=", value });
    return this;
  }

  groupBy(tag: string): this {
    this.spec.groupBy.push(tag);
    return this;
  }

  fillZero(): this {
    this.spec.fillZero = true;
    return this;
  }

  legend(legend: Legend): this {
    this.spec.legend = legend;
    return this;
  }

  rollup(): this {
    this.spec.influxRollup = true;
    return this;
  }
}

/** The spec's legend: as set, else by the grouped tag (and the column when there are several statistics). */
export function legendOf(spec: QuerySpec): Legend {
  if (spec.legend !== undefined) return spec.legend;
  const tag = spec.groupBy[0];
  if (tag === undefined) return { kind: "column" };
  return spec.select.length > 1 ? { kind: "tagColumn", tag } : { kind: "tag", tag };
}

/** A query on one metric, narrowed by the variables that apply to its tags. */
export const query = (metric: string, filters?: TagFilter[]): Query => new Query(metric, filters);

export const percentileStat = (n: number): Statistic => ({ kind: "percentile", n });
