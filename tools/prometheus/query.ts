// A small client for Prometheus' PromQL HTTP API: instant (/api/v1/query) and range (/api/v1/query_range) queries,
// answers typed and parsed (numbers, not the API's strings; times in epoch ms), native histogram values included
// (`histogram` on a vector sample, `histograms` on a matrix series, as the API names them). Every failure is a
// PrometheusError with one readable line.
import { loadPrometheusConfig, type PrometheusConfig } from "./config";
import { firstLine, PrometheusError, unreachable } from "./errors";
import { fetchText, type TextReply } from "../influx/http";
import type { LoadConfigOptions } from "../influx/config";

/**
 * One bucket of a native histogram as the API gives it: which ends are closed (0: (lower, upper], 1: [lower, upper),
 * 2: (lower, upper), 3: [lower, upper]; positive buckets are 0, the zero bucket 3), its bounds and count.
 */
export interface HistogramBucket {
  boundaryRule: 0 | 1 | 2 | 3;
  lower: number;
  upper: number;
  count: number;
}

export interface HistogramValue {
  count: number;
  sum: number;
  /** Only buckets with a count; none when the histogram is empty. */
  buckets: HistogramBucket[];
}

export type Labels = Record<string, string>;

/** An instant vector element: a float `value` or a native `histogram`, never both. */
export interface VectorSample {
  metric: Labels;
  /** epoch ms */
  time: number;
  value?: number;
  histogram?: HistogramValue;
}

export interface MatrixSeries {
  metric: Labels;
  /** Float points, oldest first. */
  values: Array<{ time: number; value: number }>;
  /** Native histogram points, oldest first. */
  histograms: Array<{ time: number; histogram: HistogramValue }>;
}

export type InstantResult =
  | { resultType: "vector"; result: VectorSample[] }
  /** An instant query of a range selector (`x[5m]`) answers with the raw points. */
  | { resultType: "matrix"; result: MatrixSeries[] }
  | { resultType: "scalar"; result: { time: number; value: number } }
  | { resultType: "string"; result: { time: number; value: string } };

export interface RangeOptions {
  /** epoch ms */
  startMs: number;
  endMs: number;
  stepMs: number;
}

export interface PromQueryClient {
  readonly config: PrometheusConfig;
  /** An instant query at `timeMs` (default: Prometheus' now). */
  query(promql: string, options?: { timeMs?: number }): Promise<InstantResult>;
  /** The instant query's vector; a PrometheusError "bad-response" when the expression is not a vector. */
  vector(promql: string, options?: { timeMs?: number }): Promise<VectorSample[]>;
  /** A range query: one matrix series per label set. */
  queryRange(promql: string, options: RangeOptions): Promise<MatrixSeries[]>;
  /** The label sets of the series matching a selector with a point between the two times (epoch ms). */
  series(match: string, options: { startMs: number; endMs: number }): Promise<Labels[]>;
  /** Every value a label has. */
  labelValues(label: string): Promise<string[]>;
}

export interface QueryClientOptions extends Partial<PrometheusConfig>, LoadConfigOptions {
  /** Per query, client side; also sent as the API's `timeout` so the server gives up too. Default 60 s. */
  timeoutMs?: number;
}

/** Prometheus writes floats as strings, with its own spelling of infinities. */
export function parseFloatString(s: string): number {
  if (s === "+Inf" || s === "Inf") return Infinity;
  if (s === "-Inf") return -Infinity;
  return Number(s);
}

type WirePoint = [number, string];
type WireBucket = [number, string, string, string];
type WireHistogram = { count: string; sum: string; buckets?: WireBucket[] };
type WireHistogramPoint = [number, WireHistogram];
interface WireVector {
  metric: Labels;
  value?: WirePoint;
  histogram?: WireHistogramPoint;
}
interface WireMatrix {
  metric: Labels;
  values?: WirePoint[];
  histograms?: WireHistogramPoint[];
}

const ms = (seconds: number): number => Math.round(seconds * 1000);

function histogramOf(h: WireHistogram): HistogramValue {
  return {
    count: parseFloatString(h.count),
    sum: parseFloatString(h.sum),
    buckets: (h.buckets ?? []).map(([rule, lower, upper, count]) => ({
      boundaryRule: rule as HistogramBucket["boundaryRule"],
      lower: parseFloatString(lower),
      upper: parseFloatString(upper),
      count: parseFloatString(count),
    })),
  };
}

function vectorOf(result: WireVector[]): VectorSample[] {
  return result.map((r) => {
    const sample: VectorSample = { metric: r.metric, time: ms((r.value ?? r.histogram)?.[0] ?? 0) };
    if (r.value !== undefined) sample.value = parseFloatString(r.value[1]);
    if (r.histogram !== undefined) sample.histogram = histogramOf(r.histogram[1]);
    return sample;
  });
}

