// The harness's k6 arithmetic, which the smoke-profile verdict relies on: percentiles interpolate like k6's
// TrendSink, sub-metrics filter by tags, and a never-fed Rate reads as 0 (so it fails `rate>0.99`, as in k6).
import { describe, expect, it } from "vitest";
import { aggregate, buildSummary, evaluateThresholds, parseThreshold, percentile } from "./harness/summary";
import type { MetricSample } from "./harness/types";

const s = (
  metric: string,
  type: MetricSample["type"],
  value: number,
  tags: Record<string, string> = {},
): MetricSample => ({
  metric,
  type,
  value,
  tags,
  time: 0,
});

describe("k6 arithmetic in the harness", () => {
  it("percentiles interpolate linearly between ranks, as k6's TrendSink.P", () => {
    const values = [10, 20, 30, 40];
    expect(percentile(values, 0.5)).toBe(25);
    expect(percentile(values, 0.95)).toBeCloseTo(38.5);
    expect(percentile([7], 0.99)).toBe(7);
    expect(percentile([], 0.95)).toBe(0);
    expect(aggregate("trend", [3, 1, 2], 1000)("med")).toBe(2);
  });

  it("counters, gauges and rates aggregate like k6's sinks", () => {
    expect(aggregate("counter", [1, 2, 3], 2000)("count")).toBe(6);
    expect(aggregate("counter", [1, 2, 3], 2000)("rate")).toBe(3);
    expect(aggregate("gauge", [5, 1, 3], 1000)("value")).toBe(3);
    expect(aggregate("rate", [1, 0, 1, 1], 1000)("rate")).toBe(0.75);
  });

  it("judges thresholds on sub-metrics, and an empty Rate fails rate>0.99", () => {
    const samples = [
      s("http_req_duration", "trend", 100, { endpoint: "status" }),
      s("http_req_duration", "trend", 900, { endpoint: "messages" }),
      s("checks", "rate", 1),
    ];
    const outcomes = evaluateThresholds(
      samples,
      {
        "http_req_duration{endpoint:status}": ["p(95)<200"],
        "http_req_duration{endpoint:messages}": ["p(95)<200"],
        checks: ["rate>0.99"],
        auth_success_rate: ["rate>0.99"],
        auth_duration: ["p(95)<2000"],
      },
      1000,
    );
    expect(Object.fromEntries(outcomes.map((o) => [o.key, o.ok]))).toEqual({
      "http_req_duration{endpoint:status}": true,
      "http_req_duration{endpoint:messages}": false,
      checks: true,
      auth_success_rate: false,
      auth_duration: true,
    });
  });

  it("parses k6 threshold expressions and refuses others", () => {
    expect(parseThreshold("p(99.9) <= 1500")).toEqual({ statistic: "p(99.9)", operator: "<=", limit: 1500 });
    expect(parseThreshold("count<1")).toEqual({ statistic: "count", operator: "<", limit: 1 });
    expect(() => parseThreshold("p95 < 100")).toThrow(/not a k6 threshold expression/);
  });

  it("builds k6's summary object: checks grouped by path, thresholds on (sub-)metrics", () => {
    const summary = buildSummary(
      [
        s("checks", "rate", 1, { check: "status: 200", group: "::agent status" }),
        s("checks", "rate", 0, { check: "status: 200", group: "::agent status" }),
        s("http_req_duration", "trend", 10, { endpoint: "status" }),
      ],
      { thresholds: { "http_req_duration{endpoint:status}": ["p(95)<200"] } },
      1000,
    );
    expect(summary.root_group.groups[0]?.name).toBe("agent status");
    expect(summary.root_group.groups[0]?.checks[0]).toMatchObject({ name: "status: 200", passes: 1, fails: 1 });
    expect(summary.metrics["http_req_duration{endpoint:status}"]?.thresholds).toEqual({ "p(95)<200": { ok: true } });
    expect(summary.metrics.http_req_duration?.contains).toBe("time");
  });
});
