// k6's end-of-test arithmetic, shared by the harness (tests/k6/harness/summary.ts judges a harness run as k6 would)
// and the global threshold evaluator (tools/thresholds judges every runner's samples in InfluxDB together): metric
// sinks (counter, gauge, rate, trend — percentiles by linear interpolation as k6's TrendSink) and threshold
// expressions.
import { builtinMetrics, customMetrics, type MetricType } from "../../k6/src/metric-catalog";

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
  type: MetricType,
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

export function metricType(metric: string): MetricType | undefined {
  return customMetrics().find((m) => m.name === metric)?.type ?? builtinMetrics().find((m) => m.name === metric)?.type;
}
