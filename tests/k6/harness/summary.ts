// k6's end-of-test arithmetic over recorded samples: metric sinks (counter, gauge, rate, trend — percentiles by
// linear interpolation as k6's TrendSink), threshold expressions on metrics and sub-metrics, and the summary
// object k6 hands to handleSummary. Lets tests judge a harness run exactly as k6 would judge the real one.
import { BUILTIN_METRICS, CUSTOM_METRICS } from "../../../k6/src/metric-catalog";
import {
  splitKey as parseKey,
  type SummaryData,
  type SummaryGroup,
  type SummaryMetric,
} from "../../../k6/src/reports/summary-data";
import type { DeclaredMetric, MetricSample } from "./types";

export const DEFAULT_TREND_STATS = ["avg", "min", "med", "max", "p(90)", "p(95)"];

/** k6's TrendSink.P: linear interpolation between the closest ranks. */
export function percentile(sorted: ReadonlyArray<number>, pct: number): number {
  if (sorted.length === 0) return 0;
  if (sorted.length === 1) return sorted[0] ?? 0;
  const i = pct * (sorted.length - 1);
  const lo = sorted[Math.floor(i)] ?? 0;
  const hi = sorted[Math.ceil(i)] ?? 0;
  return lo + (hi - lo) * (i - Math.floor(i));
}

/** Aggregated values of one (sub-)metric, every statistic a threshold may name. */
export function aggregate(
  type: MetricSample["type"],
  values: ReadonlyArray<number>,
  durationMs: number,
): (stat: string) => number {
  if (type === "counter") {
    const count = values.reduce((a, b) => a + b, 0);
    return (stat) => (stat === "count" ? count : stat === "rate" ? count / Math.max(durationMs / 1000, 1e-9) : NaN);
  }
  if (type === "gauge") {
    const last = values.length > 0 ? (values[values.length - 1] ?? 0) : 0;
    const min = values.length > 0 ? Math.min(...values) : 0;
    const max = values.length > 0 ? Math.max(...values) : 0;
    return (stat) => (stat === "value" ? last : stat === "min" ? min : stat === "max" ? max : NaN);
  }
  if (type === "rate") {
    const passes = values.filter((v) => v !== 0).length;
    const rate = values.length > 0 ? passes / values.length : 0;
    return (stat) =>
      stat === "rate" ? rate : stat === "passes" ? passes : stat === "fails" ? values.length - passes : NaN;
  }
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return (stat) => {
    if (stat === "avg") return sorted.length > 0 ? sum / sorted.length : 0;
    if (stat === "min") return sorted[0] ?? 0;
    if (stat === "max") return sorted[sorted.length - 1] ?? 0;
    if (stat === "med") return percentile(sorted, 0.5);
    if (stat === "count") return sorted.length;
    const p = /^p\((\d+(?:\.\d+)?)\)$/.exec(stat);
    return p ? percentile(sorted, Number(p[1]) / 100) : NaN;
  };
}

export interface ParsedThreshold {
  statistic: string;
  operator: string;
  limit: number;
}

const EXPRESSION =
  /^\s*(count|rate|value|avg|min|max|med|p\(\d+(?:\.\d+)?\))\s*(<=|>=|===|==|!=|<|>)\s*(-?\d+(?:\.\d+)?)\s*$/;

export function parseThreshold(expression: string): ParsedThreshold {
  const match = EXPRESSION.exec(expression);
  if (!match || match[1] === undefined || match[2] === undefined || match[3] === undefined) {
    throw new Error(`"${expression}" is not a k6 threshold expression`);
  }
  return { statistic: match[1], operator: match[2], limit: Number(match[3]) };
}

export function holds(value: number, operator: string, limit: number): boolean {
  switch (operator) {
    case "<":
      return value < limit;
    case "<=":
      return value <= limit;
    case ">":
      return value > limit;
    case ">=":
      return value >= limit;
    case "==":
    case "===":
      return value === limit;
    default:
      return value !== limit;
  }
}

function matching(
  samples: ReadonlyArray<MetricSample>,
  key: string,
): { type: MetricSample["type"] | undefined; values: number[] } {
  const { metric, tags } = parseKey(key);
  const wanted = Object.entries(tags);
  let type: MetricSample["type"] | undefined;
  const values: number[] = [];
  for (const s of samples) {
    if (s.metric !== metric) continue;
    type = s.type;
    if (wanted.every(([k, v]) => s.tags[k] === v)) values.push(s.value);
  }
  return { type, values };
}

export interface ThresholdOutcome {
  key: string;
  expression: string;
  ok: boolean;
  observed: number;
  samples: number;
}

type ThresholdSpec = string | { threshold: string };