function matrixOf(result: WireMatrix[]): MatrixSeries[] {
  return result.map((r) => ({
    metric: r.metric,
    values: (r.values ?? []).map(([t, v]) => ({ time: ms(t), value: parseFloatString(v) })),
    histograms: (r.histograms ?? []).map(([t, h]) => ({ time: ms(t), histogram: histogramOf(h) })),
  }));
}

/** An API time parameter: epoch seconds with ms precision. */
const seconds = (epochMs: number): string => (epochMs / 1000).toFixed(3);

export function createQueryClient(options: QueryClientOptions = {}): PromQueryClient {
  const config: PrometheusConfig = {
    url: (options.url ?? loadPrometheusConfig(options).url).replace(/\/+$/, ""),
  };
  const timeoutMs = options.timeoutMs ?? 60_000;
  const where = `Prometheus at ${config.url}`;

  /** POST with form parameters, or GET where the API takes only GET (label values). */
  async function call(path: string, params: Record<string, string>, promql?: string, method = "POST") {
    let res: TextReply;
    const form = new URLSearchParams(
      promql === undefined ? params : { ...params, query: promql, timeout: `${timeoutMs / 1000}s` },
    );
    try {
      res = await fetchText(
        method === "GET" ? `${config.url}${path}?${form.toString()}` : `${config.url}${path}`,
        method === "GET"
          ? { method, headers: { accept: "application/json" } }
          : {
              method,
              headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
              body: form,
            },
        timeoutMs,
      );
    } catch (error) {
      throw unreachable(where, error);
    }
    let body: { status?: string; errorType?: string; error?: string; data?: { resultType?: string; result?: unknown } };
    try {
      body = JSON.parse(res.text) as typeof body;
    } catch {
      throw new PrometheusError(
        "bad-response",
        `${where} answered ${res.status} with no API JSON: ${firstLine(res.text).slice(0, 120)}`,
        res.status,
      );
    }
    if (body.status !== "success" || !res.ok) {
      const why = body.error ?? firstLine(res.text);
      throw new PrometheusError(
        "query",
        `${where}: ${promql === undefined ? path : "PromQL"} failed (${res.status} ${body.errorType ?? res.statusText}: ` +
          `${firstLine(why)})${promql === undefined ? "" : `: ${promql.slice(0, 200)}`}`,
        res.status,
      );
    }
    return body.data ?? {};
  }

  async function query(promql: string, opts: { timeMs?: number } = {}): Promise<InstantResult> {
    const params: Record<string, string> = opts.timeMs === undefined ? {} : { time: seconds(opts.timeMs) };
    const data = await call("/api/v1/query", params, promql);
    switch (data.resultType) {
      case "vector":
        return { resultType: "vector", result: vectorOf(data.result as WireVector[]) };
      case "matrix":
        return { resultType: "matrix", result: matrixOf(data.result as WireMatrix[]) };
      case "scalar": {
        const [t, v] = data.result as WirePoint;
        return { resultType: "scalar", result: { time: ms(t), value: parseFloatString(v) } };
      }
      case "string": {
        const [t, v] = data.result as WirePoint;
        return { resultType: "string", result: { time: ms(t), value: v } };
      }
      default:
        throw new PrometheusError("bad-response", `${where}: unknown resultType ${String(data.resultType)}: ${promql}`);
    }
  }

  async function vector(promql: string, opts: { timeMs?: number } = {}): Promise<VectorSample[]> {
    const answer = await query(promql, opts);
    if (answer.resultType !== "vector") {
      throw new PrometheusError("bad-response", `${where}: expected a vector, got a ${answer.resultType}: ${promql}`);
    }
    return answer.result;
  }

  async function queryRange(promql: string, range: RangeOptions): Promise<MatrixSeries[]> {
    if (!(range.stepMs > 0)) throw new RangeError(`step must be positive, got ${range.stepMs} ms`);
    const data = await call(
      "/api/v1/query_range",
      { start: seconds(range.startMs), end: seconds(range.endMs), step: `${range.stepMs / 1000}` },
      promql,
    );
    if (data.resultType !== "matrix") {
      throw new PrometheusError("bad-response", `${where}: range query answered ${String(data.resultType)}: ${promql}`);
    }
    return matrixOf(data.result as WireMatrix[]);
  }

  async function series(match: string, range: { startMs: number; endMs: number }): Promise<Labels[]> {
    const data = await call("/api/v1/series", {
      "match[]": match,
      start: seconds(range.startMs),
      end: seconds(range.endMs),
    });
    return data as unknown as Labels[];
  }

  async function labelValues(label: string): Promise<string[]> {
    return (await call(
      `/api/v1/label/${encodeURIComponent(label)}/values`,
      {},
      undefined,
      "GET",
    )) as unknown as string[];
  }

  return { config, query, vector, queryRange, series, labelValues };
}
