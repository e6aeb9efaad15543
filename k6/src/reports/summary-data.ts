// The part of k6's end-of-test summary object (the argument of handleSummary) the reports read.
// Pure types and helpers; no k6 imports, so the renderers run in Node tests too.

import { customMetrics } from "../metric-catalog";

export interface SummaryMetric {
  type: "counter" | "gauge" | "rate" | "trend";
  contains: "default" | "time" | "data";
  values: Record<string, number>;
  thresholds?: Record<string, { ok: boolean }>;
  /**
   * Set by the reports (never by k6) on a custom counter k6 left out because it got no sample: k6 omits such
   * metrics from its summary, and the reports add them back as count 0 / rate 0 so "no timeouts" reads as 0.
   */
  synthesized?: true;
}

export interface SummaryCheck {
  name: string;
  path: string;
  passes: number;
  fails: number;
}

export interface SummaryGroup {
  name: string;
  path: string;
  groups: SummaryGroup[];
  checks: SummaryCheck[];
}

export interface SummaryData {
  metrics: Record<string, SummaryMetric>;
  root_group: SummaryGroup;
  state: { testRunDurationMs: number; isStdOutTTY?: boolean; isStdErrTTY?: boolean };
  options?: { summaryTrendStats?: string[]; summaryTimeUnit?: string; noColor?: boolean };
  setup_data?: unknown;
}

export interface ThresholdResult {
  /** Metric key as in options.thresholds, e.g. `http_req_duration{endpoint:status}`. */
  key: string;
  metric: string;
  condition: string;
  ok: boolean;
  /** The value the condition was judged on (from the summary), when the summary carries it. */
  observed: number | null;
  /** Which statistic `observed` is, e.g. `p(95)`, `rate`, `count`. */
  statistic: string;
  /**
   * The metric got no sample: k6 still judged the condition (on 0), but `observed` means nothing. Trends (count 0)
   * and rates (no passes, no fails) only; a counter's 0 is a real observation ("no timeouts").
   */
  noSamples: boolean;
  type: SummaryMetric["type"];
  isTime: boolean;
}

/** `p(95)<500` → `p(95)`; `rate>0.99` → `rate`. */
export function conditionStatistic(condition: string): string {
  const match = /^\s*([a-z]+(?:\(\d+(?:\.\d+)?\))?)/i.exec(condition);
  return match && match[1] !== undefined ? match[1] : condition;
}

export function splitKey(key: string): { metric: string; tags: Record<string, string> } {
  const brace = key.indexOf("{");
  if (brace < 0) return { metric: key, tags: {} };
  const tags: Record<string, string> = {};
  for (const pair of key.slice(brace + 1, key.lastIndexOf("}")).split(",")) {
    const colon = pair.indexOf(":");
    if (colon > 0) tags[pair.slice(0, colon).trim()] = pair.slice(colon + 1).trim();
  }
  return { metric: key.slice(0, brace), tags };
}

/** Every threshold condition in the summary, in a stable order (metric key, then condition). */
export function thresholdResults(data: SummaryData): ThresholdResult[] {
  const results: ThresholdResult[] = [];
  for (const key of Object.keys(data.metrics).sort()) {
    const m = data.metrics[key];
    if (!m || !m.thresholds) continue;
    for (const condition of Object.keys(m.thresholds)) {
      const statistic = conditionStatistic(condition);
      const observed = m.values[statistic];
      results.push({
        key,
        metric: splitKey(key).metric,
        condition,
        ok: m.thresholds[condition]?.ok === true,
        observed: typeof observed === "number" ? observed : null,
        statistic,
        noSamples: hasNoSamples(m),
        type: m.type,
        isTime: m.contains === "time",
      });
    }
  }
  return results;
}

export function allChecks(group: SummaryGroup): SummaryCheck[] {
  const checks = [...group.checks];
  for (const child of group.groups) checks.push(...allChecks(child));
  return checks;
}

export interface Breakdown {
  label: string;
  key: string;
  values: Record<string, number>;
}

/** Sub-metrics of `metric` split by one tag, e.g. http_req_duration by endpoint. Only those with samples. */
export function breakdownBy(data: SummaryData, metric: string, tag: string): Breakdown[] {
  const rows: Breakdown[] = [];
  for (const [key, m] of Object.entries(data.metrics)) {
    const parsed = splitKey(key);
    const tags = Object.keys(parsed.tags);
    if (parsed.metric !== metric || tags.length !== 1 || tags[0] !== tag) continue;
    const label = parsed.tags[tag] ?? key;
    if ((m.values.count ?? 0) > 0 || (m.values.max ?? 0) > 0) rows.push({ label, key, values: m.values });
  }
  return rows.sort((a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
}

/**
 * k6's verdict (any failed condition fails the run) and how the conditions split: met (held, on samples), failed
 * (k6 failed them, with or without samples), and without samples (held only because k6 judged an empty metric as 0).
 */
export function verdict(data: SummaryData): {
  passed: boolean;
  failed: number;
  met: number;
  noSamples: number;
  total: number;
} {
  const results = thresholdResults(data);
  const failed = results.filter((r) => !r.ok).length;
  const noSamples = results.filter((r) => r.ok && r.noSamples).length;
  return { passed: failed === 0, failed, met: results.length - failed - noSamples, noSamples, total: results.length };
}

/**
 * True when the summary says the metric got no sample: a trend with count 0 (needs `count` in summaryTrendStats,
 * which the suite sets) or a rate with neither passes nor fails. Counters and gauges: false (0 is a value).
 */
export function hasNoSamples(m: SummaryMetric): boolean {
  if (m.type === "trend") return m.values.count === 0;
  if (m.type === "rate") return m.values.passes === 0 && m.values.fails === 0;
  return false;
}

/** The catalog's counters, which the reports always show (as 0 when k6 left them out). */
export function customCounters(): string[] {
  return customMetrics()
    .filter((m) => m.type === "counter")
    .map((m) => m.name);
}

/**
 * The summary with every custom counter k6 omitted (no sample during the run) added in k6's counter shape,
 * `{ type: "counter", contains: "default", values: { count: 0, rate: 0 } }`, plus `synthesized: true`. Trends,
 * rates and gauges without samples are not added: they have no value to show. The input is not modified.
 */
export function withZeroCounters(data: SummaryData): SummaryData {
  const missing = customCounters().filter((name) => data.metrics[name] === undefined);
  if (missing.length === 0) return data;
  const metrics: Record<string, SummaryMetric> = { ...data.metrics };
  for (const name of missing) {
    metrics[name] = { type: "counter", contains: "default", values: { count: 0, rate: 0 }, synthesized: true };
  }
  return { ...data, metrics };
}

/** A statistic for people: rates as percentages, times in ms/s, counts as integers, per-second rates with /s. */
export function formatValue(
  value: number | null | undefined,
  type: SummaryMetric["type"],
  isTime: boolean,
  statistic: string,
): string {
  if (value === null || value === undefined) return "n/a";
  if (type === "rate" && statistic === "rate") return `${(value * 100).toFixed(2)}%`;
  if (type === "counter" && statistic === "rate") return `${value.toFixed(2)}/s`;
  if (isTime && statistic !== "count") return value >= 1000 ? `${(value / 1000).toFixed(2)}s` : `${value.toFixed(2)}ms`;
  return Number.isInteger(value) ? String(value) : value.toFixed(3);
}
