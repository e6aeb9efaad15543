// Rolls a time range of one run up into per-10 s rows (tools/rollup/README.md): for each spec and each shape (no
// tag, scenario, endpoint, scenario × endpoint), InfluxDB itself computes p50/p95/p99, max and count per window with
// the same percentile() the raw panels used, so a row is exactly what the raw query gives for that window and
// selection. Writing a window again overwrites it (same series, same timestamp), which is how late samples and the
// still-open window at the live edge are corrected.
import { escapeKey, escapeMeasurement, type InfluxWriter } from "../influx/writer";
import type { Series } from "../influx/reader";
import { ident, literal } from "../../infra/grafana/src/influxql";
import {
  ALL,
  ROLLUP_PERCENTILES,
  ROLLUP_SHAPES,
  ROLLUP_TAGS,
  ROLLUP_WINDOW_MS,
  ROLLUPS,
  type RollupSpec,
  type RollupTag,
} from "./spec";

export interface QueryClient {
  query(influxql: string): Promise<Series[]>;
}

export interface RollupResult {
  windows: number;
  rows: number;
}

/** Longest range one query covers (bounded answers on long runs). */
const CHUNK_MS = 10 * 60_000;

export const alignDown = (ms: number): number => Math.floor(ms / ROLLUP_WINDOW_MS) * ROLLUP_WINDOW_MS;
export const alignUp = (ms: number): number => Math.ceil(ms / ROLLUP_WINDOW_MS) * ROLLUP_WINDOW_MS;

/** The InfluxQL that computes one shape of one spec over [fromMs, toMs) of a run, per window. */
export function rollupQuery(
  spec: RollupSpec,
  shape: readonly RollupTag[],
  testid: string,
  fromMs: number,
  toMs: number,
): string {
  const fields = [
    ...ROLLUP_PERCENTILES.map((p) => `percentile("value", ${p}) AS ${ident(`p${p}`)}`),
    `max("value") AS "max"`,
    `count("value") AS "count"`,
  ].join(", ");
  const where = [
    `"testid" = ${literal(testid)}`,
    ...Object.entries(spec.where).map(([k, v]) => `${ident(k)} = ${literal(v)}`),
    `time >= ${fromMs}ms`,
    `time < ${toMs}ms`,
  ].join(" AND ");
  const groupBy = [`time(${ROLLUP_WINDOW_MS / 1000}s)`, ...shape.map(ident)].join(", ");
  return `SELECT ${fields} FROM ${ident(spec.source)} WHERE ${where} GROUP BY ${groupBy} fill(none)`;
}

function fieldValue(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

/** Line protocol for the rows of one answer; a row whose shape tag is missing on the samples is left out. */
export function rowsToLines(spec: RollupSpec, shape: readonly RollupTag[], testid: string, series: Series[]): string[] {
  const lines: string[] = [];
  for (const s of series) {
    const tags: Record<string, string> = { testid };
    for (const tag of ROLLUP_TAGS) tags[tag] = shape.includes(tag) ? (s.tags?.[tag] ?? "") : ALL;
    // Samples without the tag are still in that window's "All" rows; a row cannot carry an empty tag value.
    if (Object.values(tags).some((v) => v === "")) continue;
    const seriesKey = [
      escapeMeasurement(spec.measurement),
      ...Object.keys(tags)
        .sort()
        .map((k) => `${escapeKey(k)}=${escapeKey(tags[k] as string)}`),
    ].join(",");
    const countAt = s.columns.indexOf("count");
    const fieldsAt = [...ROLLUP_PERCENTILES.map((p) => `p${p}`), "max"].map(
      (name) => [name, s.columns.indexOf(name)] as const,
    );
    for (const row of s.values) {
      const count = fieldValue(row[countAt]);
      if (count === undefined || count === 0) continue;
      const fields: string[] = [];
      for (const [name, at] of fieldsAt) {
        const value = fieldValue(row[at]);
        if (value !== undefined) fields.push(`${name}=${value}`);
      }
      fields.push(`count=${count}i`);
      lines.push(`${seriesKey} ${fields.join(",")} ${Number(row[0])}`);
    }
  }
  return lines;
}

/**
 * Rolls [fromMs, toMs) of a run up (widened to whole windows) and writes the rows. A window with no samples gets no
 * row, so an idle stretch stays a gap, as it does on the raw panels.
 */
export async function rollupRange(
  reader: QueryClient,
  writer: InfluxWriter,
  testid: string,
  fromMs: number,
  toMs: number,
  specs: readonly RollupSpec[] = ROLLUPS,
): Promise<RollupResult> {
  const start = alignDown(fromMs);
  const end = Math.max(alignUp(toMs), start + ROLLUP_WINDOW_MS);
  let rows = 0;
  for (let from = start; from < end; from += CHUNK_MS) {
    const to = Math.min(from + CHUNK_MS, end);
    const lines: string[] = [];
    for (const spec of specs) {
      for (const shape of ROLLUP_SHAPES) {
        lines.push(...rowsToLines(spec, shape, testid, await reader.query(rollupQuery(spec, shape, testid, from, to))));
      }
    }
    await writer.write(lines);
    rows += lines.length;
  }
  return { windows: (end - start) / ROLLUP_WINDOW_MS, rows };
}
