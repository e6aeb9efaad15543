// The statistics of tools/compare: k6's percentile, the order-statistic bootstrap against the naive
// resample-and-sort bootstrap, the intervals against published values, and the tolerance rule.
import { describe, expect, it } from "vitest";
import { percentile as k6Percentile } from "../k6/harness/index";
import {
  bootstrapPercentileDiff,
  normalQuantile,
  percentileSorted,
  prng,
  proportionDiffInterval,
  resampledPercentile,
  wilson,
} from "../../tools/compare/stats";
import {
  beyondTolerance,
  parseToleranceOption,
  parseToleranceSpec,
  toleranceFor,
  ToleranceError,
} from "../../tools/compare/tolerance";

function lognormal(n: number, seed: number, scale = 10): Float64Array {
  const rand = prng(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const z = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
    out[i] = scale * Math.exp(0.6 * z);
  }
  return out.sort();
}

describe("prng and percentiles", () => {
  it("the same seed gives the same stream; another seed another", () => {
    const a = prng(42);
    const b = prng(42);
    const c = prng(43);
    const first = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(first);
    expect(Array.from({ length: 5 }, () => c())).not.toEqual(first);
    expect(first.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it("percentileSorted is k6's TrendSink interpolation", () => {
    const data = lognormal(37, 7);
    for (const p of [0, 0.5, 0.9, 0.95, 0.99, 1])
      expect(percentileSorted(data, p)).toBeCloseTo(k6Percentile([...data], p), 12);
  });
});

describe("order-statistic bootstrap", () => {
  function naive(sorted: Float64Array, p: number, rand: () => number): number {
    const n = sorted.length;
    const sample = new Float64Array(n);
    for (let i = 0; i < n; i++) sample[i] = sorted[Math.floor(rand() * n)] as number;
    return percentileSorted(sample.sort(), p);
  }

  it.each([
    [8, 0.95],
    [60, 0.95],
    [60, 0.5],
    [200, 0.99],
  ])("n=%i p=%f: same replicate distribution as resample-and-sort", (n, p) => {
    const data = lognormal(n, n * 31);
    const B = 20_000;
    const fast = new Float64Array(B);
    const slow = new Float64Array(B);
    const r1 = prng(1);
    const r2 = prng(2);
    for (let b = 0; b < B; b++) {
      fast[b] = resampledPercentile(data, p, r1);
      slow[b] = naive(data, p, r2);
    }
    fast.sort();
    slow.sort();
    const spread = percentileSorted(slow, 0.975) - percentileSorted(slow, 0.025);
    for (const q of [0.025, 0.25, 0.5, 0.75, 0.975]) {
      expect(Math.abs(percentileSorted(fast, q) - percentileSorted(slow, q)), `quantile ${q}`).toBeLessThan(
        0.06 * spread + 1e-9,
      );
    }
  });

  it("same data: the CI holds 0; +80 ms on every value: the CI is around +80 and excludes 0; reproducible", () => {
    const a = lognormal(300, 11);
    const b = lognormal(300, 12);
    const options = { resamples: 2000, alpha: 0.01, seed: 5 };
    const same = bootstrapPercentileDiff(a, b, 0.95, options);
    expect(same.low).toBeLessThan(0);
    expect(same.high).toBeGreaterThan(0);
    const shifted = bootstrapPercentileDiff(
      a,
      b.map((x) => x + 80),
      0.95,
      options,
    );
    expect(shifted.low).toBeGreaterThan(50);
    expect(shifted.high).toBeLessThan(110);
    expect(bootstrapPercentileDiff(a, b, 0.95, options)).toEqual(same);
  });
});

describe("intervals", () => {
  it("normal quantiles", () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.995)).toBeCloseTo(2.575829, 5);
    expect(normalQuantile(0.01)).toBeCloseTo(-2.326348, 5);
  });

  it("Wilson and Newcombe's method 10 reproduce Newcombe (1998)", () => {
    // Newcombe, Statistics in Medicine 17:873 (1998), table II: 56/70 − 48/80 → 0.0524 to 0.3339.
    const ci = proportionDiffInterval({ x: 48, n: 80 }, { x: 56, n: 70 }, 0.05);
    expect(ci.low).toBeCloseTo(0.0524, 3);
    expect(ci.high).toBeCloseTo(0.3339, 3);
    // Newcombe, Statistics in Medicine 17:857 (1998), table I: 81/263 → 0.2553 to 0.3662.
    const w = wilson(81, 263, 0.05);
    expect(w.low).toBeCloseTo(0.2553, 3);
    expect(w.high).toBeCloseTo(0.3662, 3);
  });

  it("zero failures on both sides: an interval around 0, not a collapsed one", () => {
    const ci = proportionDiffInterval({ x: 0, n: 500 }, { x: 0, n: 500 }, 0.01);
    expect(ci.low).toBeLessThan(0);
    expect(ci.high).toBeGreaterThan(0);
  });
});

describe("tolerance", () => {
  it("parses relative and absolute parts with units", () => {
    expect(parseToleranceSpec("10%,5ms")).toMatchObject({ relative: 0.1, absolute: 5, unit: "time" });
    expect(parseToleranceSpec("1.5s")).toMatchObject({ absolute: 1500, unit: "time" });
    expect(parseToleranceSpec("20%")).toMatchObject({ relative: 0.2 });
    expect(parseToleranceSpec("2pp,5%")).toMatchObject({ relative: 0.05, absolute: 0.02, unit: "proportion" });
    expect(parseToleranceOption("http_req_duration{endpoint:messages}=15%,10ms")[0]).toBe(
      "http_req_duration{endpoint:messages}",
    );
    for (const bad of ["", "10x", "ten%", "10%,20%", "5ms,6ms", "10%,5ms,1pp"]) {
      expect(() => parseToleranceSpec(bad), bad).toThrow(ToleranceError);
    }
    expect(() => parseToleranceOption("10%")).toThrow(/must be <metric>=<spec>/);
  });

  it("the most specific selector wins; a part left out keeps the default; units must fit", () => {
    const table = new Map([
      ["default", parseToleranceSpec("20%")],
      ["http_req_duration", parseToleranceSpec("15%,10ms")],
      ["http_req_duration{endpoint:messages}", parseToleranceSpec("30ms")],
      ["checks", parseToleranceSpec("3ms")],
    ]);
    expect(toleranceFor(table, "http_req_duration{endpoint:messages}", "time")).toEqual({
      relative: 0.1,
      absolute: 30,
    });
    expect(toleranceFor(table, "http_req_duration{endpoint:status}", "time")).toEqual({ relative: 0.15, absolute: 10 });
    expect(toleranceFor(table, "auth_duration", "time")).toEqual({ relative: 0.2, absolute: 5 });
    expect(toleranceFor(table, "http_req_failed", "proportion")).toEqual({ relative: 0.2, absolute: 0.005 });
    expect(() => toleranceFor(table, "checks", "proportion")).toThrow(/is in a time/);
  });

  it("both parts must be exceeded", () => {
    const t = { relative: 0.1, absolute: 5 };
    expect(beyondTolerance(10, 4, t)).toBe(false); // 40 % but 4 ms
    expect(beyondTolerance(100, 6, t)).toBe(false); // 6 ms but 6 %
    expect(beyondTolerance(100, 11, t)).toBe(true);
    expect(beyondTolerance(100, -11, t)).toBe(true);
    expect(beyondTolerance(0, 6, t)).toBe(true);
  });
});
