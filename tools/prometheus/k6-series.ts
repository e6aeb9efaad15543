// What k6 v1.8.1's `experimental-prometheus-rw` output pushes for a run, rebuilt from the run's samples: the CI
// harness has no k6, so this replays k6's mapping (internal/output/prometheusrw/remotewrite, README.md here) over the
// MetricSamples the harness records, with the configuration the stack runs k6 with:
// K6_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM=true and K6_PROMETHEUS_RW_STALE_MARKERS=true.
//
// Per series (metric + tag set) k6 keeps one cumulative sink for the whole run and, at every flush, sends one point
// per series that got a sample newer (in whole ms) than the last one it sent: the sink's value at that moment,
// stamped with the series' newest sample time (convertToPbSeries). At Stop it flushes one last time, then sends a
// staleness marker for every series it ever saw, stamped Stop's time + 1 ms (staleMarkers).
import { builtinMetrics, customMetrics } from "../../k6/src/metric-catalog";
import { NativeHistogramSink } from "./native-histogram";
import type { Label, TimeSeries } from "./remote-write";

/** The sample shape the harness records (tests/k6/harness/types.ts MetricSample), as k6 hands it to outputs. */
export interface K6Sample {
  metric: string;
  type: "counter" | "gauge" | "rate" | "trend";
  value: number;
  tags: Record<string, string>;
  /** epoch ms (a fraction is truncated to the ms, as k6 truncates ns) */
  time: number;
}

/** Time trends of the suite (`new Trend(name, true)`) and k6's built-in ones, from k6/src/metric-catalog.ts. */
export const CATALOG_TIME_METRICS: ReadonlySet<string> = new Set(
  [...builtinMetrics(), ...customMetrics()].filter((m) => m.type === "trend" && m.isTime === true).map((m) => m.name),
);

/** k6's series name prefix (remotewrite/config.go defaultMetricPrefix). */
export const METRIC_PREFIX = "k6_";

export interface K6SeriesOptions {
  /** K6_PROMETHEUS_RW_PUSH_INTERVAL in ms; default 5000 (k6's 5 s). */
  pushIntervalMs?: number;
  /**
   * Trend metrics whose values are durations (k6 `Contains: Time`): their histograms observe value / 1000 (seconds)
   * and their name ends in `_seconds`. Default: CATALOG_TIME_METRICS.
   */
  timeMetrics?: Iterable<string>;
  /** K6_PROMETHEUS_RW_STALE_MARKERS; default true (k6's own default is false; the stack turns it on). */
  staleMarkers?: boolean;
  /** When the output started (its first flush is one interval later); default: the earliest sample's time. */
  startMs?: number;
  /** When the output stopped (last flush, stale markers at stop + 1 ms); default: the latest sample's time. */
  stopMs?: number;
}

export interface RemoteWriteBatch {
  /** "flush": a periodic or the final flush; "stale": the staleness markers sent after the final flush. */
  kind: "flush" | "stale";
  /** When k6 would have sent it (epoch ms): a ticker tick, Stop, or Stop's stale-marker time. */
  atMs: number;
  /** The WriteRequest's series; a flush can be empty when its samples were all older than what was sent. */
  series: TimeSeries[];
}

type Sink =
  | { type: "counter"; value: number }
  | { type: "gauge"; value: number }
  | { type: "rate"; total: number; trues: number }
  | { type: "trend"; histogram: NativeHistogramSink; isTime: boolean };

interface SeriesState {
  /** Sorted labels without __name__'s suffix applied: name + suffix is fixed per series. */
  labels: Label[];
  sink: Sink;
  /** The newest sample time seen, ms: every point of the series carries it. */
  latest: number;
}

/** Prometheus name of a series: k6_ + metric + _suffix (remotewrite/prometheus.go MapSeries, trend.go baseUnit). */
export function seriesName(metric: string, type: K6Sample["type"], isTime: boolean): string {
  const suffix = type === "counter" ? "total" : type === "rate" ? "rate" : type === "trend" && isTime ? "seconds" : "";
  return METRIC_PREFIX + metric + (suffix === "" ? "" : `_${suffix}`);
}

