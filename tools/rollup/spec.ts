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
