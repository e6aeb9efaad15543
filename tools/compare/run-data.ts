// One side of a comparison, whatever it was read from: per metric key (`http_req_duration{endpoint:messages}`) the
// statistics k6's summary has (count, avg, med, p(95), rate, passes, …) and, when read from InfluxDB, the sorted
// samples of every trend (what the bootstrap resamples); plus the run's threshold results.
import { BUILTIN_METRICS, CUSTOM_METRICS, type MetricType } from "../../k6/src/metric-catalog";
import { SCENARIO_NAMES } from "../../k6/src/names";
import {
  conditionStatistic,
  hasNoSamples,
  splitKey,
  thresholdResults,
  withZeroCounters,
  type SummaryData,
} from "../../k6/src/reports/summary-data";
import { buildK6Thresholds, THRESHOLD_TABLE, thresholdKey } from "../../k6/src/thresholds";
import type { InfluxReader, RunInfo } from "../influx/index";
import { holds as k6Holds, parseThreshold } from "../thresholds/arithmetic";
import { percentileSorted } from "./stats";

export interface KeyStats {
  type: MetricType;
  isTime: boolean;
  /** k6 summary statistics: trends count/avg/min/med/max/p(90)/p(95)/p(99); rates rate/passes/fails; counters count/rate; gauges value/min/max. */
  values: Record<string, number>;
  /** Every sample, ascending (trends read from InfluxDB only). */
  sorted?: Float64Array;
  /** The same samples in time order with their relative time in the run, 0 (start) ≤ rel < 1 (end): the blocks of the block bootstrap. */
  timed?: { values: Float64Array; rel: Float64Array };
}

export interface ThresholdOutcome {
  key: string;
  condition: string;
  /** null: the run judged nothing (no samples). */
  ok: boolean | null;
}

export interface RunData {
  /** What the user passed. */
  input: string;
  /** Short name for headings and the output folder: the testid when known. */
  label: string;
  testid: string | null;
  profile: string | null;
  /** The run's configuration line (summary.json setup_data.config), when known. */
  config: string | null;
  source: "influx" | "summary";
  durationMs: number | null;
  /** Keys with samples (custom counters always, as 0 when none, like the reports). */
  metrics: Map<string, KeyStats>;
  thresholds: ThresholdOutcome[];
}

const TREND_STATS = ["avg", "min", "med", "max", "p(90)", "p(95)", "p(99)"] as const;

export function metricSpec(metric: string): { type: MetricType; isTime: boolean } | undefined {
  const spec = [...CUSTOM_METRICS, ...BUILTIN_METRICS].find((m) => m.name === metric);
  if (!spec) return undefined;
  return { type: spec.type, isTime: "isTime" in spec && spec.isTime === true };
}

/** `profile=local scenarios=… testid=…` → fields. */
export function parseConfigLine(config: string | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of (config ?? "").matchAll(/(\w+)=(\S+)/g)) if (m[1] && m[2]) out[m[1]] = m[2];
  return out;
}

// ---- from a summary.json ------------------------------------------------------------------------------------------

export function fromSummary(raw: SummaryData, input: string, fallbackLabel: string): RunData {
  const data = withZeroCounters(raw);
  const setup = (data.setup_data ?? {}) as { config?: unknown; testId?: unknown };
  const config = typeof setup.config === "string" ? setup.config : null;
  const fields = parseConfigLine(config);
  const testid = typeof setup.testId === "string" && setup.testId !== "" ? setup.testId : (fields.testid ?? null);
  const metrics = new Map<string, KeyStats>();
  for (const [key, m] of Object.entries(data.metrics)) {
    if (hasNoSamples(m)) continue;
    metrics.set(key, { type: m.type, isTime: m.contains === "time", values: { ...m.values } });
  }
  return {
    input,
    label: testid ?? fallbackLabel,
    testid,
    profile: fields.profile ?? null,
    config,
    source: "summary",
    durationMs: typeof data.state?.testRunDurationMs === "number" ? data.state.testRunDurationMs : null,
    metrics,
    thresholds: thresholdResults(data).map((r) => ({
      key: r.key,
      condition: r.condition,
      ok: r.noSamples ? null : r.ok,
    })),
  };
}

// ---- from InfluxDB ---------------------------------------------------------------------------------------------------

/** The tagged keys k6's summary would carry: every threshold row's, plus each endpoint's and scenario's latency. */
const SUMMARY_KEYS: ReadonlyArray<string> = Object.keys(buildK6Thresholds(THRESHOLD_TABLE, SCENARIO_NAMES));

function keysFor(metric: string): Array<{ key: string; tags: Record<string, string> }> {
  const keys = new Map<string, Record<string, string>>([[metric, {}]]);
  for (const key of SUMMARY_KEYS) {
    const parsed = splitKey(key);
    if (parsed.metric === metric) keys.set(key, parsed.tags);
  }
  return [...keys].map(([key, tags]) => ({ key, tags }));
}

const matches = (tags: Record<string, string>, filter: Record<string, string>): boolean =>
  Object.entries(filter).every(([k, v]) => tags[k] === v);

