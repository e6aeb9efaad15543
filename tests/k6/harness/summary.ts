// k6's end-of-test arithmetic over recorded samples: metric sinks (counter, gauge, rate, trend — percentiles by
// linear interpolation as k6's TrendSink), threshold expressions on metrics and sub-metrics, and the summary
// object k6 hands to handleSummary. Lets tests judge a harness run exactly as k6 would judge the real one.
import { builtinMetrics, customMetrics } from "../../../k6/src/metric-catalog";
import {
  splitKey as parseKey,
  type SummaryData,
  type SummaryGroup,
  type SummaryMetric,
} from "../../../k6/src/reports/summary-data";
import { aggregate, holds, metricType, parseThreshold } from "../../../tools/thresholds/arithmetic";
import type { DeclaredMetric, MetricSample } from "./types";

// k6's arithmetic lives with the global threshold evaluator (tools/thresholds), which judges InfluxDB samples with it.
export {
  aggregate,
  holds,
  metricType,
  parseThreshold,
  percentile,
  type ParsedThreshold,
} from "../../../tools/thresholds/arithmetic";

export const DEFAULT_TREND_STATS = ["avg", "min", "med", "max", "p(90)", "p(95)"];

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

function contains(metric: string, declared: ReadonlyArray<DeclaredMetric>): SummaryMetric["contains"] {
  if (metric === "data_sent" || metric === "data_received") return "data";
  const known =
    declared.find((m) => m.name === metric) ??
    builtinMetrics().find((m) => m.name === metric) ??
    customMetrics().find((m) => m.name === metric);
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
