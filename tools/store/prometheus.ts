// The Prometheus store: what k6's `experimental-prometheus-rw` output wrote (tools/prometheus/README.md): per series
// a cumulative counter (`k6_<name>_total`), a gauge's last value (`k6_<name>`), a rate's cumulative fraction
// (`k6_<name>_rate`) and a trend as a native histogram (`k6_<name>_seconds` for times, else `k6_<name>`), one point
// per series per push. No sample is kept, so:
//   - counts, sums and averages are exact (a histogram's count and sum are);
//   - a percentile comes from the buckets (schema 3: each bucket's upper bound is 2^(1/8) ≈ 1.09 × its lower): k6's
//     exact value (linear between the two samples around the rank) is bounded by the buckets holding those two
//     samples — `bounds` says where;
//   - a rate combined from several series is exact when a counter with the same labels weighs each series
//     (http_req_failed by http_reqs); otherwise it lies between the smallest and the largest series' rate;
//   - the run's span is known to a push interval (each point carries its series' latest sample time).
import { PrometheusError } from "../prometheus/errors";
import type { HistogramValue, Labels, MatrixSeries, PromQueryClient, VectorSample } from "../prometheus/query";
import { percentileOf } from "../compare/stats";
import { metricSpec, TREND_STATS } from "./influx";
import { StoreError, type KeyFilter, type KeyStats, type KeyStatsOptions, type RunSpan, type RunStore } from "./types";

export interface PrometheusStoreOptions {
  /** k6's push interval (K6_PROMETHEUS_RW_PUSH_INTERVAL), the resolution of the run's span. Default 5 s. */
  pushIntervalMs?: number;
  /** How far back runs are looked for (at most the retention). Default 30 days. */
  lookbackS?: number;
  /** Now, in ms (tests). */
  now?: () => number;
}

const PROFILE_PREFIX = /^(smoke|local|staging|production)-/;

/** Float series that mark a run's first and last moments (see runInfo). */
const CLOCK_SERIES = ["k6_vus", "k6_data_sent_total", "k6_data_received_total"];

/** The series name k6's output gives a metric (tools/prometheus/README.md). */
export function seriesName(metric: string): string | undefined {
  const spec = metricSpec(metric);
  if (!spec) return undefined;
  if (spec.type === "counter") return `k6_${metric}_total`;
  if (spec.type === "rate") return `k6_${metric}_rate`;
  if (spec.type === "trend" && spec.isTime) return `k6_${metric}_seconds`;
  return `k6_${metric}`;
}

const escapeValue = (v: string): string => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

/** `name{testid="…",tag="…"}` */
export function selector(name: string, testid: string, tags: Record<string, string>): string {
  const matchers = [["testid", testid], ...Object.entries(tags)].map(([k, v]) => `${k}="${escapeValue(v ?? "")}"`);
  return `${name}{${matchers.join(",")}}`;
}

export interface Bucket {
  lower: number;
  upper: number;
  count: number;
}

function bucketsOf(h: HistogramValue, scale: number): Bucket[] {
  return h.buckets
    .map((b) => ({ lower: b.lower * scale, upper: b.upper * scale, count: b.count }))
    .filter((b) => b.count > 0)
    .sort((a, b) => a.lower - b.lower);
}

/**
 * The sum of histograms of one schema (k6 writes schema 3 everywhere), bucket by bucket. Done here rather than by
 * PromQL's sum(last_over_time(…)): Prometheus 2.42's last_over_time drops native histograms.
 */
export function sumHistograms(histograms: readonly HistogramValue[]): HistogramValue {
  const buckets = new Map<string, HistogramValue["buckets"][number]>();
  let count = 0;
  let sum = 0;
  for (const h of histograms) {
    count += h.count;
    sum += h.sum;
    for (const b of h.buckets) {
      const key = `${b.boundaryRule}:${b.lower}:${b.upper}`;
      const seen = buckets.get(key);
      buckets.set(key, seen ? { ...seen, count: seen.count + b.count } : { ...b });
    }
  }
  return { count, sum, buckets: [...buckets.values()] };
}

/** The bucket holding the 1-based rank. */
function bucketAt(buckets: readonly Bucket[], rank: number): { bucket: Bucket; before: number } {
  let before = 0;
  for (const bucket of buckets) {
    if (rank <= before + bucket.count) return { bucket, before };
    before += bucket.count;
  }
  const last = buckets[buckets.length - 1] as Bucket;
  return { bucket: last, before: before - last.count };
}

/**
 * k6's percentile (TrendSink: rank i = p·(n−1), value a + (b − a)·f with a = sorted[⌊i⌋], b = sorted[⌈i⌉],
 * f = i − ⌊i⌋) as far as buckets tell: an estimate (linear within the bucket, as histogram_quantile) and the
 * interval that surely holds the exact value — a and b each lie in their bucket, and f is known.
 */
