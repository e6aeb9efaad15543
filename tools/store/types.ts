// What the tools (compare, thresholds) need from a metrics store, whatever keeps the run: the run's span and
// metrics, and per metric key the statistics k6's summary has. A store that keeps every sample (InfluxDB) gives k6's
// exact values and the samples themselves; one that keeps pre-bucketed series (Prometheus native histograms) gives
// each statistic with the interval that surely holds k6's exact value (`bounds`), and no samples.
import type { MetricType } from "../../k6/src/metric-catalog";

export type StoreKind = "influx" | "prometheus";

/** A store's failure, as one readable line (unreachable, refused, unknown testid, a failed query). */
export class StoreError extends Error {
  constructor(
    readonly kind: "unreachable" | "unauthorized" | "no-database" | "unknown-testid" | "query",
    message: string,
  ) {
    super(message.replace(/\s*\n\s*/g, " "));
    this.name = "StoreError";
  }
}

export interface RunSpan {
  testid: string;
  /** epoch ms of the first and the last point carrying the testid. */
  start: number;
  end: number;
  durationMs: number;
  /** k6 metric names with at least one point of this run, sorted. */
  measurements: string[];
  /** From a `profile` tag when a point carries one, else from a `<profile>-…` testid, else null. */
  profile: string | null;
}

export interface KeyStats {
  type: MetricType;
  isTime: boolean;
  /** k6 summary statistics: trends count/avg/min/med/max/p(90)/p(95)/p(99) (+ any asked for); rates rate/passes/fails; counters count/rate; gauges value/min/max. */
  values: Record<string, number>;
  /**
   * Where a value is not k6's exact one: the interval [low, high] that surely holds it (a percentile read from
   * histogram buckets, a rate combined from series whose weights are unknown). Absent: the value is exact.
   */
  bounds?: Record<string, readonly [number, number]>;
  /** Every sample, ascending (stores that keep samples only). */
  sorted?: Float64Array;
  /** The same samples in time order with their relative time in the run, 0 (start) ≤ rel < 1 (end): the blocks of the block bootstrap. */
  timed?: { values: Float64Array; rel: Float64Array };
}

/** One key of a metric: its name in k6's summary (`http_req_duration{endpoint:status}`) and its tag filter. */
export interface KeyFilter {
  key: string;
  tags: Record<string, string>;
}

export interface KeyStatsOptions {
  /** Statistics to compute besides k6's summary ones (`p(99.9)`). */
  statistics?: string[];
  /** Keep the samples (`sorted`, `timed`) where the store has them; default true. */
  withSamples?: boolean;
  /** Called as samples are read (progress on long runs). */
  onProgress?: (metric: string, read: number) => void;
}

export interface RunStore {
  readonly kind: StoreKind;
  /** Where it reads from, for messages ("InfluxDB at http://…"). */
  readonly description: string;
  /** True when keyStats can return the samples themselves (noise-aware comparisons need them). */
  readonly keepsSamples: boolean;
  /** Every testid in the store, sorted. */
  listTestIds(): Promise<string[]>;
  /** The run's span and metrics; StoreError "unknown-testid" when nothing carries it. */
  runInfo(testid: string): Promise<RunSpan>;
  /** Statistics of each key of one metric over the run (keys without a point are left out). */
  keyStats(
    testid: string,
    metric: string,
    keys: readonly KeyFilter[],
    info: RunSpan,
    options?: KeyStatsOptions,
  ): Promise<Map<string, KeyStats>>;
}
