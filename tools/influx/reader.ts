// Reads k6 samples back from InfluxDB over the InfluxQL `/query` API (InfluxDB 1.x, or InfluxDB 2 through its v1
// compatibility API: database `k6` = bucket `k6`). The schema is xk6-output-influxdb's: one measurement per metric,
// the sample in field `value`, k6's tags (testid, endpoint, scenario, …) as InfluxDB tags.
//
// Every failure is an InfluxError whose message is one readable line (unreachable, token refused, no database,
// unknown testid, a failed statement), so a CLI can print it as it is.
import { ident, literal } from "../../infra/grafana/src/influxql";
import { loadInfluxConfig, type InfluxConfig, type LoadConfigOptions } from "./config";
import { fetchText, type TextReply } from "./http";

export type InfluxErrorKind = "unreachable" | "unauthorized" | "no-database" | "unknown-testid" | "query";

export class InfluxError extends Error {
  constructor(
    readonly kind: InfluxErrorKind,
    message: string,
  ) {
    super(message.replace(/\s*\n\s*/g, " "));
    this.name = "InfluxError";
  }
}

/** One series of a /query answer (epoch-ms times). */
export interface Series {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: Array<Array<string | number | boolean | null>>;
}

export interface RunInfo {
  testid: string;
  /** epoch ms of the first and the last sample carrying the testid. */
  start: number;
  end: number;
  durationMs: number;
  /** Measurements (metric names) with at least one sample of this run, sorted. */
  measurements: string[];
  /** From a `profile` tag when a sample carries one, else from a `<profile>-…` testid (k6's default), else null. */
  profile: string | null;
}

export interface Sample {
  /** epoch ms */
  time: number;
  value: number;
  /** The requested tag keys that the sample carries (testid left out). */
  tags: Record<string, string>;
}

export interface SampleOptions {
  /** Only samples with these tag values (`{ endpoint: "messages" }`). */
  tags?: Record<string, string>;
  /** Tag keys to return with each sample (default: every tag key of the measurement but testid). */
  tagKeys?: string[];
  /** Points per query (LIMIT); default 10 000. */
  pageSize?: number;
  /** Time window per run of pages; default 60 000 ms. */
  windowMs?: number;
  /** epoch ms bounds (default: the measurement's first and last sample of the run). */
  start?: number;
  end?: number;
}

export interface Totals {
  /** Values of the group-by tags (empty without groupBy). */
  tags: Record<string, string>;
  count: number;
  sum: number;
  min: number;
  max: number;
}

export interface InfluxReader {
  readonly config: InfluxConfig;
  /** Raw InfluxQL against the configured database. */
  query(influxql: string): Promise<Series[]>;
  /** Every testid in the database, sorted (make load's ids sort by start time, so the newest is last). */
  listTestIds(): Promise<string[]>;
  /** Start, end, measurements and profile of one run; InfluxError "unknown-testid" when no sample carries it. */
  runInfo(testid: string): Promise<RunInfo>;
  /** The run's samples of one metric, in pages (time windows × LIMIT/OFFSET), oldest first. */
  samples(testid: string, metric: string, options?: SampleOptions): AsyncGenerator<Sample[], void, undefined>;
  /** count / sum / min / max of `value`, server-side, optionally per tag values. */
  totals(
    testid: string,
    metric: string,
    options?: { tags?: Record<string, string>; groupBy?: string[] },
  ): Promise<Totals[]>;
}

const PROFILE_PREFIX = /^(smoke|local|staging|production)-/;

/** `"testid" = '…' AND "tag" = '…'` */
export function whereClause(testid: string, tags: Record<string, string> = {}): string {
  return [
    `${ident("testid")} = ${literal(testid)}`,
    ...Object.entries(tags).map(([k, v]) => `${ident(k)} = ${literal(v)}`),
  ].join(" AND ");
}

/** Why a fetch failed, in a word: the socket error code (ECONNREFUSED…), "timed out", or the message. */
export function causeCode(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return cause.code;
  if ((error as Error).name === "TimeoutError") return "timed out";
  return cause?.message ?? (error as Error).message;
}