export function percentileFromBuckets(
  buckets: readonly Bucket[],
  count: number,
  p: number,
): { value: number; low: number; high: number } {
  const i = p * (count - 1);
  const f = i - Math.floor(i);
  const a = bucketAt(buckets, Math.floor(i) + 1).bucket;
  const b = bucketAt(buckets, Math.ceil(i) + 1).bucket;
  const low = a.lower + (b.lower - a.lower) * f;
  const high = a.upper + (b.upper - a.upper) * f;
  const at = bucketAt(buckets, i + 1);
  const within = Math.min(Math.max((i + 1 - at.before) / at.bucket.count, 0), 1);
  const value = at.bucket.lower + (at.bucket.upper - at.bucket.lower) * within;
  return { value: Math.min(Math.max(value, low), high), low, high };
}

/** k6's trend statistics from a (summed) native histogram, in the metric's unit (ms for times). */
export function trendFromHistogram(h: HistogramValue, isTime: boolean, extra: readonly string[] = []): KeyStats {
  const scale = isTime ? 1000 : 1;
  const count = h.count;
  const sum = h.sum * scale;
  const buckets = bucketsOf(h, scale);
  const values: Record<string, number> = { count, avg: count > 0 ? sum / count : 0 };
  const bounds: Record<string, readonly [number, number]> = {};
  if (buckets.length > 0) {
    const first = buckets[0] as Bucket;
    const last = buckets[buckets.length - 1] as Bucket;
    values.min = first.lower;
    bounds.min = [first.lower, first.upper];
    values.max = last.upper;
    bounds.max = [last.lower, last.upper];
    for (const stat of [...TREND_STATS, ...extra]) {
      const p = percentileOf(stat);
      if (p === undefined) continue;
      const q = percentileFromBuckets(buckets, count, p);
      values[stat] = q.value;
      bounds[stat] = [q.low, q.high];
    }
  }
  return { type: "trend", isTime, values, bounds };
}

const labelKey = (labels: Labels): string =>
  Object.entries(labels)
    .filter(([k]) => k !== "__name__")
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(",");

/** Rates whose series a counter with the same labels weighs (k6 emits both for every request). */
const RATE_WEIGHTS: Readonly<Record<string, string>> = { http_req_failed: "http_reqs" };

const lastValue = (s: VectorSample): number => s.value ?? NaN;

/** PrometheusError → StoreError with one line. */
async function translated<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof PrometheusError) {
      throw new StoreError(error.kind === "unreachable" ? "unreachable" : "query", error.message);
    }
    throw error;
  }
}

