// Live rollup: on every tick, the runs that wrote samples recently are rolled up over the last `lookbackMs`, the
// still-open window included. Re-rolling a window overwrites it, so the open window fills in over the next ticks and
// samples that arrive late (k6 pushes every K6_INFLUXDB_PUSH_INTERVAL, a flush can lag) are counted as long as they
// land within the lookback. A run seen for the first time (the rollup started after it) is rolled up from its first
// sample, so restarting the rollup loses nothing of a run in progress.
//
// A run has ENDED when it wrote no http_req_duration sample for `activeMs` (2 minutes; k6 pushes every 2 s, so a run
// in progress is never that quiet): a run followed on the previous tick and missing from this tick's active runs.
// The follower then writes its summary rows (summary.ts), once. A run that writes again is followed again and
// summarised again when it ends again (the rows are overwritten). On its first tick (a start or restart), the
// follower also summarises runs that ended while it was not running: runs with samples within `recentMs` that are not
// active and have no summary rows.
import { ident, literal } from "../../infra/grafana/src/influxql";
import { rollupRange, type QueryClient } from "./rollup";
import type { InfluxWriter } from "../influx/writer";
import { rollupOf } from "./spec";
import { summarizeRun, summarizedRuns } from "./summary";

export interface FollowOptions {
  /** How far back each tick re-rolls (late samples older than this stay out of the rollup). */
  lookbackMs?: number;
  /** A run is followed while it wrote a sample within this long. */
  activeMs?: number;
  /** On the first tick, runs that ended within this long and have no summary are summarised (default 1 h). */
  recentMs?: number;
  /** The clock (tests pass their own). */
  now?: () => number;
}

export interface TickResult {
  runs: string[];
  /** Runs seen for the first time on this tick (rolled up from their first sample). */
  started: string[];
  /** Runs summarised on this tick: they ended (no sample for activeMs), or ended unsummarised before the first tick. */
  ended: string[];
  rows: number;
  /** Summary rows written. */
  summaryRows: number;
}

/**
 * 30 s: k6 pushes every 2 s (K6_INFLUXDB_PUSH_INTERVAL) and a flush that takes longer than that is already a warning,
 * so a sample lands well within it; each tick re-rolls 3–4 windows per run (≈ 2 × 4 percentile queries over 30 s of
 * samples: npm run bench:dashboards prints the cost at full load).
 */
export const DEFAULT_LOOKBACK_MS = 30_000;
export const DEFAULT_ACTIVE_MS = 120_000;
export const DEFAULT_RECENT_MS = 3_600_000;

export interface Follower {
  tick(): Promise<TickResult>;
}

export function createFollower(reader: QueryClient, writer: InfluxWriter, options: FollowOptions = {}): Follower {
  const lookbackMs = options.lookbackMs ?? DEFAULT_LOOKBACK_MS;
  const activeMs = options.activeMs ?? DEFAULT_ACTIVE_MS;
  const recentMs = options.recentMs ?? DEFAULT_RECENT_MS;
  const now = options.now ?? Date.now;
  // Runs being followed; a run that went quiet is dropped (and summarised), and rolled up from its start if it writes
  // again.
  let following = new Set<string>();
  let firstTick = true;
  // Activity is read from the busiest rolled-up trend: every request writes an http_req_duration sample.
  const source = ident(rollupOf("http_req_duration").source);

  async function activeRuns(at: number, withinMs: number = activeMs): Promise<string[]> {
    const series = await reader.query(
      `SELECT count("value") FROM ${source} WHERE time >= ${at - withinMs}ms AND time <= ${at}ms GROUP BY "testid"`,
    );
    return series.map((s) => s.tags?.testid ?? "").filter((id) => id !== "");
  }

  async function firstSample(testid: string, at: number): Promise<number> {
    const series = await reader.query(
      `SELECT first("value") FROM ${source} WHERE "testid" = ${literal(testid)} AND time <= ${at}ms`,
    );
    const t = series[0]?.values[0]?.[0];
    return typeof t === "number" ? t : at - lookbackMs;
  }

  return {
    async tick() {
      const at = now();
      const runs = await activeRuns(at);
      const started = runs.filter((id) => !following.has(id));
      let rows = 0;
      for (const testid of runs) {
        const from = started.includes(testid) ? await firstSample(testid, at) : at - lookbackMs;
        rows += (await rollupRange(reader, writer, testid, from, at + 1)).rows;
      }
      const ended = [...following].filter((id) => !runs.includes(id));
      if (firstTick) {
        const summarized = await summarizedRuns(reader);
        for (const id of await activeRuns(at, recentMs))
          if (!runs.includes(id) && !summarized.has(id) && !ended.includes(id)) ended.push(id);
      }
      let summaryRows = 0;
      // Before `following` moves on: if a summary fails (InfluxDB down), the next tick finds the run ended again.
      for (const testid of ended) summaryRows += (await summarizeRun(reader, writer, testid)).rows;
      following = new Set(runs);
      firstTick = false;
      return { runs, started, ended, rows, summaryRows };
    },
  };
}
