// The run summaries (tools/rollup/summary.ts) against a real InfluxDB (Debian's 1.x): a run in xk6-output-influxdb's
// schema (the harness's series and sample mix, with agent samples) is summarised, and every row must equal the
// whole-run statistic of its selection computed here, independently, from the raw points read back (InfluxDB's
// nearest-rank percentile, count, mean, sum, (n − 1) / span) — for every metric, every shape (each tag a value or
// "All") and every group. Writing the summary again must leave the same rows (idempotent); the follower must write
// it once when a run ends, and on a restart for a run that ended unsummarised.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { INFLUX_DATABASE, INFLUX_RETENTION_POLICY } from "../../infra/grafana/src/datasource";
import { createInfluxReader, createInfluxWriter, type InfluxReader, type InfluxWriter } from "../../tools/influx/index";
import { createFollower, DEFAULT_ACTIVE_MS } from "../../tools/rollup/follow";
import {
  ALL,
  SUMMARIES,
  SUMMARY_MEASUREMENT,
  summaryField,
  summaryShapes,
  type SummarySpec,
  type SummaryStat,
} from "../../tools/rollup/spec";
import { summarizeRun, summarizedRuns } from "../../tools/rollup/summary";
import { withAgentSamples } from "../dashboards/helpers/agent-samples";
import { findInfluxd, startInfluxd, type RunningInfluxd } from "../dashboards/helpers/influxd";
import { recordRun, type MetricSample } from "../dashboards/helpers/journey-samples";
import { writeLongRun, type LongRunStats } from "../dashboards/helpers/long-run";

const INFLUXD = findInfluxd();
if (INFLUXD === undefined)
  console.warn("SKIP tests/rollup/summary: no influxd (apt-get install influxdb); the run summaries were NOT checked");

const RUN = "20261202-090000-aaaa";
const FOLLOWED = "20261203-090000-bbbb";
const UNSEEN = "20261203-093000-cccc";
const RUN_START = Date.UTC(2026, 11, 2, 9, 0, 0);
const FOLLOWED_START = Date.UTC(2026, 11, 3, 9, 0, 0);
const UNSEEN_START = Date.UTC(2026, 11, 3, 9, 30, 0);

type Row = (number | string | boolean | null)[];

interface Point {
  time: number;
  value: number;
  tags: Record<string, string>;
}

/** InfluxDB's percentile(): nearest rank, the floor(n × p / 100 + 0.5)-th smallest value. */
function percentileOf(values: readonly number[], n: number): number | undefined {
  const sorted = [...values].sort((a, b) => a - b);
  const i = Math.floor((sorted.length * n) / 100 + 0.5) - 1;
  return i < 0 ? undefined : sorted[i];
}

function statOf(points: readonly Point[], stat: SummaryStat): number | undefined {
  const values = points.map((p) => p.value);
  switch (stat.kind) {
    case "percentile":
      return percentileOf(values, stat.n);
    case "count":
      return values.length;
    case "sum":
      return values.reduce((a, b) => a + b, 0);
    case "mean":
      return values.reduce((a, b) => a + b, 0) / values.length;
    case "rate": {
      // (n − 1) samples per (last − first) ms, as the compare tables define a rate.
      const times = points.map((p) => p.time);
      const span = Math.max(...times) - Math.min(...times);
      return points.length < 2 || span === 0 ? undefined : (1000 * (points.length - 1)) / span;
    }
  }
}