/** __name__ plus the non-empty tags, sorted by name in byte order as MapSeries sorts them (not locale order). */
export function seriesLabels(name: string, tags: Record<string, string>): Label[] {
  const labels: Label[] = [{ name: "__name__", value: name }];
  for (const [key, value] of Object.entries(tags)) if (key !== "" && value !== "") labels.push({ name: key, value });
  return labels.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function newSink(sample: K6Sample, isTime: boolean): Sink {
  switch (sample.type) {
    case "counter":
      return { type: "counter", value: 0 };
    case "gauge":
      return { type: "gauge", value: 0 };
    case "rate":
      return { type: "rate", total: 0, trues: 0 };
    case "trend":
      return { type: "trend", histogram: new NativeHistogramSink(), isTime };
  }
}

function addTo(sink: Sink, value: number): void {
  switch (sink.type) {
    case "counter":
      sink.value += value;
      break;
    case "gauge":
      sink.value = value;
      break;
    case "rate":
      sink.total++;
      if (value !== 0) sink.trues++;
      break;
    case "trend":
      // trend.go adaptUnit: time values arrive in ms and are observed in seconds.
      sink.histogram.observe(sink.isTime ? value / 1000 : value);
      break;
  }
}

/** One point of the series: its sink now, stamped with its newest sample time (MapPrompb). */
function point(state: SeriesState): TimeSeries {
  const { sink, labels, latest } = state;
  switch (sink.type) {
    case "counter":
    case "gauge":
      return { labels, samples: [{ timestamp: latest, value: sink.value }], histograms: [] };
    case "rate":
      return {
        labels,
        samples: [{ timestamp: latest, value: sink.total > 0 ? sink.trues / sink.total : 0 }],
        histograms: [],
      };
    case "trend":
      return { labels, samples: [], histograms: [sink.histogram.snapshot(latest)] };
  }
}

/**
 * k6's output as a stream (what the long-run benchmark feeds, a sample at a time): `add` buffers a sample, `flush`
 * maps every series that got a newer sample since its last point (convertToPbSeries), `staleMarkers` ends the run.
 */
export class K6RemoteWriteOutput {
  private readonly tsdb = new Map<string, SeriesState>();
  private seen = new Set<SeriesState>();
  private buffered = 0;
  private readonly timeMetrics: ReadonlySet<string>;

  constructor(timeMetrics: Iterable<string> = CATALOG_TIME_METRICS) {
    this.timeMetrics = new Set(timeMetrics);
  }

  add(sample: K6Sample): void {
    const t = Math.floor(sample.time);
    const key = `${sample.metric}\u0000${sample.type}\u0000${JSON.stringify(Object.entries(sample.tags).sort())}`;
    let state = this.tsdb.get(key);
    if (state === undefined) {
      const isTime = sample.type === "trend" && this.timeMetrics.has(sample.metric);
      const name = seriesName(sample.metric, sample.type, isTime);
      state = { labels: seriesLabels(name, sample.tags), sink: newSink(sample, isTime), latest: t };
      this.tsdb.set(key, state);
      this.seen.add(state);
    } else if (t > state.latest) {
      // Only a newer ms re-sends the series: the same ms again would be a duplicate for the receiver.
      state.latest = t;
      this.seen.add(state);
    }
    addTo(state.sink, sample.value);
    this.buffered++;
  }

  /** The flush's request; undefined when nothing was buffered (k6 skips such a flush, else sends even an empty one). */
  flush(atMs: number): RemoteWriteBatch | undefined {
    if (this.buffered === 0) return undefined;
    const batch: RemoteWriteBatch = { kind: "flush", atMs, series: [...this.seen].map(point) };
    this.seen = new Set();
    this.buffered = 0;
    return batch;
  }

  /** staleMarkers(): every series' mapped point with its (first) sample replaced by the marker; a histogram
   * series gets a float sample added and keeps its histogram. */
  staleMarkers(atMs: number): RemoteWriteBatch {
    const series = [...this.tsdb.values()].map((state) => ({
      ...point(state),
      samples: [{ timestamp: atMs, value: Number.NaN, stale: true }],
    }));
    return { kind: "stale", atMs, series };
  }

  /** Series seen so far. */
  get seriesCount(): number {
    return this.tsdb.size;
  }
}

/**
 * The remote-write requests k6 would have sent for these samples, in order. Samples go to the flush whose tick
 * follows their time (k6 buffers a sample when it is emitted, an instant after its timestamp); the final flush takes
 * the rest. Within a flush they are applied in the given order, so pass them in emission order (the harness's order).
 */
export function k6RemoteWriteBatches(samples: readonly K6Sample[], options: K6SeriesOptions = {}): RemoteWriteBatch[] {
  const interval = options.pushIntervalMs ?? 5_000;
  if (!(interval > 0)) throw new RangeError(`push interval must be positive, got ${interval}`);
  if (samples.length === 0) return [];
  const times = samples.map((s) => Math.floor(s.time));
  // A loop, not Math.min(...times): a long run's sample count would overflow the call stack.
  let [first, lastTime] = [Infinity, -Infinity];
  for (const t of times) [first, lastTime] = [Math.min(first, t), Math.max(lastTime, t)];
  const start = options.startMs ?? first;
  const stop = Math.max(options.stopMs ?? lastTime, start);

  // Stable order by time decides the flush; within a flush, emission (input) order is kept.
  const order = samples.map((_, i) => i).sort((a, b) => (times[a] as number) - (times[b] as number) || a - b);
  const flushOf = (t: number): number => Math.max(1, Math.floor((t - start) / interval) + 1);
  const lastTick = Math.ceil((stop - start) / interval) - 1; // ticks strictly before stop; Stop flushes after them

  const output = new K6RemoteWriteOutput(options.timeMetrics ?? CATALOG_TIME_METRICS);
  const batches: RemoteWriteBatch[] = [];
  let next = 0;
  const flush = (atMs: number, last: boolean, tick: number): void => {
    for (; next < order.length; next++) {
      const i = order[next] as number;
      if (!last && flushOf(times[i] as number) > tick) break;
      output.add(samples[i] as K6Sample);
    }
    const batch = output.flush(atMs);
    if (batch) batches.push(batch);
  };
  for (let tick = 1; tick <= lastTick; tick++) flush(start + tick * interval, false, tick);
  flush(stop, true, lastTick + 1);
  if (options.staleMarkers ?? true) batches.push(output.staleMarkers(stop + 1));
  return batches;
}
