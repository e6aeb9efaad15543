// The InfluxDB store: every sample is kept (xk6-output-influxdb's schema, tools/influx), so each statistic is k6's
// exact one and trends come with their samples (what the compare's bootstrap resamples).
import { customMetrics, builtinMetrics } from "../../k6/src/metric-catalog";
import { percentileOf, percentileSorted } from "../compare/stats";
import { InfluxError, type InfluxReader } from "../influx/index";
import { StoreError, type KeyFilter, type KeyStats, type KeyStatsOptions, type RunSpan, type RunStore } from "./types";

/** k6's summary statistics of a trend. */
export const TREND_STATS = ["avg", "min", "med", "max", "p(90)", "p(95)", "p(99)"] as const;

export function metricSpec(metric: string): { type: KeyStats["type"]; isTime: boolean } | undefined {
  const spec = [...customMetrics(), ...builtinMetrics()].find((m) => m.name === metric);
  if (!spec) return undefined;
  return { type: spec.type, isTime: "isTime" in spec && spec.isTime === true };
}

/** k6's statistics of a trend from its sorted samples (percentiles as k6's TrendSink: linear between ranks). */
export function trendStats(sorted: Float64Array, isTime: boolean, extra: readonly string[] = []): KeyStats {
  let sum = 0;
  for (const v of sorted) sum += v;
  const values: Record<string, number> = { count: sorted.length };
  for (const stat of [...TREND_STATS, ...extra]) {
    if (stat === "avg") values.avg = sum / sorted.length;
    else if (stat === "min") values.min = sorted[0] ?? 0;
    else if (stat === "max") values.max = sorted[sorted.length - 1] ?? 0;
    else if (stat === "count") values.count = sorted.length;
    else {
      const p = percentileOf(stat);
      if (p !== undefined) values[stat] = percentileSorted(sorted, p);
    }
  }
  return { type: "trend", isTime, values, sorted };
}

const matches = (tags: Record<string, string>, filter: Record<string, string>): boolean =>
  Object.entries(filter).every(([k, v]) => tags[k] === v);

/** InfluxError → StoreError with the same kind and line. */
async function translated<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof InfluxError) throw new StoreError(error.kind, error.message);
    throw error;
  }
}

export function createInfluxStore(reader: InfluxReader): RunStore {
  async function keyStats(
    testid: string,
    metric: string,
    keys: readonly KeyFilter[],
    info: RunSpan,
    options: KeyStatsOptions = {},
  ): Promise<Map<string, KeyStats>> {
    const out = new Map<string, KeyStats>();
    const spec = metricSpec(metric);
    if (!spec || !info.measurements.includes(metric)) return out;
    // One key (a threshold row): InfluxDB filters by its tags; several (a compare side): one pass, split here.
    const only = keys.length === 1 ? keys[0] : undefined;
    const tagKeys = only ? [] : [...new Set(keys.flatMap((k) => Object.keys(k.tags)))];
    const filter = only ? { tags: only.tags } : {};
    if (spec.type === "trend") {
      const buckets = keys.map(() => ({ values: [] as number[], rel: [] as number[] }));
      const span = info.durationMs + 1;
      let read = 0;
      for await (const page of reader.samples(testid, metric, {
        ...filter,
        tagKeys,
        start: info.start,
        end: info.end,
      })) {
        for (const s of page) {
          keys.forEach((k, i) => {
            const bucket = buckets[i];
            if (bucket && (only !== undefined || matches(s.tags, k.tags))) {
              bucket.values.push(s.value);
              bucket.rel.push((s.time - info.start) / span);
            }
          });
        }
        read += page.length;
        options.onProgress?.(metric, read);
      }
      keys.forEach((k, i) => {
        const bucket = buckets[i];
        if (!bucket || bucket.values.length === 0) return;
        const values = Float64Array.from(bucket.values);
        const stats = trendStats(Float64Array.from(values).sort(), spec.isTime, options.statistics);
        if (options.withSamples === false) delete stats.sorted;
        else stats.timed = { values, rel: Float64Array.from(bucket.rel) };
        out.set(k.key, stats);
      });
      return out;
    }
    const durationS = Math.max(info.durationMs / 1000, 1e-9);
    const groups = await reader.totals(testid, metric, { ...filter, groupBy: tagKeys });
    for (const k of keys) {
      const inKey = only ? groups : groups.filter((g) => matches(g.tags, k.tags));
      if (inKey.length === 0) continue;
      const count = inKey.reduce((n, g) => n + g.count, 0);
      const sum = inKey.reduce((n, g) => n + g.sum, 0);
      if (spec.type === "rate") {
        // k6 Rate samples are 0/1: the sum is the passes.
        out.set(k.key, {
          type: "rate",
          isTime: false,
          values: { rate: count > 0 ? sum / count : 0, passes: sum, fails: count - sum },
        });
      } else if (spec.type === "counter") {
        out.set(k.key, { type: "counter", isTime: false, values: { count: sum, rate: sum / durationS } });
      } else {
        const min = Math.min(...inKey.map((g) => g.min));
        const max = Math.max(...inKey.map((g) => g.max));
        out.set(k.key, { type: "gauge", isTime: false, values: { value: max, min, max } });
      }
    }
    return out;
  }

  return {
    kind: "influx",
    description: `InfluxDB at ${reader.config.url}`,
    keepsSamples: true,
    listTestIds: () => translated(() => reader.listTestIds()),
    runInfo: (testid) => translated(() => reader.runInfo(testid)),
    keyStats: (testid, metric, keys, info, options) => translated(() => keyStats(testid, metric, keys, info, options)),
  };
}
