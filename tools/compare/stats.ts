// The statistics behind the noise-aware verdicts, dependency-free and deterministic (seeded PRNG):
//  - percentiles exactly as k6 computes them (linear interpolation between closest ranks);
//  - a bootstrap CI of the difference of a percentile (candidate − baseline);
//  - Newcombe's hybrid-score CI (Wilson intervals) of the difference of two proportions.
//
// The bootstrap draws each resample's order statistics directly instead of resampling and sorting: for n draws
// J_i = floor(n·U_i) with U_i uniform, the r-th smallest J is floor(n·U_(r)) and U_(r) ~ Beta(r, n − r + 1), so
// one resample's percentile costs two Beta draws, whatever n is (a 20-minute run has 10⁵–10⁶ latencies per key).
// tests/compare/stats.test.ts checks it against the naive resample-and-sort bootstrap.

/** mulberry32: a small, fast 32-bit PRNG; same seed, same stream. Returns floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a of a string mixed with a seed: one independent, reproducible stream per row key. */
export function seedFor(seed: number, key: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** k6's TrendSink percentile: p in [0, 1] over ascending values. */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  if (n === 1) return sorted[0] as number;
  const i = p * (n - 1);
  const lo = Math.floor(i);
  const hi = Math.ceil(i);
  const a = sorted[lo] as number;
  return a + ((sorted[hi] as number) - a) * (i - lo);
}

/** `p(95)` → 0.95, `med` → 0.5; undefined for other statistics. */
export function percentileOf(statistic: string): number | undefined {
  if (statistic === "med") return 0.5;
  const m = /^p\((\d+(?:\.\d+)?)\)$/.exec(statistic);
  return m ? Number(m[1]) / 100 : undefined;
}

function normal(rand: () => number): number {
  // Box–Muller; 1 − u keeps log away from 0.
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/** Gamma(shape ≥ 1, scale 1): Marsaglia & Tsang (2000). */
function gamma(shape: number, rand: () => number): number {
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = normal(rand);
    let v = 1 + c * x;
    if (v <= 0) continue;
    v = v * v * v;
    const u = 1 - rand();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

function beta(a: number, b: number, rand: () => number): number {
  const x = gamma(a, rand);
  return x / (x + gamma(b, rand));
}

/** One bootstrap replicate of the p-percentile (k6's interpolation) of `sorted`, without materialising it. */
export function resampledPercentile(sorted: ArrayLike<number>, p: number, rand: () => number): number {
  const n = sorted.length;
  if (n === 1) return sorted[0] as number;
  const i = p * (n - 1);
  const r = Math.floor(i); // 0-based rank of the lower order statistic
  const frac = i - r;
  const u = beta(r + 1, n - r, rand);
  const lo = sorted[Math.min(n - 1, Math.floor(u * n))] as number;
  if (frac === 0 || r + 1 >= n) return lo;
  // The next order statistic: u plus the smallest of the n − r − 1 uniforms above it.
  const next = u + (1 - u) * (1 - Math.pow(1 - rand(), 1 / (n - r - 1)));
  const hi = sorted[Math.min(n - 1, Math.floor(next * n))] as number;
  return lo + (hi - lo) * frac;
}

export interface Interval {
  low: number;
  high: number;
  /**
   * Two-sided p-value of "no difference" from the same method: the smallest alpha whose interval excludes 0
   * (bootstrap: twice the share of replicates on the far side of 0, ties counted half).
   */
  p: number;
}

/** Lower/upper empirical quantiles of replicates (sorted in place), and the replicates' p-value. */
function quantileInterval(replicates: Float64Array, alpha: number): Interval {
  replicates.sort();
  let below = 0;
  let ties = 0;
  for (const d of replicates) {
    if (d < 0) below++;
    else if (d === 0) ties++;
  }
  const above = replicates.length - below - ties;
  return {
    low: percentileSorted(replicates, alpha / 2),
    high: percentileSorted(replicates, 1 - alpha / 2),
    p: Math.min(1, (2 * (Math.min(below, above) + ties / 2)) / replicates.length),
  };
}

/**
 * Percentile bootstrap CI (level 1 − alpha) of percentile(candidate) − percentile(baseline). Both inputs sorted
 * ascending and non-empty.
 */
export function bootstrapPercentileDiff(
  baseline: ArrayLike<number>,
  candidate: ArrayLike<number>,
  p: number,
  options: { resamples: number; alpha: number; seed: number },
): Interval {
  const rand = prng(options.seed);
  const reps = new Float64Array(options.resamples);
  for (let b = 0; b < options.resamples; b++) {
    reps[b] = resampledPercentile(candidate, p, rand) - resampledPercentile(baseline, p, rand);
  }
  return quantileInterval(reps, options.alpha);
}

/** Mean and variance (n − 1) of values. */
export function meanVariance(values: ArrayLike<number>): { mean: number; variance: number } {
  let mean = 0;
  let m2 = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i] as number;
    const delta = x - mean;
    mean += delta / (i + 1);
    m2 += delta * (x - mean);
  }
  return { mean, variance: values.length > 1 ? m2 / (values.length - 1) : 0 };
}

