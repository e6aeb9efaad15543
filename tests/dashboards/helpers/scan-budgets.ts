// Query budgets in "raw scans": multiples of the time one pass over a run's raw http_req_duration points takes with
// a cheap reducer (`count` per 10 s bucket), measured on the same InfluxDB in the same run. Machine speed cancels
// out of the ratio; what is left is how much work a panel asks of InfluxDB.
//
// Measured (InfluxDB 1.6.7, 2 cores). On the 5.0 M-point dataset (npm run bench:dashboards) the scan takes ~100 ms
// and a percentile() call over the same points ~450 ms: InfluxDB materialises and sorts every raw point per call,
// while count/sum/max stream. On the test's 250 k-point dataset, where a fixed per-query cost weighs more, the
// p50/p95/p99 target measured 4.0–4.8 scans, single-percentile targets 1.7–2.7, the slowest other target 1.4–1.8,
// the whole dashboard 26–34 (39 on a slower CI runner). With the latency row on the rollup (tools/rollup) the
// dashboard measured 18–25 here. The budgets leave about 1.5× of that for a loaded CI runner; that the latency row
// stays on the rollup is checked structurally (tests/dashboards/provisioning.test.ts).
export const SCAN_BUDGETS = {
  /** Per percentile() call in one query (p50/p95/p99 in one target = 3 calls). */
  percentileCall: 4,
  /** Any target without percentile(). */
  otherTarget: 3,
  /** The sum of every target of the dashboard. */
  dashboard: 40,
  forQuery(query: string): number {
    const calls = query.match(/\bpercentile\(/g)?.length ?? 0;
    return Math.max(this.otherTarget, calls * this.percentileCall);
  },
};

/** The baseline: `count` per 10 s over the run's raw http_req_duration points in the range. */
export function scanBaselineQuery(testid: string, range: { fromMs: number; toMs: number }): string {
  return (
    `SELECT count("value") FROM "http_req_duration" WHERE "testid" = '${testid}' ` +
    `AND time >= ${range.fromMs}ms AND time <= ${range.toMs}ms GROUP BY time(10s)`
  );
}
