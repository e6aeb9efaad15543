// The one list of panels whose PromQL twin is not the InfluxQL panel's exact counterpart: either there is no twin
// (the PromQL dashboard leaves the panel out, keeping its id unused) or the twin shows a nearby statistic (its
// description says how it differs). Every other panel has a twin with the same title, row, unit and limits
// (tests/dashboards/promql-twins.test.ts checks both this list and the twins).
//
// What applies to every PromQL panel is not listed here (promql.ts, README "PromQL dashboards"): values are per
// push (5 s) rather than per sample, and percentiles come from native histograms (within a bucket's width).

export type Twin = "none" | "approximate";

export interface PromQLException {
  /** The InfluxQL dashboard's uid (dashboard.ts DASHBOARD_UID, compare.ts COMPARE_DASHBOARD_UID). */
  dashboard: "agentapi-load" | "agentapi-compare";
  /** The panel's title (the same on both dashboards). */
  title: string;
  twin: Twin;
  why: string;
}

const CUMULATIVE_SHARE =
  "k6's prometheus-rw output writes a Rate metric as one gauge per series holding the share of non-zero samples " +
  "since the run began, and no sample count: the twin plots that running share (what the k6 threshold judges at the " +
  "end of the run), not the share within each interval";

const SUCCESS_SHARE = `${CUMULATIVE_SHARE} (per series, averaged over a scenario's series: they cannot be weighted).`;

const GAUGE_AT_PUSH =
  "A gauge reaches Prometheus as its last value before each push (every 5 s), from all VUs that share its tags: " +
  "the twin is the max of those values per interval, so a peak between two pushes can be missed.";

const NO_TREND =
  "PromQL cannot put one point per run at that run's first sample and keep the newest $N runs (it has no order over " +
  "label values or first timestamps without a subquery over the whole range); compare the runs' series on the load " +
  "dashboard (Prometheus), one testid at a time, instead.";

export const PROMQL_EXCEPTIONS: readonly PromQLException[] = [
  // Load dashboard.
  { dashboard: "agentapi-load", title: "Virtual users", twin: "approximate", why: GAUGE_AT_PUSH },
  { dashboard: "agentapi-load", title: "Concurrent users", twin: "approximate", why: GAUGE_AT_PUSH },
  {
    dashboard: "agentapi-load",
    title: "Failed checks",
    twin: "none",
    why:
      "checks is a Rate metric: Prometheus gets the share of passed checks since the run began per series and no " +
      "count, so failed checks per interval cannot be counted.",
  },
  { dashboard: "agentapi-load", title: "Authentication success", twin: "approximate", why: SUCCESS_SHARE },
  { dashboard: "agentapi-load", title: "MCP connection success", twin: "approximate", why: SUCCESS_SHARE },
  { dashboard: "agentapi-load", title: "Tool execution success", twin: "approximate", why: SUCCESS_SHARE },
  { dashboard: "agentapi-load", title: "Disconnect success", twin: "approximate", why: SUCCESS_SHARE },
  {
    dashboard: "agentapi-load",
    title: "Active MCP connections: sessions opened / closed",
    twin: "none",
    why:
      "active_connections is a per-VU 0/1 gauge: Prometheus gets one series per tag set holding the last report of " +
      "any VU before each push, so the opens and closes per interval cannot be counted.",
  },
  {
    dashboard: "agentapi-load",
    title: "Agent recovery time max / p95",
    twin: "approximate",
    why:
      "A native histogram keeps no maximum: max is histogram_quantile(1, …), the upper bound of the highest bucket " +
      "with samples (at most ~9 % above the slowest VU).",
  },
  // Compare dashboard.
  ...(["endpoint", "scenario"] as const).map((by): PromQLException => ({
    dashboard: "agentapi-compare",
    title: `Request rate by ${by}`,
    twin: "approximate",
    why:
      `Prometheus keeps no sample times: the ${by}'s span is the number of pushes that carried its requests × the ` +
      "5 s push interval (InfluxQL: first to last request), so a short or sparse group reads a little low.",
  })),
  ...["p95 by endpoint over runs", "Error rate over runs", "Agent turn p95 over runs", "Runs over time"].map(
    (title): PromQLException => ({ dashboard: "agentapi-compare", title, twin: "none", why: NO_TREND }),
  ),
];

export function promqlException(dashboard: string, title: string): PromQLException | undefined {
  const matches = PROMQL_EXCEPTIONS.filter((e) => e.dashboard === dashboard && e.title === title);
  if (matches.length > 1) throw new Error(`${dashboard}: "${title}" is listed twice in PROMQL_EXCEPTIONS`);
  return matches[0];
}

/** What an approximate twin's description adds. */
export function promqlNote(exception: PromQLException): string {
  return ` PromQL twin, not exact: ${exception.why}`;
}
