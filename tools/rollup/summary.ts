// Run summaries (spec.ts, SUMMARIES): once a run has ended, one row per metric, selection and run in `run_summary`,
// stamped at the run's first sample of the metric, holding the whole-run statistics the compare dashboard shows.
// InfluxDB computes each with the same functions the dashboard's queries over raw points used (percentile(), count(),
// mean(), sum()), grouped by the row's tags, so a row holds exactly what such a query returns; a rate is
// (n − 1) / (last − first) of the group's samples (rateQueries).
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

/**
 * The InfluxQL computing a spec's statistics over a whole run, one row per value of the shape's tags (a rate is
 * computed from the answers of `rateQueries`).
 */
export function summaryQueries(spec: SummarySpec, shape: readonly string[], testid: string): string[] {
  const from = `FROM ${ident(spec.source)} WHERE ${conditions(spec, testid)}`;
  const queries: string[] = [];
  const plain = spec.stats.filter((s): s is Exclude<SummaryStat, { kind: "rate" }> => s.kind !== "rate");
  if (plain.length > 0) {
    const fields = plain.map((s) => `${aggregate(s)} AS ${ident(summaryField(s))}`).join(", ");
    queries.push(`SELECT ${fields} ${from}${groupBy(shape)}`);
  }
  return queries;
}

/**
 * A rate per value of the shape's tags: (n − 1) / (last − first) samples per second of the group, from its count and
 * its first and last samples' times (a selector's row keeps its point's time). Not from `elapsed()`, which the
 * dashboard's raw query used: over a group of several series InfluxDB 1.x's elapsed() does not always pair each
 * sample with the group's previous one, and on some groups its mean gap strays from span / (n − 1) (seen: 0.25–0.5 %
 * on a 40 k-point run, tests/rollup/summary.test.ts). No rate for the whole run (shape []): nothing shows it.
 */
export function rateQueries(spec: SummarySpec, shape: readonly string[], testid: string): string[] {
  if (shape.length === 0 || !spec.stats.some((s) => s.kind === "rate")) return [];
  const from = `FROM ${ident(spec.source)} WHERE ${conditions(spec, testid)}${groupBy(shape)}`;
  return [`SELECT count("value") ${from}`, `SELECT first("value") ${from}`, `SELECT last("value") ${from}`];
}

/** The rates of `rateQueries`' three answers, as one answer with a "rate" column (groups with a rate only). */
export function ratesOf(counts: Series[], firsts: Series[], lasts: Series[]): Series[] {
  const key = (s: Series): string => JSON.stringify(Object.entries(s.tags ?? {}).sort());
  const at = (list: Series[]): Map<string, Row> => new Map(list.map((s) => [key(s), s.values[0] ?? []]));
  const [firstOf, lastOf] = [at(firsts), at(lasts)];
  const out: Series[] = [];
  for (const s of counts) {
    const n = numberOf(s.values[0]?.[1]);
    const first = numberOf(firstOf.get(key(s))?.[0]);
    const last = numberOf(lastOf.get(key(s))?.[0]);
    if (n === undefined || first === undefined || last === undefined || n < 2 || last <= first) continue;
    out.push({ ...s, columns: ["time", "rate"], values: [[first, (1000 * (n - 1)) / (last - first)]] });
  }
  return out;
}

type Row = Series["values"][number];

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
      const rates = rateQueries(spec, shape, testid);
      if (rates.length > 0) {
        const [counts, firsts, lasts] = await Promise.all(rates.map((q) => reader.query(q)));
        answers.push(ratesOf(counts ?? [], firsts ?? [], lasts ?? []));
      }
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