export function createInfluxReader(
  config: Partial<InfluxConfig> & LoadConfigOptions & { timeoutMs?: number } = {},
): InfluxReader {
  const cfg: InfluxConfig = { ...loadInfluxConfig(config), ...stripUndefined(config) };
  cfg.url = cfg.url.replace(/\/+$/, "");
  const timeoutMs = config.timeoutMs ?? 60_000;
  const where = `InfluxDB at ${cfg.url}`;

  async function query(influxql: string): Promise<Series[]> {
    const headers: Record<string, string> = {
      "content-type": "application/x-www-form-urlencoded",
      accept: "application/json",
    };
    if (cfg.token !== undefined) headers.authorization = `Token ${cfg.token}`;
    let res: TextReply;
    try {
      res = await fetchText(
        `${cfg.url}/query`,
        { method: "POST", headers, body: new URLSearchParams({ q: influxql, db: cfg.database, epoch: "ms" }) },
        timeoutMs,
      );
    } catch (error) {
      throw new InfluxError(
        "unreachable",
        `${where} is unreachable (${causeCode(error)}): start the stack (make up) or set INFLUXDB_URL`,
      );
    }
    const { text } = res;
    if (res.status === 401 || res.status === 403) {
      throw new InfluxError(
        "unauthorized",
        `${where} refused the token (${res.status} ${res.statusText || "Unauthorized"}): check INFLUXDB_TOKEN (environment or .env)`,
      );
    }
    let body: { results?: Array<{ series?: Series[]; error?: string }>; error?: string; message?: string };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new InfluxError("query", `${where} answered ${res.status} with no InfluxDB JSON: ${text.slice(0, 120)}`);
    }
    const error = body.error ?? body.message ?? body.results?.find((r) => r.error !== undefined)?.error;
    if (error !== undefined && /database not found/i.test(error)) {
      throw new InfluxError(
        "no-database",
        `${where} has no database "${cfg.database}" (InfluxDB 2: bucket ${cfg.database} and its DBRP mapping, see infra/influxdb/README.md)`,
      );
    }
    if (!res.ok || error !== undefined) {
      throw new InfluxError("query", `${where}: InfluxQL failed (${res.status}: ${error ?? text.slice(0, 120)})`);
    }
    return (body.results ?? []).flatMap((r) => r.series ?? []);
  }

  async function listTestIds(): Promise<string[]> {
    const series = await query(`SHOW TAG VALUES WITH KEY = ${ident("testid")}`);
    const ids = new Set<string>();
    for (const s of series) for (const row of s.values) if (typeof row[1] === "string") ids.add(row[1]);
    return [...ids].sort();
  }

  async function measurementsOf(testid: string): Promise<string[]> {
    const series = await query(`SHOW MEASUREMENTS WHERE ${whereClause(testid)}`);
    return series.flatMap((s) => s.values.map((row) => String(row[0]))).sort();
  }

  async function bounds(testid: string, measurements: string[], tags: Record<string, string> = {}) {
    const from = measurements.map(ident).join(", ");
    const cond = whereClause(testid, tags);
    const times = async (fn: "first" | "last"): Promise<number[]> =>
      (await query(`SELECT ${fn}("value") FROM ${from} WHERE ${cond}`)).flatMap((s) =>
        s.values.map((row) => Number(row[0])),
      );
    const [firsts, lasts] = [await times("first"), await times("last")];
    if (firsts.length === 0 || lasts.length === 0) return undefined;
    return { start: Math.min(...firsts), end: Math.max(...lasts) };
  }

  async function runInfo(testid: string): Promise<RunInfo> {
    const measurements = await measurementsOf(testid);
    if (measurements.length === 0) {
      const known = await listTestIds().catch(() => [] as string[]);
      const hint =
        known.length > 0 ? `${known.length} runs there, newest ${known[known.length - 1]}` : "it holds no run";
      throw new InfluxError(
        "unknown-testid",
        `unknown testid "${testid}": no sample in ${where} carries it (${hint}; list them: npm run compare -- --list)`,
      );
    }
    const span = await bounds(testid, measurements);
    if (span === undefined) throw new InfluxError("unknown-testid", `unknown testid "${testid}": no samples`);
    const tagged = await query(`SHOW TAG VALUES WITH KEY = ${ident("profile")} WHERE ${whereClause(testid)}`);
    const profileTag = tagged.flatMap((s) => s.values.map((row) => String(row[1])))[0];
    return {
      testid,
      start: span.start,
      end: span.end,
      durationMs: span.end - span.start,
      measurements,
      profile: profileTag ?? PROFILE_PREFIX.exec(testid)?.[1] ?? null,
    };
  }

  async function* samples(
    testid: string,
    metric: string,
    options: SampleOptions = {},
  ): AsyncGenerator<Sample[], void, undefined> {
    const filter = options.tags ?? {};
    const tagKeys =
      options.tagKeys ??
      (await query(`SHOW TAG KEYS FROM ${ident(metric)}`))
        .flatMap((s) => s.values.map((row) => String(row[0])))
        .filter((key) => key !== "testid");
    let { start, end } = options;
    if (start === undefined || end === undefined) {
      const span = await bounds(testid, [metric], filter);
      if (span === undefined) return;
      start ??= span.start;
      end ??= span.end;
    }
    const pageSize = options.pageSize ?? 10_000;
    const windowMs = options.windowMs ?? 60_000;
    const select = [`"value"`, ...tagKeys.map(ident)].join(", ");
    const cond = whereClause(testid, filter);
    for (let from = start; from <= end; from += windowMs) {
      const to = Math.min(from + windowMs, end + 1);
      for (let offset = 0; ; offset += pageSize) {
        const series = await query(
          `SELECT ${select} FROM ${ident(metric)} WHERE ${cond} AND time >= ${from}ms AND time < ${to}ms ` +
            `LIMIT ${pageSize} OFFSET ${offset}`,
        );
        const rows = series.flatMap((s) => s.values);
        const page: Sample[] = rows.map((row) => {
          const tags: Record<string, string> = {};
          tagKeys.forEach((key, i) => {
            const v = row[i + 2];
            if (v !== null && v !== undefined && v !== "") tags[key] = String(v);
          });
          return { time: Number(row[0]), value: Number(row[1]), tags };
        });
        if (page.length > 0) yield page;
        if (rows.length < pageSize) break;
      }
    }
  }

  async function totals(
    testid: string,
    metric: string,
    options: { tags?: Record<string, string>; groupBy?: string[] } = {},
  ): Promise<Totals[]> {
    const groupBy = options.groupBy ?? [];
    const series = await query(
      `SELECT count("value") AS "count", sum("value") AS "sum", min("value") AS "min", max("value") AS "max" ` +
        `FROM ${ident(metric)} WHERE ${whereClause(testid, options.tags)}` +
        (groupBy.length > 0 ? ` GROUP BY ${groupBy.map(ident).join(", ")}` : ""),
    );
    return series.flatMap((s) =>
      s.values.map((row) => {
        const col = (name: string) => Number(row[s.columns.indexOf(name)] ?? 0);
        const tags = Object.fromEntries(Object.entries(s.tags ?? {}).filter(([, v]) => v !== ""));
        return { tags, count: col("count"), sum: col("sum"), min: col("min"), max: col("max") };
      }),
    );
  }

  return { config: cfg, query, listTestIds, runInfo, samples, totals };
}

function stripUndefined(config: Partial<InfluxConfig>): Partial<InfluxConfig> {
  const out: Partial<InfluxConfig> = {};
  if (config.url !== undefined) out.url = config.url;
  if (config.token !== undefined) out.token = config.token;
  if (config.org !== undefined) out.org = config.org;
  if (config.database !== undefined) out.database = config.database;
  return out;
}
