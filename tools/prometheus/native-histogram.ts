// The native histogram k6 keeps per Trend series when K6_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM=true
// (remotewrite/trend.go, newNativeHistogramSink): client_golang's prometheus.NewHistogram with
// NativeHistogramBucketFactor 1.1 and every other native option at its default, as client_golang v1.23.2 (vendored
// by k6 v1.8.1) observes and writes it (prometheus/histogram.go):
//
// - schema: pickSchema(1.1) = −floor(log2(log2(1.1))) = 3, i.e. 8 buckets per power of two;
// - zero threshold: DefNativeHistogramZeroThreshold = 2^-128; |v| ≤ it counts in the zero bucket;
// - bucket key of v: frac, exp = frexp(|v|), key = (first i with bounds[i] ≥ frac) + (exp − 1) × 8, so bucket k
//   holds (2^((k−1)/8), 2^(k/8)]; ±Inf count as ±MaxFloat64 one bucket up; NaN adds to count and sum only;
// - no bucket limit (NativeHistogramMaxBucketNumber 0) and no resets, so buckets only ever grow;
// - Write: spans and deltas from the sorted keys, where a gap of one or two empty buckets is filled with zero
//   counts instead of starting a new span (makeBuckets).
import type { BucketSpan, NativeHistogram } from "./remote-write";

export const NATIVE_SCHEMA = 3;
export const NATIVE_ZERO_THRESHOLD = 2.938735877055719e-39;

/** client_golang's nativeHistogramBounds[3]: 2^(i/8) / 2 for i = 0…7, the literal values it searches. */
const SCHEMA_3_BOUNDS = [
  0.5, 0.5452538663326288, 0.5946035575013605, 0.6484197773255048, 0.7071067811865475, 0.7711054127039704,
  0.8408964152537144, 0.9170040432046711,
];

const MAX_FLOAT64 = Number.MAX_VALUE;

/** Go's math.Frexp for a finite, non-zero, normal x ≥ 0: x = frac × 2^exp with frac in [0.5, 1). */
function frexp(x: number): { frac: number; exp: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  let biased = (hi >>> 20) & 0x7ff;
  let shift = 0;
  if (biased === 0) {
    // subnormal: scale into the normal range first (never reached above the zero threshold, kept for totality)
    view.setFloat64(0, x * 2 ** 64);
    biased = (view.getUint32(0) >>> 20) & 0x7ff;
    shift = -64;
  }
  const exp = biased - 1022 + shift;
  view.setUint32(0, (view.getUint32(0) & 0x800fffff) | (1022 << 20));
  return { frac: view.getFloat64(0), exp };
}

/** The schema-3 bucket key of |v| (v not NaN). */
export function bucketKey(v: number): number {
  let abs = Math.abs(v);
  const isInf = abs === Infinity;
  if (isInf) abs = MAX_FLOAT64;
  const { frac, exp } = frexp(abs);
  let i = 0;
  while (i < SCHEMA_3_BOUNDS.length && (SCHEMA_3_BOUNDS[i] as number) < frac) i++;
  return i + (exp - 1) * SCHEMA_3_BOUNDS.length + (isInf ? 1 : 0);
}

/** Upper bound of schema-3 bucket k: 2^(k/8). Its lower bound is upperBound(k − 1). */
export function bucketUpperBound(key: number): number {
  return 2 ** (key / 2 ** NATIVE_SCHEMA);
}

/** A cumulative native histogram, observed value by value like client_golang's. */
export class NativeHistogramSink {
  private count = 0;
  private sum = 0;
  private zeroCount = 0;
  private readonly positive = new Map<number, number>();
  private readonly negative = new Map<number, number>();

  observe(v: number): void {
    // client_golang adds to the sum first (atomicAddFloat), in observation order: the same float rounding.
    this.sum += v;
    if (!Number.isNaN(v)) {
      if (v > NATIVE_ZERO_THRESHOLD) add(this.positive, bucketKey(v));
      else if (v < -NATIVE_ZERO_THRESHOLD) add(this.negative, bucketKey(v));
      else this.zeroCount++;
    }
    this.count++;
  }

  /** The histogram as Write() + k6's histogramToHistogramProto put it on the wire, stamped `timestamp`. */
  snapshot(timestamp: number): NativeHistogram {
    const negative = spansAndDeltas(this.negative);
    const positive = spansAndDeltas(this.positive);
    return {
      count: this.count,
      sum: this.sum,
      schema: NATIVE_SCHEMA,
      zeroThreshold: NATIVE_ZERO_THRESHOLD,
      zeroCount: this.zeroCount,
      negativeSpans: negative.spans,
      negativeDeltas: negative.deltas,
      positiveSpans: positive.spans,
      positiveDeltas: positive.deltas,
      timestamp,
    };
  }
}

function add(buckets: Map<number, number>, key: number): void {
  buckets.set(key, (buckets.get(key) ?? 0) + 1);
}

/** client_golang's makeBuckets: a new span only for the first bucket or after a gap of more than two buckets. */
export function spansAndDeltas(buckets: ReadonlyMap<number, number>): { spans: BucketSpan[]; deltas: number[] } {
  const keys = [...buckets.keys()].sort((a, b) => a - b);
  const spans: BucketSpan[] = [];
  const deltas: number[] = [];
  let previous = 0;
  let next = 0;
  const append = (count: number): void => {
    (spans[spans.length - 1] as BucketSpan).length++;
    deltas.push(count - previous);
    previous = count;
  };
  keys.forEach((key, n) => {
    const gap = key - next;
    if (n === 0 || gap > 2) spans.push({ offset: gap, length: 0 });
    else for (let j = 0; j < gap; j++) append(0);
    append(buckets.get(key) as number);
    next = key + 1;
  });
  return { spans, deltas };
}