/** Evaluate `options.thresholds` over samples as k6's final evaluation does (empty sinks included). */
export function evaluateThresholds(
  samples: ReadonlyArray<MetricSample>,
  thresholds: Readonly<Record<string, ReadonlyArray<ThresholdSpec>>>,
  durationMs: number,
  typeOf: (metric: string) => MetricSample["type"] | undefined = metricType,
): ThresholdOutcome[] {
  const outcomes: ThresholdOutcome[] = [];
  for (const [key, specs] of Object.entries(thresholds)) {
    const found = matching(samples, key);
    const type = found.type ?? typeOf(parseKey(key).metric);
    if (type === undefined) throw new Error(`threshold on unknown metric ${key}`);
    const stat = aggregate(type, found.values, durationMs);
    for (const spec of specs) {
      const expression = typeof spec === "string" ? spec : spec.threshold;
      const t = parseThreshold(expression);
      const observed = stat(t.statistic);
      if (Number.isNaN(observed)) throw new Error(`${key}: "${t.statistic}" does not apply to a ${type}`);
      outcomes.push({
        key,
        expression,
        ok: holds(observed, t.operator, t.limit),
        observed,
        samples: found.values.length,
      });
    }
  }
  return outcomes;
}

export function metricType(metric: string): MetricSample["type"] | undefined {
  return CUSTOM_METRICS.find((m) => m.name === metric)?.type ?? BUILTIN_METRICS.find((m) => m.name === metric)?.type;
}

function contains(metric: string, declared: ReadonlyArray<DeclaredMetric>): SummaryMetric["contains"] {
  if (metric === "data_sent" || metric === "data_received") return "data";
  const known =
    declared.find((m) => m.name === metric) ??
    BUILTIN_METRICS.find((m) => m.name === metric) ??
    CUSTOM_METRICS.find((m) => m.name === metric);
  return known && "isTime" in known && known.isTime ? "time" : "default";
}

function groupTree(samples: ReadonlyArray<MetricSample>): SummaryGroup {
  const root: SummaryGroup = { name: "", path: "", groups: [], checks: [] };
  const byPath = new Map<string, SummaryGroup>([["", root]]);
  const groupAt = (path: string): SummaryGroup => {
    const existing = byPath.get(path);
    if (existing) return existing;
    const cut = path.lastIndexOf("::");
    const parent = groupAt(path.slice(0, cut));
    const g: SummaryGroup = { name: path.slice(cut + 2), path, groups: [], checks: [] };
    parent.groups.push(g);
    byPath.set(path, g);
    return g;
  };
  for (const s of samples) {
    if (s.metric !== "checks") continue;
    const group = groupAt(s.tags.group ?? "");
    const name = s.tags.check ?? "";
    let c = group.checks.find((x) => x.name === name);
    if (!c) {
      c = { name, path: `${group.path}::${name}`, passes: 0, fails: 0 };
      group.checks.push(c);
    }
    if (s.value !== 0) c.passes++;
    else c.fails++;
  }
  return root;
}

/** The object k6 passes to handleSummary, computed from samples (thresholds judged with evaluateThresholds). */
export function buildSummary(
  samples: ReadonlyArray<MetricSample>,
  options: { thresholds?: Record<string, ReadonlyArray<ThresholdSpec>>; summaryTrendStats?: string[] },
  durationMs: number,
  declared: ReadonlyArray<DeclaredMetric> = [],
): SummaryData {
  const trendStats = options.summaryTrendStats ?? DEFAULT_TREND_STATS;
  const metrics: Record<string, SummaryMetric> = {};
  const describe = (key: string, type: MetricSample["type"], values: number[]): SummaryMetric => {
    const stat = aggregate(type, values, durationMs);
    const stats =
      type === "trend"
        ? trendStats
        : type === "counter"
          ? ["count", "rate"]
          : type === "gauge"
            ? ["value", "min", "max"]
            : ["rate", "passes", "fails"];
    return {
      type,
      contains: contains(parseKey(key).metric, declared),
      values: Object.fromEntries(stats.map((s) => [s, stat(s)])),
    };
  };
  const names = [...new Set(samples.map((s) => s.metric))];
  for (const name of names) {
    const found = matching(samples, name);
    if (found.type) metrics[name] = describe(name, found.type, found.values);
  }
  const outcomes = evaluateThresholds(samples, options.thresholds ?? {}, durationMs);
  for (const key of Object.keys(options.thresholds ?? {})) {
    const found = matching(samples, key);
    const type = found.type ?? metricType(parseKey(key).metric);
    if (!type) continue;
    const m = metrics[key] ?? describe(key, type, found.values);
    m.thresholds = Object.fromEntries(outcomes.filter((o) => o.key === key).map((o) => [o.expression, { ok: o.ok }]));
    metrics[key] = m;
  }
  return {
    metrics,
    root_group: groupTree(samples),
    state: { testRunDurationMs: durationMs, isStdOutTTY: false, isStdErrTTY: false },
    options: { summaryTrendStats: trendStats, summaryTimeUnit: "", noColor: true },
  };
}
