// k6's remote-write series (tools/prometheus/k6-series.ts), encoded as protobuf + snappy and POSTed to a REAL
// Prometheus (Debian's 2.42, remote-write receiver and native histograms on), then read back with PromQL: first a
// small known set with hand-computed answers, then a real harness run of the suite's journeys.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createQueryClient,
  createRemoteWriter,
  k6RemoteWriteBatches,
  PrometheusError,
  type K6Sample,
  type PromQueryClient,
  type RemoteWriteBatch,
  type RemoteWriter,
  writeAll,
} from "../../tools/prometheus/index";
import { builtinMetrics, customMetrics, type MetricSpec } from "../../k6/src/metric-catalog";
import { recordSmallRun, type MetricSample } from "../dashboards/helpers/journey-samples";
import { findPrometheus, startPrometheus, type RunningPrometheus } from "./helpers/prometheus";

const PROMETHEUS = findPrometheus();
if (PROMETHEUS === undefined) {
  console.warn(
    "SKIP tests/prometheus/remote-write-real: `prometheus` is not installed (Debian: apt-get install -y prometheus); " +
      "the remote-write encoding and k6's series were NOT checked against Prometheus",
  );
}

/**
 * Schema 3 puts 8 buckets in each power of two: bucket k is (2^((k−1)/8), 2^(k/8)], upper/lower = 2^(1/8).
 * Prometheus 2.42's histogram_quantile picks the bucket where the cumulative count first reaches q × count and
 * interpolates linearly inside it, so its answer lies in [L, U] of the bucket that also holds the nearest-rank
 * observation x (the ⌈q × n⌉-th smallest), with L < x ≤ U. Hence |estimate − x| < U − L (one bucket width), and
 * relative to x: above it by less than (U − L)/L = 2^(1/8) − 1 ≈ 9.05 %, below it by less than 1 − 2^(−1/8) ≈ 8.3 %.
 */
const SCHEMA_3_RELATIVE_ERROR = 2 ** (1 / 8) - 1;

/** The suite's time trends (`new Trend(name, true)`) and k6's built-in ones, straight from the catalog. */
const CATALOG: readonly MetricSpec[] = [...builtinMetrics(), ...customMetrics()];
const TIME_TRENDS = new Set(CATALOG.filter((m) => m.isTime === true).map((m) => m.name));

/** Independent of k6-series: k6's names by type (remotewrite/prometheus.go MapSeries + trend.go baseUnit). */
function expectedName(metric: string, type: K6Sample["type"], isTime: boolean): string {
  const suffix = { counter: "_total", rate: "_rate", gauge: "", trend: isTime ? "_seconds" : "" }[type];
  return `k6_${metric}${suffix}`;
}

const nearestRank = (values: readonly number[], q: number): number =>
  [...values].sort((a, b) => a - b)[Math.ceil(q * values.length) - 1] as number;