export function createPrometheusStore(api: PromQueryClient, options: PrometheusStoreOptions = {}): RunStore {
  const pushS = (options.pushIntervalMs ?? 5000) / 1000;
  const lookbackS = options.lookbackS ?? 30 * 24 * 3600;
  const now = options.now ?? (() => Date.now());
  const where = `Prometheus at ${api.config.url}`;
  const ask = (promql: string, timeS: number): Promise<VectorSample[]> => api.vector(promql, { timeMs: timeS * 1000 });
  /** Raw points of a range selector at `timeS` (an instant query of `sel[R]`). */
  const points = async (promql: string, timeS: number): Promise<MatrixSeries[]> => {
    const answer = await api.query(promql, { timeMs: timeS * 1000 });
    return answer.resultType === "matrix" ? answer.result : [];
  };

  async function runInfo(testid: string): Promise<RunSpan> {
    const endS = now() / 1000;
    const labelSets = await api.series(`{testid="${escapeValue(testid)}"}`, {
      startMs: (endS - lookbackS) * 1000,
      endMs: endS * 1000,
    });
    if (labelSets.length === 0) {
      throw new StoreError("unknown-testid", `unknown testid "${testid}": no series in ${where}`);
    }
    const names = new Set(labelSets.map((l) => l.__name__ ?? ""));
    const catalog = new Map<string, string>();
    for (const metric of names) {
      for (const candidate of candidatesOf(metric))
        if (seriesName(candidate) === metric) catalog.set(metric, candidate);
    }
    // The span: the first and last point of float series every run has and that see its first and last moments —
    // the vus gauge (pushed all run long) and the bytes counters (every request, setup's and teardown's too). A few
    // series with few points each, not the histograms.
    const clocks = CLOCK_SERIES.filter((n) => names.has(n));
    if (clocks.length === 0) clocks.push([...names][0] as string);
    const clockPoints = await points(
      `{__name__=~"${clocks.join("|")}",testid="${escapeValue(testid)}"}[${Math.ceil(lookbackS)}s]`,
      endS,
    );
    const times = clockPoints.flatMap((s) => [...s.values, ...s.histograms].map((p) => p.time));
    const start = Math.min(...times);
    const end = Math.max(...times);
    const profile = labelSets.find((l) => l.profile)?.profile ?? PROFILE_PREFIX.exec(testid)?.[1] ?? null;
    return {
      testid,
      start,
      end,
      durationMs: end - start,
      measurements: [...new Set(catalog.values())].sort(),
      profile,
    };
  }

  async function keyStats(
    testid: string,
    metric: string,
    keys: readonly KeyFilter[],
    info: RunSpan,
    opts: KeyStatsOptions = {},
  ): Promise<Map<string, KeyStats>> {
    const out = new Map<string, KeyStats>();
    const spec = metricSpec(metric);
    const name = seriesName(metric);
    if (!spec || !name || !info.measurements.includes(metric)) return out;
    // Every point of the run lies in (start − one push, end]; the last one of each series holds its totals.
    const atS = info.end / 1000;
    // PromQL durations take whole units: the window in ms.
    const window = `${Math.ceil(info.durationMs + 2 * pushS * 1000)}ms`;
    const last = (sel: string) => `last_over_time(${sel}[${window}])`;
    const durationS = Math.max(info.durationMs / 1000, 1e-9);
    for (const k of keys) {
      const sel = selector(name, testid, k.tags);
      if (spec.type === "trend") {
        // Each series' last histogram holds its whole run (k6's histograms are cumulative).
        const raw = await points(`${sel}[${window}]`, atS);
        const lastOfEach = raw.flatMap((series) => series.histograms.slice(-1).map((p) => p.histogram));
        const h = sumHistograms(lastOfEach);
        if (h.count === 0) continue;
        out.set(k.key, trendFromHistogram(h, spec.isTime, opts.statistics));
      } else if (spec.type === "counter") {
        const series = await ask(last(sel), atS);
        if (series.length === 0) continue;
        const count = series.reduce((n, s) => n + lastValue(s), 0);
        out.set(k.key, {
          type: "counter",
          isTime: false,
          values: { count, rate: count / durationS },
          // k6's duration is the span plus up to one push before the first point.
          bounds: { rate: [count / (durationS + pushS), count / durationS] },
        });
      } else if (spec.type === "rate") {
        const series = await ask(last(sel), atS);
        if (series.length === 0) continue;
        out.set(k.key, await combinedRate(metric, testid, k, series, atS, last));
      } else {
        const series = await ask(last(sel), atS);
        if (series.length === 0) continue;
        const [hi] = await ask(`max(max_over_time(${sel}[${window}]))`, atS);
        const [lo] = await ask(`min(min_over_time(${sel}[${window}]))`, atS);
        const max = hi ? lastValue(hi) : NaN;
        const min = lo ? lastValue(lo) : NaN;
        // k6's `value` is the gauge's last one (its last push holds it); the extremes are those of the points, and
        // the pushes see a gauge only at each flush, so its true extremes lie beyond them.
        const value = Math.max(...series.map(lastValue));
        out.set(k.key, {
          type: "gauge",
          isTime: false,
          values: { value, min, max },
          bounds: { max: [max, Infinity], min: [-Infinity, min] },
        });
      }
    }
    return out;
  }

  async function combinedRate(
    metric: string,
    testid: string,
    k: KeyFilter,
    series: VectorSample[],
    atS: number,
    last: (sel: string) => string,
  ): Promise<KeyStats> {
    const rates = series.map(lastValue);
    if (series.length === 1) {
      return { type: "rate", isTime: false, values: { rate: rates[0] as number } };
    }
    const weighedBy = RATE_WEIGHTS[metric];
    if (weighedBy !== undefined) {
      const weights = await ask(last(selector(seriesName(weighedBy) as string, testid, k.tags)), atS);
      const byLabels = new Map(weights.map((w) => [labelKey(w.metric), lastValue(w)]));
      const n = series.map((s) => byLabels.get(labelKey(s.metric)));
      if (n.every((x) => x !== undefined && x > 0)) {
        const total = (n as number[]).reduce((a, b) => a + b, 0);
        const passes = series.reduce((acc, s, i) => acc + lastValue(s) * (n[i] as number), 0);
        return {
          type: "rate",
          isTime: false,
          values: { rate: passes / total, passes: Math.round(passes), fails: Math.round(total - passes) },
        };
      }
    }
    const low = Math.min(...rates);
    const high = Math.max(...rates);
    return {
      type: "rate",
      isTime: false,
      values: { rate: rates.reduce((a, b) => a + b, 0) / rates.length },
      bounds: { rate: [low, high] },
    };
  }

  return {
    kind: "prometheus",
    description: where,
    keepsSamples: false,
    listTestIds: () => translated(async () => (await api.labelValues("testid")).sort()),
    runInfo: (testid) => translated(() => runInfo(testid)),
    keyStats: (testid, metric, keys, info, opts) => translated(() => keyStats(testid, metric, keys, info, opts)),
  };
}

/** k6 metric names a series name may stand for (`k6_http_reqs_total` → http_reqs_total, http_reqs). */
function candidatesOf(name: string): string[] {
  const bare = name.replace(/^k6_/, "");
  return [bare, bare.replace(/_(total|rate|seconds)$/, "")];
}
