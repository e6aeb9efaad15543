// One side of a comparison, whatever it was read from: per metric key (`http_req_duration{endpoint:messages}`) the
// statistics k6's summary has (count, avg, med, p(95), rate, passes, …) and, when read from InfluxDB, the sorted
// samples of every trend (what the bootstrap resamples); plus the run's threshold results.
import { customMetrics } from "../../k6/src/metric-catalog";
import { SCENARIO_NAMES } from "../../k6/src/names";
import {
  conditionStatistic,
  hasNoSamples,
  splitKey,
  thresholdResults,
  withZeroCounters,
  type SummaryData,
} from "../../k6/src/reports/summary-data";
import { buildK6Thresholds, thresholdTable, thresholdKey } from "../../k6/src/thresholds";
import { metricSpec, trendStats } from "../store/influx";
import type { KeyFilter, KeyStats, RunSpan, RunStore, StoreKind } from "../store/types";
import { holds as k6Holds, parseThreshold } from "../thresholds/arithmetic";

export { metricSpec, trendStats, type KeyStats };

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
  /** Where the numbers come from: a store's points, or a summary.json (aggregates only). */
  source: StoreKind | "summary";
  durationMs: number | null;
  /** Keys with samples (custom counters always, as 0 when none, like the reports). */
  metrics: Map<string, KeyStats>;
  thresholds: ThresholdOutcome[];
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

// ---- from a store (InfluxDB, Prometheus) -------------------------------------------------------------------------

/** The tagged keys k6's summary would carry: every threshold row's, plus each endpoint's and scenario's latency. */
const SUMMARY_KEYS: ReadonlyArray<string> = Object.keys(buildK6Thresholds(thresholdTable(), SCENARIO_NAMES));

function keysFor(metric: string): KeyFilter[] {
  const keys = new Map<string, Record<string, string>>([[metric, {}]]);
  for (const key of SUMMARY_KEYS) {
    const parsed = splitKey(key);
    if (parsed.metric === metric) keys.set(key, parsed.tags);
  }
  return [...keys].map(([key, tags]) => ({ key, tags }));
}

export interface StoreLoadOptions {
  /** Called after each page with the samples read so far (progress on long runs). */
  onProgress?: (metric: string, read: number) => void;
}

export async function fromStore(
  store: RunStore,
  testid: string,
  input: string,
  options: StoreLoadOptions = {},
): Promise<RunData & { info: RunSpan }> {
  const info = await store.runInfo(testid);
  const metrics = new Map<string, KeyStats>();
  for (const metric of info.measurements) {
    if (!metricSpec(metric)) continue;
    const stats = await store.keyStats(testid, metric, keysFor(metric), info, options);
    for (const [key, value] of stats) metrics.set(key, value);
  }
  // As the reports do: a custom counter without samples is a 0, not "no data".
  for (const spec of customMetrics()) {
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
    source: store.kind,
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

/** thresholdTable() judged on a run's statistics (rows whose metric got no sample are left out, as k6 would). */
function evaluateTable(metrics: Map<string, KeyStats>): ThresholdOutcome[] {
  const out: ThresholdOutcome[] = [];
  for (const row of thresholdTable()) {
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