describe.skipIf(PROMETHEUS === undefined)("k6's remote write into a real Prometheus", () => {
  let prometheus: RunningPrometheus;
  let writer: RemoteWriter;
  let promql: PromQueryClient;

  beforeAll(async () => {
    prometheus = await startPrometheus(PROMETHEUS as string);
    writer = createRemoteWriter({ url: prometheus.url });
    promql = createQueryClient({ url: prometheus.url, timeoutMs: 10_000 });
  });
  afterAll(async () => {
    await prometheus?.stop();
  });

  describe("a known set", () => {
    const testid = "rw-known";
    // Recent, whole second: the head takes anything no older than its newest sample − 1 h (helpers/prometheus.ts).
    const t0 = Math.floor(Date.now() / 1000) * 1000 - 5 * 60_000;
    const durationsMs = [12, 15, 18, 22, 25, 31, 40, 47, 55, 63, 70, 88, 95, 120, 150, 210, 260, 340, 480, 900];
    const payloadBytes = [512, 1024, 3000];
    const vus = [1, 5, 3];
    const checks = [1, 0, 1, 1];
    const samples: K6Sample[] = [];
    const at = (i: number, n: number): number => t0 + Math.round((12_000 * i) / n); // spread over 12 s
    durationsMs.forEach((v, i) => {
      const tags = { testid, endpoint: i % 3 === 0 ? "status" : "messages", scenario: "mixed_workload" };
      samples.push({ metric: "http_reqs", type: "counter", value: 1, tags, time: at(i, durationsMs.length) });
      samples.push({
        metric: "http_req_duration",
        type: "trend",
        value: v,
        tags: { testid, scenario: "mixed_workload" },
        time: at(i, durationsMs.length),
      });
    });
    payloadBytes.forEach((v, i) =>
      samples.push({ metric: "payload_size", type: "trend", value: v, tags: { testid }, time: at(i, 3) + 7 }),
    );
    vus.forEach((v, i) => samples.push({ metric: "vus", type: "gauge", value: v, tags: { testid }, time: at(i, 3) }));
    checks.forEach((v, i) =>
      samples.push({
        metric: "checks",
        type: "rate",
        value: v,
        tags: { testid, check: "status is 200" },
        time: at(i, 4) + 3,
      }),
    );
    samples.sort((a, b) => a.time - b.time);
    let batches: RemoteWriteBatch[];
    let stop: number;

    beforeAll(async () => {
      batches = k6RemoteWriteBatches(samples, { pushIntervalMs: 5000, timeMetrics: ["http_req_duration"] });
      stop = batches.filter((b) => b.kind === "flush").at(-1)?.atMs as number;
      await writeAll(writer, batches);
    });

    const one = async (query: string, timeMs = stop): Promise<number> => {
      const result = await promql.vector(query, { timeMs });
      expect(result, query).toHaveLength(1);
      return result[0]?.value as number;
    };

    it("is pushed as several flushes and the stale markers", () => {
      expect(batches.map((b) => b.kind)).toEqual(["flush", "flush", "flush", "stale"]);
    });

    it("counters: k6_<name>_total holds the exact running total per tag set", async () => {
      const messages = samples.filter((s) => s.metric === "http_reqs" && s.tags.endpoint === "messages").length;
      expect(await one(`k6_http_reqs_total{testid="${testid}",endpoint="messages"}`)).toBe(messages);
      expect(await one(`sum(k6_http_reqs_total{testid="${testid}"})`)).toBe(durationsMs.length);
      // Every flush's point, as stored: cumulative, stamped with the newest sample time of the series.
      const raw = await promql.query(`k6_http_reqs_total{testid="${testid}",endpoint="status"}[10m]`, {
        timeMs: stop,
      });
      const statusTimes = samples.filter((s) => s.metric === "http_reqs" && s.tags.endpoint === "status");
      const expected = batches
        .filter((b) => b.kind === "flush")
        .flatMap((b) => b.series.filter((s) => s.labels.some((l) => l.value === "status")))
        .map((s) => ({ time: s.samples[0]?.timestamp, value: s.samples[0]?.value }));
      expect(raw.resultType === "matrix" && raw.result[0]?.values).toEqual(expected);
      expect(expected.at(-1)).toEqual({ time: statusTimes.at(-1)?.time, value: statusTimes.length });
    });

    it("gauges: k6_<name> holds the last value; rates: k6_<name>_rate the fraction of non-zero samples", async () => {
      expect(await one(`k6_vus{testid="${testid}"}`)).toBe(vus.at(-1));
      expect(await one(`k6_checks_rate{testid="${testid}",check="status is 200"}`)).toBe(0.75);
    });

    it("a time trend is a native histogram in seconds: exact count and sum, p95 within one schema-3 bucket", async () => {
      const series = `k6_http_req_duration_seconds{testid="${testid}"}`;
      expect(await one(`histogram_count(${series})`)).toBe(durationsMs.length);
      // The sum is added in observation order, in seconds, as client_golang adds it: exactly this float.
      expect(await one(`histogram_sum(${series})`)).toBe(durationsMs.reduce((sum, v) => sum + v / 1000, 0));
      const p95 = await one(`histogram_quantile(0.95, ${series})`);
      const exact = nearestRank(durationsMs, 0.95) / 1000;
      expect(Math.abs(p95 - exact)).toBeLessThanOrEqual(SCHEMA_3_RELATIVE_ERROR * exact);
      // The buckets came through: each populated one is (2^((k−1)/8), 2^(k/8)] and holds the observations in it.
      const [h] = await promql.vector(series, { timeMs: stop });
      for (const bucket of h?.histogram?.buckets ?? []) {
        expect(bucket.upper / bucket.lower).toBeCloseTo(2 ** (1 / 8), 12);
        const inside = durationsMs.filter((v) => v / 1000 > bucket.lower && v / 1000 <= bucket.upper).length;
        expect(bucket.count).toBe(inside);
      }
      expect(h?.histogram?.buckets.reduce((n, b) => n + b.count, 0)).toBe(durationsMs.length);
    });

    it("a trend that is not a time keeps its unit and its name: k6_<name>", async () => {
      expect(await one(`histogram_count(k6_payload_size{testid="${testid}"})`)).toBe(3);
      expect(await one(`histogram_sum(k6_payload_size{testid="${testid}"})`)).toBe(4536);
    });

    it("the stale markers end every series 1 ms after the last flush", async () => {
      expect(await promql.vector(`{testid="${testid}"}`, { timeMs: stop })).toHaveLength(6);
      expect(await promql.vector(`{testid="${testid}"}`, { timeMs: stop + 1 })).toEqual([]);
    });

    it("what Prometheus refuses comes back as one line: an older point for a series it already has", async () => {
      const err = await writer
        .write([
          {
            labels: [
              { name: "__name__", value: "k6_vus" },
              { name: "testid", value: testid },
            ],
            samples: [{ timestamp: t0 - 1000, value: 1 }],
            histograms: [],
          },
        ])
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PrometheusError);
      expect((err as PrometheusError).kind).toBe("rejected");
      expect((err as PrometheusError).message).toMatch(
        /^Prometheus at \S+ rejected the remote write \(400: out of order sample\)$/,
      );
      const bad = await promql.query("sum(").catch((e: unknown) => e);
      expect((bad as PrometheusError).message).toMatch(/PromQL failed \(400 bad_data: .*parse error.*\): sum\($/);
    });
  });

  describe("a real run of the journeys (the harness's samples)", () => {
    const testid = "20261205-011500-prom";
    let samples: MetricSample[];
    let stop: number;

    beforeAll(async () => {
      samples = await recordSmallRun(testid);
      // The run lasts ~100 ms: a 20 ms push interval gives it several flushes, as a real run has at 5 s.
      const batches = k6RemoteWriteBatches(samples, { pushIntervalMs: 20 });
      expect(batches.filter((b) => b.kind === "flush").length).toBeGreaterThan(1);
      stop = batches.filter((b) => b.kind === "flush").at(-1)?.atMs as number;
      await writeAll(writer, batches);
    }, 60_000);

    it("holds k6's series names, every one labelled with the run's testid", async () => {
      const found = await promql.vector(`count by (__name__) ({testid="${testid}"})`, { timeMs: stop });
      const names = new Set(found.map((s) => s.metric.__name__));
      for (const name of ["k6_http_req_duration_seconds", "k6_http_reqs_total", "k6_checks_rate", "k6_vus"]) {
        expect(names).toContain(name);
      }
      const metrics = new Map(samples.map((s) => [s.metric, s.type]));
      for (const [metric, type] of metrics)
        expect(names).toContain(expectedName(metric, type, TIME_TRENDS.has(metric)));
      expect(names.size).toBe(metrics.size);
      expect(
        await promql.vector(`{__name__=~"k6_.+", testid!="${testid}", testid!="rw-known"}`, { timeMs: stop }),
      ).toEqual([]);
    });

    it("the final http_reqs total is the run's number of http_reqs samples", async () => {
      const requests = samples.filter((s) => s.metric === "http_reqs").length;
      expect(requests).toBeGreaterThan(0);
      const [total] = await promql.vector(`sum(k6_http_reqs_total{testid="${testid}"})`, { timeMs: stop });
      expect(total?.value).toBe(requests);
      const [count] = await promql.vector(`sum(histogram_count(k6_http_req_duration_seconds{testid="${testid}"}))`, {
        timeMs: stop,
      });
      expect(count?.value).toBe(samples.filter((s) => s.metric === "http_req_duration").length);
    });

    it("checks: k6_checks_rate per check is its passes over its runs", async () => {
      const byCheck = new Map<string, number[]>();
      for (const s of samples.filter((x) => x.metric === "checks")) {
        const key = `${s.tags.check}|${s.tags.group ?? ""}|${s.tags.scenario ?? ""}`;
        byCheck.set(key, [...(byCheck.get(key) ?? []), s.value]);
      }
      const found = await promql.vector(`k6_checks_rate{testid="${testid}"}`, { timeMs: stop });
      expect(found).toHaveLength(byCheck.size);
      for (const s of found) {
        const values = byCheck.get(`${s.metric.check}|${s.metric.group ?? ""}|${s.metric.scenario ?? ""}`) ?? [];
        expect(s.value).toBe(values.filter((v) => v !== 0).length / values.length);
      }
    });
  });
});