/** Normal-approximation (Welch) CI of mean(candidate) − mean(baseline). */
export function meanDiffInterval(baseline: ArrayLike<number>, candidate: ArrayLike<number>, alpha: number): Interval {
  const a = meanVariance(baseline);
  const b = meanVariance(candidate);
  const se = Math.sqrt(a.variance / baseline.length + b.variance / candidate.length);
  const z = normalQuantile(1 - alpha / 2);
  const d = b.mean - a.mean;
  const p = se === 0 ? (d === 0 ? 1 : 0) : 2 * (1 - normalCdf(Math.abs(d) / se));
  return { low: d - z * se, high: d + z * se, p };
}

/** Standard normal CDF (Abramowitz & Stegun 7.1.26 through erf, absolute error < 1.5e-7). */
export function normalCdf(x: number): number {
  const t = 1 / (1 + (0.3275911 * Math.abs(x)) / Math.SQRT2);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-(x * x) / 2);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/** Inverse of the standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (p <= 0 || p >= 1) throw new Error(`normalQuantile needs 0 < p < 1 (got ${p})`);
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239,
  ];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const [a0, a1, a2, a3, a4, a5] = a as [number, number, number, number, number, number];
  const [b0, b1, b2, b3, b4] = b as [number, number, number, number, number];
  const [c0, c1, c2, c3, c4, c5] = c as [number, number, number, number, number, number];
  const [d0, d1, d2, d3] = d as [number, number, number, number];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) / ((((d0 * q + d1) * q + d2) * q + d3) * q + 1);
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a0 * r + a1) * r + a2) * r + a3) * r + a4) * r + a5) * q) /
    (((((b0 * r + b1) * r + b2) * r + b3) * r + b4) * r + 1)
  );
}

/** Wilson score interval of a proportion x/n (level 1 − alpha). */
export function wilson(x: number, n: number, alpha: number): { low: number; high: number } {
  if (n === 0) return { low: 0, high: 1 };
  const z = normalQuantile(1 - alpha / 2);
  const p = x / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/**
 * Newcombe's hybrid score interval (his method 10) of p_candidate − p_baseline, from two Wilson intervals. Good
 * at proportions near 0 or 1 (error rates), where the Wald interval collapses.
 */
function newcombe(
  baseline: { x: number; n: number },
  candidate: { x: number; n: number },
  alpha: number,
): { low: number; high: number } {
  const p1 = baseline.x / baseline.n;
  const p2 = candidate.x / candidate.n;
  const w1 = wilson(baseline.x, baseline.n, alpha);
  const w2 = wilson(candidate.x, candidate.n, alpha);
  const d = p2 - p1;
  return {
    low: d - Math.sqrt((p2 - w2.low) ** 2 + (w1.high - p1) ** 2),
    high: d + Math.sqrt((w2.high - p2) ** 2 + (p1 - w1.low) ** 2),
  };
}

export function proportionDiffInterval(
  baseline: { x: number; n: number },
  candidate: { x: number; n: number },
  alpha: number,
): Interval {
  const excludes = (a: number) => {
    const ci = newcombe(baseline, candidate, a);
    return ci.low > 0 || ci.high < 0;
  };
  // The interval narrows as alpha grows: p is where it stops containing 0 (bisection on log alpha).
  let p = 1;
  if (excludes(1 - 1e-9)) {
    let lo = Math.log(1e-15);
    let hi = Math.log(1 - 1e-9);
    if (excludes(Math.exp(lo))) p = 0;
    else {
      for (let i = 0; i < 60; i++) {
        const mid = (lo + hi) / 2;
        if (excludes(Math.exp(mid))) hi = mid;
        else lo = mid;
      }
      p = Math.exp(hi);
    }
  }
  return { ...newcombe(baseline, candidate, alpha), p };
}

// ---- paired block bootstrap -----------------------------------------------------------------------------------------
//
// Latencies inside a run are not independent: a stall (GC, a busy CPU, a slow disk) delays every request in flight
// at once, so slow samples come in clusters, and the iid bootstrap above then claims more certainty than the data
// has. The block bootstrap resamples whole stretches of time instead: each run is cut into K blocks of equal
// relative time (block k = the k-th K-th of the run), a resample picks K block indices with replacement, and the
// SAME indices are used on both sides — two runs of one profile follow the same timeline (ramp-up, stages), so
// block k of the baseline and block k of the candidate saw the same load. The statistic of a resample is computed
// on the union of its blocks (percentiles by bisection over the pooled values, no copying).

/** Values cut into k blocks by relative time (rel in [0, 1)), each block sorted ascending. */
export function timeBlocks(values: ArrayLike<number>, rel: ArrayLike<number>, k: number): Float64Array[] {
  const buckets: number[][] = Array.from({ length: k }, () => []);
  for (let i = 0; i < values.length; i++) {
    const b = Math.min(k - 1, Math.max(0, Math.floor((rel[i] as number) * k)));
    buckets[b]?.push(values[i] as number);
  }
  return buckets.map((b) => Float64Array.from(b).sort());
}

function upperBound(sorted: Float64Array, v: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The value of 0-based rank r in the multiset "block k taken w[k] times", searched among `pooled` (sorted). */
function rankValue(blocks: Float64Array[], w: Int32Array, pooled: Float64Array, r: number): number {
  let lo = 0;
  let hi = pooled.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const v = pooled[mid] as number;
    let count = 0;
    for (let k = 0; k < blocks.length; k++) {
      const wk = w[k] as number;
      if (wk !== 0) count += wk * upperBound(blocks[k] as Float64Array, v);
    }
    if (count >= r + 1) hi = mid;
    else lo = mid + 1;
  }
  return pooled[lo] as number;
}

export type BlockStatistic = { kind: "percentile"; p: number } | { kind: "mean" };

/** The statistic of one resample (NaN when the chosen blocks hold no value). */
function resampleStatistic(
  blocks: Float64Array[],
  sums: Float64Array,
  pooled: Float64Array,
  w: Int32Array,
  stat: BlockStatistic,
): number {
  let n = 0;
  let sum = 0;
  for (let k = 0; k < blocks.length; k++) {
    n += (w[k] as number) * (blocks[k] as Float64Array).length;
    sum += (w[k] as number) * (sums[k] as number);
  }
  if (n === 0) return NaN;
  if (stat.kind === "mean") return sum / n;
  const i = stat.p * (n - 1);
  const r = Math.floor(i);
  const lo = rankValue(blocks, w, pooled, r);
  if (i === r) return lo;
  return lo + (rankValue(blocks, w, pooled, r + 1) - lo) * (i - r);
}

function pooledOf(blocks: Float64Array[]): Float64Array {
  const size = blocks.reduce((n, b) => n + b.length, 0);
  const out = new Float64Array(size);
  let at = 0;
  for (const b of blocks) {
    out.set(b, at);
    at += b.length;
  }
  return out.sort();
}

/**
 * Paired block bootstrap CI (level 1 − alpha) of stat(candidate) − stat(baseline). Both sides have the same number
 * of blocks; resamples where either side drew only empty blocks are dropped (the interval is null if most are).
 */
export function blockBootstrapDiff(
  baseline: Float64Array[],
  candidate: Float64Array[],
  stat: BlockStatistic,
  options: { resamples: number; alpha: number; seed: number },
): Interval | null {
  const k = baseline.length;
  if (k === 0 || candidate.length !== k)
    throw new Error("blockBootstrapDiff needs the same number of blocks on both sides");
  const rand = prng(options.seed);
  const sums = (blocks: Float64Array[]) => Float64Array.from(blocks, (b) => b.reduce((s, v) => s + v, 0));
  const side = (blocks: Float64Array[]) => ({ blocks, sums: sums(blocks), pooled: pooledOf(blocks) });
  const a = side(baseline);
  const b = side(candidate);
  const w = new Int32Array(k);
  const reps: number[] = [];
  for (let rep = 0; rep < options.resamples; rep++) {
    w.fill(0);
    for (let j = 0; j < k; j++) w[Math.floor(rand() * k)]! += 1;
    const d =
      resampleStatistic(b.blocks, b.sums, b.pooled, w, stat) - resampleStatistic(a.blocks, a.sums, a.pooled, w, stat);
    if (!Number.isNaN(d)) reps.push(d);
  }
  if (reps.length < options.resamples / 2) return null;
  return quantileInterval(Float64Array.from(reps), options.alpha);
}
