// The part of k6's end-of-test summary object (the argument of handleSummary) the reports read.
// Pure types and helpers; no k6 imports, so the renderers run in Node tests too.

export interface SummaryMetric {
  type: "counter" | "gauge" | "rate" | "trend";
  contains: "default" | "time" | "data";
  values: Record<string, number>;
  thresholds?: Record<string, { ok: boolean }>;
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

export function verdict(data: SummaryData): { passed: boolean; failed: number; total: number } {
  const results = thresholdResults(data);
  const failed = results.filter((r) => !r.ok).length;
  return { passed: failed === 0, failed, total: results.length };
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