export function trendStats(sorted: Float64Array, isTime: boolean): KeyStats {
  let sum = 0;
  for (const v of sorted) sum += v;
  const values: Record<string, number> = { count: sorted.length };
  for (const stat of TREND_STATS) {
    if (stat === "avg") values.avg = sum / sorted.length;
    else if (stat === "min") values.min = sorted[0] ?? 0;
    else if (stat === "max") values.max = sorted[sorted.length - 1] ?? 0;
    else if (stat === "med") values.med = percentileSorted(sorted, 0.5);
    else values[stat] = percentileSorted(sorted, Number(/\d+/.exec(stat)?.[0]) / 100);
  }
  return { type: "trend", isTime, values, sorted };
}

export interface InfluxLoadOptions {
  /** Samples per query page and time window per run of pages (tools/influx samples()). */
  pageSize?: number;
  windowMs?: number;
  /** Called after each page with the samples read so far (progress on long runs). */
  onProgress?: (metric: string, read: number) => void;
}

export async function fromInflux(
  reader: InfluxReader,
  testid: string,
  input: string,
  options: InfluxLoadOptions = {},
): Promise<RunData & { info: RunInfo }> {
  const info = await reader.runInfo(testid);
  const metrics = new Map<string, KeyStats>();
  const durationS = Math.max(info.durationMs / 1000, 1e-9);
  for (const metric of info.measurements) {
    const spec = metricSpec(metric);
    if (!spec) continue;
    const keys = keysFor(metric);
    const tagKeys = [...new Set(keys.flatMap((k) => Object.keys(k.tags)))];
    if (spec.type === "trend") {
      const buckets = keys.map(() => ({ values: [] as number[], rel: [] as number[] }));
      const span = info.durationMs + 1;
      let read = 0;
      for await (const page of reader.samples(testid, metric, {
        tagKeys,
        start: info.start,
        end: info.end,
        ...(options.pageSize !== undefined ? { pageSize: options.pageSize } : {}),
        ...(options.windowMs !== undefined ? { windowMs: options.windowMs } : {}),
      })) {
        for (const s of page) {
          for (let i = 0; i < keys.length; i++) {
            const bucket = buckets[i];
            if (bucket && matches(s.tags, keys[i]?.tags ?? {})) {
              bucket.values.push(s.value);
              bucket.rel.push((s.time - info.start) / span);
            }
          }
        }
        read += page.length;
        options.onProgress?.(metric, read);
      }
      keys.forEach((k, i) => {
        const bucket = buckets[i];
        if (!bucket || bucket.values.length === 0) return;
        const values = Float64Array.from(bucket.values);
        const stats = trendStats(Float64Array.from(values).sort(), spec.isTime);
        stats.timed = { values, rel: Float64Array.from(bucket.rel) };
        metrics.set(k.key, stats);
      });
      continue;
    }
    const groups = await reader.totals(testid, metric, { groupBy: tagKeys });
    for (const k of keys) {
      const inKey = groups.filter((g) => matches(g.tags, k.tags));
      if (inKey.length === 0) continue;
      const count = inKey.reduce((n, g) => n + g.count, 0);
      const sum = inKey.reduce((n, g) => n + g.sum, 0);
      if (spec.type === "rate") {
        // k6 Rate samples are 0/1: the sum is the passes.
        metrics.set(k.key, {
          type: "rate",
          isTime: false,
          values: { rate: count > 0 ? sum / count : 0, passes: sum, fails: count - sum },
        });
      } else if (spec.type === "counter") {
        metrics.set(k.key, { type: "counter", isTime: false, values: { count: sum, rate: sum / durationS } });
      } else {
        const min = Math.min(...inKey.map((g) => g.min));
        const max = Math.max(...inKey.map((g) => g.max));
        metrics.set(k.key, { type: "gauge", isTime: false, values: { value: max, min, max } });
      }
    }
  }
  // As the reports do: a custom counter without samples is a 0, not "no data".
  for (const spec of CUSTOM_METRICS) {
    if (spec.type === "counter" && !metrics.has(spec.name)) {
      metrics.set(spec.name, { type: "counter", isTime: false, values: { count: 0, rate: 0 } });
    }
  }
  return {
    input,
    label: testid,
    testid,
    profile: info.profile,
    config: null,
    source: "influx",
    durationMs: info.durationMs,
    metrics,
    thresholds: evaluateTable(metrics),
    info,
  };
}

/** k6's verdict of one condition on a value (null when the condition is not a k6 expression). */
export function holds(condition: string, value: number): boolean | null {
  let parsed: ReturnType<typeof parseThreshold>;
  try {
    parsed = parseThreshold(condition);
  } catch {
    return null;
  }
  return k6Holds(value, parsed.operator, parsed.limit);
}

/** THRESHOLD_TABLE judged on a run's statistics (rows whose metric got no sample are left out, as k6 would). */
function evaluateTable(metrics: Map<string, KeyStats>): ThresholdOutcome[] {
  const out: ThresholdOutcome[] = [];
  for (const row of THRESHOLD_TABLE) {
    const key = thresholdKey(row);
    const stats = metrics.get(key);
    if (!stats) continue;
    for (const condition of row.conditions) {
      const value = stats.values[conditionStatistic(condition)];
      out.push({ key, condition, ok: value === undefined ? null : holds(condition, value) });
    }
  }
  return out;
}
