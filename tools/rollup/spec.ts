// What the rollup pre-aggregates, as data. The dashboard's percentile panels over a whole run read these instead of
// every raw point (infra/grafana/src/dashboard.ts, latency row), so their cost no longer grows with the run.
//
// Why: InfluxQL's percentile() materialises and sorts every raw point it covers, on each call. On a 20-minute full
// `local` run (5.0 M points, 373 k http_req_duration points) one percentile() over the run costs ~450 ms on
// InfluxDB 1.6 (a count over the same points ~100 ms), so the p50/p95/p99 panel alone took ~1.1 s.

/** Width of one rollup window: the dashboard panels' min interval, so at ≤ 10 s buckets a panel shows exact values. */
export const ROLLUP_WINDOW_MS = 10_000;

/** The tag value of a row that covers every value of that tag, as Grafana's `${var:text}` renders "All". */
export const ALL = "All";

/** The percentiles each row holds (fields p50, p95, p99), besides `count` and `max`. */
export const ROLLUP_PERCENTILES = [50, 95, 99] as const;

/** The tags a row can be narrowed by: a row per value of each, and per combination, plus the "All" rows. */
export const ROLLUP_TAGS = ["scenario", "endpoint"] as const;
export type RollupTag = (typeof ROLLUP_TAGS)[number];

export interface RollupSpec {
  /** The k6 trend whose raw samples are rolled up. */
  source: string;
  /** Fixed tag filters on the source (the ones its run-wide threshold row names). */
  where: Readonly<Record<string, string>>;
  /** Where the rows go. */
  measurement: string;
}

export const ROLLUPS: readonly RollupSpec[] = [
  // The latency row's run-wide threshold judges http_req_duration{kind:call} (GET /events streams left out).
  { source: "http_req_duration", where: { kind: "call" }, measurement: "rollup_http_req_duration" },
  { source: "http_req_waiting", where: {}, measurement: "rollup_http_req_waiting" },
];

/** The spec of a source trend (throws on one that is not rolled up: a typo in a panel must fail generation). */
export function rollupOf(source: string): RollupSpec {
  const spec = ROLLUPS.find((r) => r.source === source);
  if (spec === undefined) throw new Error(`${source} is not rolled up (tools/rollup/spec.ts)`);
  return spec;
}

/** Each row is the percentile over exactly the raw samples of its window that match all of its tags. */
export const ROLLUP_SHAPES: readonly (readonly RollupTag[])[] = [
  [],
  ["scenario"],
  ["endpoint"],
  ["scenario", "endpoint"],
];

// ---- Run summaries: one row per run and selection, written once the run has ended (summary.ts) ----
//
// The compare dashboard reads whole runs: its tables and its trend over runs. Over raw points each of its percentile
// cells sorts every sample of a run again, and the trend does so for every run kept (12.9 s for the dashboard on a
// real 20-minute run, the trend panels 2.1–2.2 s each, growing with every run). A run's numbers do not change once it
// has ended, so they are computed once, by InfluxDB's own functions over the raw points (the same queries the
// dashboard ran), and the dashboard reads a handful of rows per run.

/** The measurement of the run summaries. */
export const SUMMARY_MEASUREMENT = "run_summary";

/** The tag naming the k6 metric a summary row is about (one measurement for all: one place to look for a run). */
export const SUMMARY_METRIC_TAG = "metric";

/**
 * The integer field holding the row's time (the run's first sample of the metric) in ms: `top("start", N)` picks the
 * newest N runs by it and returns them in time order.
 */
export const SUMMARY_START_FIELD = "start";

/** A whole-run statistic, computed as the compare dashboard's raw queries compute it. */
export type SummaryStat =
  | { kind: "percentile"; n: number }
  | { kind: "count" }
  | { kind: "mean" }
  | { kind: "sum" }
  /** Samples per second between the group's first and last sample: 1000 / the mean gap in ms (no row for one sample). */
  | { kind: "rate" };

/** The field a statistic is stored in: p50, p95, p99, count, mean, sum, rate. */
export function summaryField(stat: SummaryStat): string {
  return stat.kind === "percentile" ? `p${stat.n}` : stat.kind;
}

export interface SummarySpec {
  /** The k6 metric whose raw samples are summarised (the `metric` tag of its rows). */
  source: string;
  /** Fixed tag filters on the source. */
  where: Readonly<Record<string, string>>;
  /** The tags rows are split by: a row per value of each, per combination, and "All" for each tag not split. */
  tags: readonly string[];
  stats: readonly SummaryStat[];
}

/** What the compare dashboard shows (infra/grafana/src/compare.ts): a generation error names any cell not here. */
export const SUMMARIES: readonly SummarySpec[] = [
  {
    source: "http_req_duration",
    where: { kind: "call" },
    tags: ["scenario", "endpoint"],
    stats: [
      { kind: "percentile", n: 50 },
      { kind: "percentile", n: 95 },
      { kind: "percentile", n: 99 },
      { kind: "count" },
    ],
  },
  { source: "http_reqs", where: {}, tags: ["scenario", "endpoint"], stats: [{ kind: "rate" }] },
  { source: "http_req_failed", where: {}, tags: ["scenario", "endpoint"], stats: [{ kind: "mean" }] },
  { source: "agent_turn_duration", where: {}, tags: ["scenario"], stats: [{ kind: "percentile", n: 95 }] },
  {
    source: "agent_first_output",
    where: {},
    tags: ["scenario", "observed_by"],
    stats: [{ kind: "percentile", n: 95 }],
  },
  { source: "agent_turns", where: {}, tags: ["scenario"], stats: [{ kind: "sum" }] },
  { source: "agent_turn_failures", where: {}, tags: ["scenario", "reason"], stats: [{ kind: "sum" }] },
];

/** The summary spec of a metric (throws on one that is not summarised: a typo in a panel must fail generation). */
export function summaryOf(source: string): SummarySpec {
  const spec = SUMMARIES.find((s) => s.source === source);
  if (spec === undefined) throw new Error(`${source} has no run summary (tools/rollup/spec.ts)`);
  return spec;
}

/** Every subset of a spec's tags, [] first: the shapes its rows come in. */
export function summaryShapes(spec: SummarySpec): string[][] {
  let shapes: string[][] = [[]];
  for (const tag of spec.tags) shapes = [...shapes, ...shapes.map((s) => [...s, tag])];
  return shapes;
}
