// The Prometheus store's percentile bounds (tools/store/prometheus.ts percentileFromBuckets): whatever the samples,
// k6's exact percentile (tools/thresholds/arithmetic.ts, k6's TrendSink arithmetic) lies inside the interval read
// from schema-3 buckets (the buckets k6's native histograms use: tools/prometheus/native-histogram.ts), and the
// interval is one bucket wide (≤ 2^(1/8) − 1 ≈ 9.05 % of its lower end) when the two samples around the rank share one.
import { describe, expect, it } from "vitest";
import { prng } from "../../tools/compare/stats";
import { bucketKey, bucketUpperBound } from "../../tools/prometheus/native-histogram";
import { percentileFromBuckets, type Bucket } from "../../tools/store/prometheus";
import { percentile } from "../../tools/thresholds/arithmetic";

function bucketsOf(values: readonly number[]): Bucket[] {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(bucketKey(v), (counts.get(bucketKey(v)) ?? 0) + 1);
  return [...counts]
    .sort(([a], [b]) => a - b)
    .map(([key, count]) => ({ lower: bucketUpperBound(key - 1), upper: bucketUpperBound(key), count }));
}

const PERCENTILES = [0, 0.5, 0.9, 0.95, 0.99, 0.999, 1];
const FACTOR = 2 ** (1 / 8);

describe("percentile bounds from native-histogram buckets", () => {
  it("hold k6's exact percentile for latency-like samples of every size", () => {
    const random = prng(17); // seeded: the same cases every run
    let cases = 0;
    for (const n of [1, 2, 3, 7, 20, 101, 1000, 5000]) {
      for (let trial = 0; trial < 10; trial++) {
        // Log-normal around 50 ms with a slow tail: values spread over many buckets.
        const values = Array.from({ length: n }, () => {
          const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
          return Math.exp(Math.log(50) + z) * (random() < 0.05 ? 10 : 1);
        });
        const sorted = [...values].sort((a, b) => a - b);
        const buckets = bucketsOf(values);
        for (const p of PERCENTILES) {
          const exact = percentile(sorted, p);
          const q = percentileFromBuckets(buckets, n, p);
          expect(q.low, `n=${n} p=${p}`).toBeLessThanOrEqual(exact);
          expect(q.high, `n=${n} p=${p}`).toBeGreaterThanOrEqual(exact);
          expect(q.value).toBeGreaterThanOrEqual(q.low);
          expect(q.value).toBeLessThanOrEqual(q.high);
          const i = p * (n - 1);
          if (bucketKey(sorted[Math.floor(i)] as number) === bucketKey(sorted[Math.ceil(i)] as number)) {
            expect(q.high / q.low).toBeLessThanOrEqual(FACTOR * (1 + 1e-12));
          }
          cases++;
        }
      }
    }
    expect(cases).toBe(8 * 10 * PERCENTILES.length);
  });

  it("are exact to the bucket on a sample sitting on a bucket's upper bound (buckets are (lower, upper])", () => {
    const v = bucketUpperBound(60); // 2^(60/8) ms
    const q = percentileFromBuckets(bucketsOf([v, v, v]), 3, 0.95);
    expect(q.low).toBeLessThan(v);
    expect(q.high).toBe(v);
  });

  it("interpolate between two samples in far-apart buckets (20 ms and 520 ms, as two runners' slow tail)", () => {
    const values = [...Array.from({ length: 142 }, () => 20), ...Array.from({ length: 8 }, () => 520)];
    const sorted = [...values].sort((a, b) => a - b);
    const exact = percentile(sorted, 0.95);
    const q = percentileFromBuckets(bucketsOf(values), values.length, 0.95);
    expect(exact).toBeGreaterThan(20);
    expect(exact).toBeLessThan(520);
    expect(q.low).toBeLessThanOrEqual(exact);
    expect(q.high).toBeGreaterThanOrEqual(exact);
    // Known f: the interval is the two buckets' bounds mixed by f, far narrower than [20, 520].
    expect(q.high - q.low).toBeLessThan(0.1 * exact);
  });
});
