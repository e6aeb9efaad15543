// Run summaries (spec.ts, SUMMARIES): once a run has ended, one row per metric, selection and run in `run_summary`,
// stamped at the run's first sample of the metric, holding the whole-run statistics the compare dashboard shows.
// InfluxDB computes each with the same functions the dashboard's queries over raw points used (percentile(), count(),
// mean(), sum(), 1000 / mean(elapsed)), grouped by the row's tags, so a row holds exactly what such a query returns.
// Writing a run's summary again writes the same series at the same timestamps: it overwrites (idempotent).
import { escapeKey, escapeMeasurement, type InfluxWriter } from "../influx/writer";
import type { Series } from "../influx/reader";
import { ident, literal } from "../../infra/grafana/src/influxql";
import type { QueryClient } from "./rollup";
import {
  ALL,
  SUMMARIES,
  SUMMARY_MEASUREMENT,
  SUMMARY_METRIC_TAG,
  SUMMARY_START_FIELD,
  summaryField,
  summaryShapes,
  type SummarySpec,
  type SummaryStat,
} from "./spec";

export interface SummaryResult {
  /** Metrics the run has samples of (each got its rows). */
  metrics: number;
  rows: number;
}

function conditions(spec: SummarySpec, testid: string): string {
  return [
    `"testid" = ${literal(testid)}`,
    ...Object.entries(spec.where).map(([k, v]) => `${ident(k)} = ${literal(v)}`),
  ].join(" AND ");
}

const groupBy = (shape: readonly string[]): string =>
  shape.length === 0 ? "" : ` GROUP BY ${shape.map(ident).join(", ")}`;

function aggregate(stat: Exclude<SummaryStat, { kind: "rate" }>): string {
  return stat.kind === "percentile" ? `percentile("value", ${stat.n})` : `${stat.kind}("value")`;
}

/** The InfluxQL computing a spec's statistics over a whole run, one row per value of the shape's tags. */
export function summaryQueries(spec: SummarySpec, shape: readonly string[], testid: string): string[] {
  const from = `FROM ${ident(spec.source)} WHERE ${conditions(spec, testid)}`;
  const queries: string[] = [];
  const plain = spec.stats.filter((s): s is Exclude<SummaryStat, { kind: "rate" }> => s.kind !== "rate");
  if (plain.length > 0) {
    const fields = plain.map((s) => `${aggregate(s)} AS ${ident(summaryField(s))}`).join(", ");
    queries.push(`SELECT ${fields} ${from}${groupBy(shape)}`);
  }
  if (spec.stats.some((s) => s.kind === "rate")) {
    // (n − 1) / (last − first) of the group's samples: the gaps between consecutive samples, as the dashboard did.
    const gaps = `SELECT elapsed("value", 1ms) AS "gap" ${from}${groupBy(shape)}`;
    queries.push(`SELECT 1000 / mean("gap") AS "rate" FROM (${gaps})${groupBy(shape)}`);
  }
  return queries;
}

/** The time of the run's first sample of the metric (any tags), or undefined when it has none. */
async function firstSample(reader: QueryClient, source: string, testid: string): Promise<number | undefined> {
  const series = await reader.query(`SELECT first("value") FROM ${ident(source)} WHERE "testid" = ${literal(testid)}`);
  const t = series[0]?.values[0]?.[0];
  return typeof t === "number" ? t : undefined;
}

function numberOf(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

/**
 * The series key of a row: the metric, the run, each split tag's value (left out when the samples lack the tag, as
 * InfluxDB stores a tag with an empty value — so a query grouping by it shows "" as the raw query did) and "All" for
 * each tag the row is not split by.
 */
function seriesKey(spec: SummarySpec, shape: readonly string[], testid: string, group: Record<string, string>): string {
  const tags: Record<string, string> = { [SUMMARY_METRIC_TAG]: spec.source, testid };
  for (const tag of spec.tags) {
    const value = shape.includes(tag) ? (group[tag] ?? "") : ALL;
    if (value !== "") tags[tag] = value;
  }
  return [
    escapeMeasurement(SUMMARY_MEASUREMENT),
    ...Object.keys(tags)
      .sort()
      .map((k) => `${escapeKey(k)}=${escapeKey(tags[k] as string)}`),
  ].join(",");
}

/** Line protocol for one spec's rows over a run, all at `at` (the run's first sample of the metric). */
export function summaryLines(
  spec: SummarySpec,
  shape: readonly string[],
  testid: string,
  at: number,
  answers: readonly Series[][],
): string[] {
  // Fields per group, merged over the spec's queries (percentiles and counts in one, the rate in another).
  const groups = new Map<string, { tags: Record<string, string>; fields: string[] }>();
  for (const series of answers) {
    for (const s of series) {
      const tags = s.tags ?? {};
      const key = seriesKey(spec, shape, testid, tags);
      const group = groups.get(key) ?? { tags, fields: [] };
      const row = s.values[0] ?? [];
      s.columns.forEach((column, i) => {
        if (column === "time") return;
        const value = numberOf(row[i]);
        if (value === undefined) return;
        group.fields.push(column === "count" ? `${column}=${value}i` : `${column}=${value}`);
      });
      groups.set(key, group);
    }
  }
  const lines: string[] = [];
  for (const [key, { fields }] of groups) {
    if (fields.length === 0) continue;
    lines.push(`${key} ${[...fields, `${SUMMARY_START_FIELD}=${at}i`].join(",")} ${at}`);
  }
  return lines;
}

/** Writes a run's summary rows (all of SUMMARIES, every shape); a metric the run has no sample of gets none. */
export async function summarizeRun(
  reader: QueryClient,
  writer: InfluxWriter,
  testid: string,
  specs: readonly SummarySpec[] = SUMMARIES,
): Promise<SummaryResult> {
  let metrics = 0;
  let rows = 0;
  for (const spec of specs) {
    const at = await firstSample(reader, spec.source, testid);
    if (at === undefined) continue;
    metrics++;
    const lines: string[] = [];
    for (const shape of summaryShapes(spec)) {
      const answers: Series[][] = [];
      for (const q of summaryQueries(spec, shape, testid)) answers.push(await reader.query(q));
      lines.push(...summaryLines(spec, shape, testid, at, answers));
    }
    await writer.write(lines);
    rows += lines.length;
  }
  return { metrics, rows };
}

/** The runs that have summary rows. */
export async function summarizedRuns(reader: QueryClient): Promise<Set<string>> {
  const series = await reader.query(`SHOW TAG VALUES FROM ${ident(SUMMARY_MEASUREMENT)} WITH KEY = "testid"`);
  return new Set(series.flatMap((s) => s.values.map((row) => String(row[1]))));
}