describe.skipIf(INFLUXD === undefined)("run summaries on a real InfluxDB", () => {
  let influx: RunningInfluxd;
  let reader: InfluxReader;
  let writer: InfluxWriter;
  let harness: MetricSample[];
  let stats: LongRunStats;
  let followed: LongRunStats;

  const write = (testid: string, startMs: number, points: number): Promise<LongRunStats> =>
    writeLongRun(influx, harness, {
      testid,
      startMs,
      points,
      durationSeconds: 300,
      db: INFLUX_DATABASE,
      rp: INFLUX_RETENTION_POLICY,
    });

  /** A run's raw points of a spec's source (its fixed tags applied), with their tags. */
  async function rawPoints(spec: SummarySpec, testid: string): Promise<Point[]> {
    const where = Object.entries(spec.where).map(([k, v]) => ` AND "${k}" = '${v}'`);
    const series = await reader.query(
      `SELECT "value" FROM "${spec.source}" WHERE "testid" = '${testid}'${where.join("")} GROUP BY *`,
    );
    return series.flatMap((s) =>
      s.values.map((row) => ({ time: Number(row[0]), value: Number(row[1]), tags: s.tags ?? {} })),
    );
  }

  /** A run's summary rows of a metric: shape + group → fields, and the rows' times. */
  async function summaryRows(
    spec: SummarySpec,
    testid: string,
  ): Promise<{ rows: Map<string, Row>; columns: string[] }> {
    const series = await reader.query(
      `SELECT * FROM "${SUMMARY_MEASUREMENT}" WHERE "testid" = '${testid}' AND "metric" = '${spec.source}'`,
    );
    const columns = series[0]?.columns ?? [];
    const rows = new Map<string, Row>();
    for (const row of series[0]?.values ?? []) {
      const key = spec.tags.map((tag) => String(row[columns.indexOf(tag)] ?? "")).join("|");
      expect(rows.has(key), `${spec.source} ${key}: one row per selection`).toBe(false);
      rows.set(key, row);
    }
    return { rows, columns };
  }

  /** Every row of every metric equals the statistic of its selection over the raw points. Returns the rows checked. */
  async function expectEqualToRaw(testid: string): Promise<number> {
    let checked = 0;
    for (const spec of SUMMARIES) {
      const points = await rawPoints(spec, testid);
      const { rows, columns } = await summaryRows(spec, testid);
      if (points.length === 0) {
        expect(rows.size, spec.source).toBe(0);
        continue;
      }
      // Stamped at the run's first sample of the metric (any tags), which `start` repeats for top().
      const first = Math.min(...(await rawPoints({ ...spec, where: {} }, testid)).map((p) => p.time));
      const expected = new Map<string, Map<string, number>>();
      for (const shape of summaryShapes(spec)) {
        const groups = new Map<string, Point[]>();
        for (const p of points) {
          const key = spec.tags.map((tag) => (shape.includes(tag) ? (p.tags[tag] ?? "") : ALL)).join("|");
          groups.set(key, [...(groups.get(key) ?? []), p]);
        }
        for (const [key, group] of groups) {
          const fields = new Map<string, number>();
          for (const stat of spec.stats) {
            // Rates per tag value only (summary.ts).
            if (stat.kind === "rate" && shape.length === 0) continue;
            const value = statOf(group, stat);
            if (value !== undefined) fields.set(summaryField(stat), value);
          }
          if (fields.size > 0) expected.set(key, fields);
        }
      }
      expect([...rows.keys()].sort(), spec.source).toEqual([...expected.keys()].sort());
      for (const [key, fields] of expected) {
        const row = rows.get(key) as Row;
        expect(row[0], `${spec.source} ${key} time`).toBe(first);
        expect(row[columns.indexOf("start")], `${spec.source} ${key} start`).toBe(first);
        for (const [field, value] of fields) {
          const actual = row[columns.indexOf(field)] as number;
          const label = `${spec.source} [${key}] ${field}: ${actual} vs ${value}`;
          expect(Math.abs(actual - value), label).toBeLessThanOrEqual(Math.abs(value) * 1e-9);
          checked++;
        }
      }
    }
    return checked;
  }

  async function allRows(testid: string): Promise<Row[]> {
    const series = await reader.query(`SELECT * FROM "${SUMMARY_MEASUREMENT}" WHERE "testid" = '${testid}' GROUP BY *`);
    return series.flatMap((s) => s.values.map((row) => [JSON.stringify(s.tags), ...row]));
  }

  beforeAll(async () => {
    influx = await startInfluxd(INFLUXD as string);
    await influx.query(`CREATE DATABASE "${INFLUX_DATABASE}" WITH NAME "${INFLUX_RETENTION_POLICY}"`);
    reader = createInfluxReader({ url: influx.url, envFile: null });
    writer = createInfluxWriter({ url: influx.url, envFile: null });
    harness = withAgentSamples(await recordRun(RUN), RUN);
    stats = await write(RUN, RUN_START, 40_000);
    followed = await write(FOLLOWED, FOLLOWED_START, 8_000);
    await write(UNSEEN, UNSEEN_START, 8_000);
  }, 120_000);

  afterAll(async () => {
    await influx?.stop();
  });

  it("summarises every metric the compare dashboard reads; each row equals the raw whole-run statistic", async () => {
    const result = await summarizeRun(reader, writer, RUN);
    expect(result.metrics).toBe(SUMMARIES.length);
    const checked = await expectEqualToRaw(RUN);
    // Every metric, several groups per shape: a few hundred cells.
    expect(checked).toBeGreaterThan(200);
    expect(result.rows).toBeGreaterThan(100);
    expect(stats.points).toBeGreaterThan(30_000);
  }, 60_000);

  it("writes the same rows again when a run is summarised twice (overwrites, no duplicates)", async () => {
    const before = await allRows(RUN);
    expect(before.length).toBeGreaterThan(100);
    await summarizeRun(reader, writer, RUN);
    expect(await allRows(RUN)).toEqual(before);
  }, 60_000);

  it("the follower summarises a run once when it ends (no sample for 2 minutes), and on a restart one it missed", async () => {
    let now = FOLLOWED_START + 60_000;
    const follower = createFollower(reader, writer, { now: () => now });
    // On the first tick, FOLLOWED is in progress; nothing else ended within the hour.
    const first = await follower.tick();
    expect(first.runs).toEqual([FOLLOWED]);
    expect(first.ended).toEqual([]);
    expect((await summarizedRuns(reader)).has(FOLLOWED)).toBe(false);
    // 2 minutes after its last sample the run is still active at the boundary…
    now = followed.endMs + DEFAULT_ACTIVE_MS - 1_000;
    expect((await follower.tick()).ended).toEqual([]);
    // …and ended just past it: summarised once.
    now = followed.endMs + DEFAULT_ACTIVE_MS + 1_000;
    const ended = await follower.tick();
    expect(ended.runs).toEqual([]);
    expect(ended.ended).toEqual([FOLLOWED]);
    expect(ended.summaryRows).toBeGreaterThan(0);
    await expectEqualToRaw(FOLLOWED);
    now += 5_000;
    expect((await follower.tick()).ended).toEqual([]);

    // UNSEEN ran while no follower ran: a follower started after it summarises it on its first tick, and not the
    // runs that already have a summary.
    now = UNSEEN_START + 15 * 60_000;
    const restarted = createFollower(reader, writer, { now: () => now });
    const tick = await restarted.tick();
    expect(tick.runs).toEqual([]);
    expect(tick.ended).toEqual([UNSEEN]);
    await expectEqualToRaw(UNSEEN);
    expect((await restarted.tick()).ended).toEqual([]);
  }, 60_000);
});
