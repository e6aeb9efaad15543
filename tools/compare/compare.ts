// Two runs → rows with a verdict each: per endpoint and per scenario (http_req_duration), per metric (the overall
// latency, error and check rates, every custom metric), and per threshold condition.
//
// A row is "regressed" (or "improved") only when the change is beyond its tolerance (relative AND absolute, see
// tolerance.ts) and, when both sides come with samples (InfluxDB), statistically clear: the (1 − alpha) confidence
// interval of the difference excludes 0 — a bootstrap of the percentile difference for latencies, Newcombe's
// interval for rates and failure counts (as proportions of requests). From summaries alone the tolerance decides
// ("aggregate-only"). Rows with fewer than minSamples values on a side are not judged.
import { customMetrics } from "../../k6/src/metric-catalog";
import { ENDPOINTS, SCENARIO_NAMES } from "../../k6/src/names";
import { conditionStatistic, formatValue, splitKey } from "../../k6/src/reports/summary-data";
import type { KeyStats, RunData } from "./run-data";
import {
  blockBootstrapDiff,
  bootstrapPercentileDiff,
  meanDiffInterval,
  percentileOf,
  proportionDiffInterval,
  seedFor,
  timeBlocks,
  type Interval,
} from "./stats";
import { beyondTolerance, toleranceFor, type Tolerance, type ToleranceTable, type ValueKind } from "./tolerance";

export type Verdict = "regressed" | "improved" | "unchanged" | "new" | "gone" | "info";
export const VERDICTS: ReadonlyArray<Verdict> = ["regressed", "improved", "unchanged", "new", "gone", "info"];
export type Section = "endpoint" | "scenario" | "metric" | "threshold";
export type Method = "block-bootstrap" | "bootstrap" | "mean-normal" | "newcombe" | "tolerance" | "none";

export interface CompareOptions {
  /** 1 − confidence level of the intervals (default 0.01: 99 %). */
  alpha: number;
  /** Bootstrap resamples per row (default 2000). */
  resamples: number;
  /** block: the paired block bootstrap over time (default); iid: every sample independent (stats.ts). */
  bootstrap: "block" | "iid";
  /** Blocks per run for the block bootstrap (default 20). */
  blocks: number;
  seed: number;
  /** The latency statistic of the endpoint, scenario and metric rows (default p(95)). */
  statistic: string;
  /** Fewer values (samples, requests, checks) than this on a side: the row is not judged. */
  minSamples: number;
  tolerances: ToleranceTable;
}

export const DEFAULT_OPTIONS: CompareOptions = {
  alpha: 0.01,
  resamples: 2000,
  bootstrap: "block",
  blocks: 20,
  seed: 1,
  statistic: "p(95)",
  minSamples: 20,
  tolerances: new Map(),
};

export interface Row {
  section: Section;
  /** Metric key, e.g. `http_req_duration{endpoint:messages}`. */
  key: string;
  /** What the row is called in the tables. */
  label: string;
  statistic: string;
  /** Threshold rows: the condition, e.g. `p(95)<300`. */
  condition?: string;
  kind: ValueKind;
  direction: "lower" | "higher" | "none";
  baseline: number | null;
  candidate: number | null;
  baselineText: string;
  candidateText: string;
  /** candidate − baseline, in the row's unit (ms, fraction, value). */
  delta: number | null;
  /** delta / baseline. */
  relative: number | null;
  deltaText: string;
  interval: Interval | null;
  intervalText: string;
  method: Method;
  tolerance: Tolerance | null;
  beyondTolerance: boolean | null;
  /**
   * Statistically clear after the Holm correction over the rows beyond tolerance (null: not tested —
   * aggregate-only, or a statistic without a test).
   */
  significant: boolean | null;
  /** Two-sided p-value of "no change" (the interval's method), and Holm-adjusted over the rows beyond tolerance. */
  p: number | null;
  pAdjusted: number | null;
  /** False when the row has too few values to be judged. */
  judged: boolean;
  /** Values behind the row on each side (samples, requests or checks). */
  n: { baseline: number | null; candidate: number | null };
  verdict: Verdict;
  /** Why the verdict is what it is, when that is not obvious (too few samples, no test for the statistic…). */
  note?: string;
  thresholdOk?: { baseline: boolean | null; candidate: boolean | null };
}

export interface Comparison {
  baseline: RunData;
  candidate: RunData;
  /** noise-aware: both sides have samples; aggregate-only: at least one side is a summary. */
  mode: "noise-aware" | "aggregate-only";
  options: CompareOptions;
  rows: Row[];
  counts: Record<Verdict, number>;
  regressed: boolean;
  notes: string[];
}

/** Counters whose rise is bad, judged as a share of their exposure (another counter). */
const FAILURE_COUNTERS: Readonly<Record<string, string>> = {
  connection_failures: "http_reqs",
  timeout_count: "http_reqs",
  sse_streams_dropped: "http_reqs",
  agent_turn_failures: "agent_turns",
};

interface Measure {
  kind: ValueKind;
  value: number;
  text: string;
  n: number | null;
  /** Trends from InfluxDB. */
  sorted?: Float64Array;
  timed?: { values: Float64Array; rel: Float64Array };
  /** Proportions: successes x of n. */
  x?: number;
  hasDistribution: boolean;
}

function direction(metric: string, type: KeyStats["type"]): Row["direction"] {
  if (type === "trend") return "lower";
  if (type === "rate") return metric === "http_req_failed" ? "lower" : "higher";
  if (type === "counter" && metric in FAILURE_COUNTERS) return "lower";
  return "none";
}

/** The value a row compares, from one side; undefined when that side has nothing for it. */
function measure(run: RunData, key: string, statistic: string): Measure | undefined {
  const stats = run.metrics.get(key);
  if (!stats) return undefined;
  const metric = splitKey(key).metric;
  const withSamples = run.source === "influx";
  if (stats.type === "trend") {
    const value = stats.values[statistic];
    if (value === undefined) return undefined;
    const m: Measure = {
      kind: stats.isTime ? "time" : "value",
      value,
      text: formatValue(value, "trend", stats.isTime, statistic),
      n: stats.values.count ?? stats.sorted?.length ?? null,
      hasDistribution: withSamples && stats.sorted !== undefined,
    };
    if (stats.sorted) m.sorted = stats.sorted;
    if (stats.timed) m.timed = stats.timed;
    return m;
  }
  if (stats.type === "rate") {
    const x = stats.values.passes ?? 0;
    const n = x + (stats.values.fails ?? 0);
    const value = stats.values.rate ?? (n > 0 ? x / n : 0);
    return {
      kind: "proportion",
      value,
      x,
      n,
      text: `${formatValue(value, "rate", false, "rate")} (${x}/${n})`,
      hasDistribution: withSamples,
    };
  }
  if (stats.type === "counter") {
    const count = stats.values.count ?? 0;
    const exposureKey = FAILURE_COUNTERS[metric];
    const exposure = exposureKey ? run.metrics.get(exposureKey)?.values.count : undefined;
    if (exposureKey && statistic === "count" && exposure !== undefined && exposure > 0) {
      const value = count / exposure;
      return {
        kind: "proportion",
        value,
        x: count,
        n: exposure,
        text: `${count} (${formatValue(value, "rate", false, "rate")} of ${exposureKey})`,
        hasDistribution: withSamples,
      };
    }
    const value = stats.values[statistic] ?? 0;
    return {
      kind: "value",
      value,
      text: formatValue(value, "counter", false, statistic),
      n: null,
      hasDistribution: false,
    };
  }
  const value = stats.values[statistic] ?? stats.values.max ?? 0;
  return { kind: "value", value, text: formatValue(value, "gauge", false, "max"), n: null, hasDistribution: false };
}

function signed(value: number, digits: number): string {
  const s = value.toFixed(digits);
  return value > 0 ? `+${s}` : s === (-0).toFixed(digits) ? (0).toFixed(digits) : s;
}

export function formatDelta(delta: number, kind: ValueKind): string {
  if (kind === "time") return `${signed(delta, 2)}ms`;
  if (kind === "proportion") return `${signed(delta * 100, 2)}pp`;
  return signed(delta, Number.isInteger(delta) ? 0 : 3);
}

function intervalText(interval: Interval | null, kind: ValueKind): string {
  if (!interval) return "";
  return `[${formatDelta(interval.low, kind)}, ${formatDelta(interval.high, kind)}]`;
}

interface RowSpec {
  section: Section;
  key: string;
  label: string;
  statistic: string;
  condition?: string;
}

function judge(spec: RowSpec, a: RunData, b: RunData, options: CompareOptions): Row | undefined {
  const base = measure(a, spec.key, spec.statistic);
  const cand = measure(b, spec.key, spec.statistic);
  if (!base && !cand) return undefined;
  const stats = a.metrics.get(spec.key) ?? b.metrics.get(spec.key);
  const metric = splitKey(spec.key).metric;
  const dir = stats ? direction(metric, stats.type) : "none";
  const kind = (base ?? cand)?.kind ?? "value";
  const row: Row = {
    ...spec,
    kind,
    direction: dir,
    baseline: base?.value ?? null,
    candidate: cand?.value ?? null,
    baselineText: base?.text ?? "—",
    candidateText: cand?.text ?? "—",
    delta: null,
    relative: null,
    deltaText: "",
    interval: null,
    intervalText: "",
    method: "none",
    tolerance: null,
    beyondTolerance: null,
    significant: null,
    p: null,
    pAdjusted: null,
    judged: true,
    n: { baseline: base?.n ?? null, candidate: cand?.n ?? null },
    verdict: "unchanged",
  };
  if (!base || !cand) {
    row.verdict = base ? "gone" : "new";
    return row;
  }
  const delta = cand.value - base.value;
  row.delta = delta;
  row.relative = base.value !== 0 ? delta / base.value : delta === 0 ? 0 : null;
  row.deltaText =
    formatDelta(delta, kind) +
    (row.relative !== null && base.value !== 0 ? ` (${signed(row.relative * 100, 1)}%)` : "");
  if (dir === "none") {
    row.verdict = "info";
    return row;
  }
  row.tolerance = toleranceFor(options.tolerances, spec.key, kind);
  row.beyondTolerance = beyondTolerance(base.value, delta, row.tolerance);

  const seed = seedFor(options.seed, `${spec.section}|${spec.key}|${spec.statistic}|${spec.condition ?? ""}`);
  const p = percentileOf(spec.statistic);
  const blockStat =
    p !== undefined
      ? { kind: "percentile" as const, p }
      : spec.statistic === "avg"
        ? { kind: "mean" as const }
        : undefined;
  if (
    options.bootstrap === "block" &&
    blockStat &&
    base.hasDistribution &&
    cand.hasDistribution &&
    base.timed &&
    cand.timed
  ) {
    row.method = "block-bootstrap";
    row.interval = blockBootstrapDiff(
      timeBlocks(base.timed.values, base.timed.rel, options.blocks),
      timeBlocks(cand.timed.values, cand.timed.rel, options.blocks),
      blockStat,
      { resamples: options.resamples, alpha: options.alpha, seed },
    );
    if (!row.interval) {
      row.judged = false;
      row.note = "samples too sparse over the run's blocks: not judged";
    }
  } else if (base.hasDistribution && cand.hasDistribution && base.sorted && cand.sorted) {
    if (p !== undefined) {
      row.method = "bootstrap";
      row.interval = bootstrapPercentileDiff(base.sorted, cand.sorted, p, {
        resamples: options.resamples,
        alpha: options.alpha,
        seed,
      });
    } else if (spec.statistic === "avg") {
      row.method = "mean-normal";
      row.interval = meanDiffInterval(base.sorted, cand.sorted, options.alpha);
    } else {
      row.method = "tolerance";
      row.note = `no test for ${spec.statistic}: tolerance only`;
    }
  } else if (kind === "proportion" && base.hasDistribution && cand.hasDistribution) {
    row.method = "newcombe";
    row.interval = proportionDiffInterval(
      { x: base.x ?? 0, n: base.n ?? 0 },
      { x: cand.x ?? 0, n: cand.n ?? 0 },
      options.alpha,
    );
  } else {
    row.method = "tolerance";
  }
  if (row.interval) {
    row.p = row.interval.p;
    row.intervalText = intervalText(row.interval, kind);
  }

  const few = [base.n, cand.n].some((n) => n !== null && n < options.minSamples);
  if (few) {
    row.note = `fewer than ${options.minSamples} values on a side: not judged`;
    row.judged = false;
  }
  return row;
}

/**
 * The verdicts of the judged rows. A comparison asks ~80 questions at once, so a per-row alpha would raise an
 * alarm somewhere in most comparisons of identical runs; the p-values of the rows beyond tolerance are
 * Holm-adjusted (family-wise error ≤ alpha) before they count. Rows without a test (aggregate-only) go by the
 * tolerance alone.
 */
function assignVerdicts(rows: Row[], alpha: number): void {
  const open = rows.filter(
    (r) => r.verdict === "unchanged" && r.judged && r.beyondTolerance === true && r.direction !== "none",
  );
  const tested = open.filter((r) => r.p !== null).sort((x, y) => (x.p as number) - (y.p as number));
  let running = 0;
  tested.forEach((r, i) => {
    running = Math.max(running, Math.min(1, (tested.length - i) * (r.p as number)));
    r.pAdjusted = running;
    r.significant = running < alpha;
  });
  for (const r of open) {
    if (r.p !== null && r.significant !== true) continue;
    const worse = r.direction === "lower" ? (r.delta as number) > 0 : (r.delta as number) < 0;
    r.verdict = worse ? "regressed" : "improved";
  }
}

const latencyKey = (tag: string, value: string): string => `http_req_duration{${tag}:${value}}`;

function rowSpecs(a: RunData, b: RunData, statistic: string): RowSpec[] {
  const has = (key: string) => a.metrics.has(key) || b.metrics.has(key);
  const specs: RowSpec[] = [];
  const byLabel = (x: RowSpec, y: RowSpec) => (x.label < y.label ? -1 : x.label > y.label ? 1 : 0);
  const tagged = (tag: string, known: ReadonlyArray<string>, section: Section) => {
    const values = new Set<string>(known);
    for (const run of [a, b]) {
      for (const key of run.metrics.keys()) {
        const parsed = splitKey(key);
        const keys = Object.keys(parsed.tags);
        if (parsed.metric === "http_req_duration" && keys.length === 1 && keys[0] === tag)
          values.add(parsed.tags[tag]!);
      }
    }
    specs.push(
      ...[...values]
        .filter((v) => has(latencyKey(tag, v)))
        .map((v) => ({ section, key: latencyKey(tag, v), label: v, statistic }))
        .sort(byLabel),
    );
  };
  tagged("endpoint", ENDPOINTS, "endpoint");
  tagged("scenario", SCENARIO_NAMES, "scenario");

  const metricRows: Array<[string, string]> = [
    ["http_req_duration{kind:call}", statistic],
    ["http_req_duration", statistic],
    ["http_req_failed", "rate"],
    ["checks", "rate"],
    ["iteration_duration", statistic],
    ["http_reqs", "rate"],
  ];
  for (const spec of customMetrics()) {
    const stat =
      spec.type === "trend" ? statistic : spec.type === "rate" ? "rate" : spec.type === "counter" ? "count" : "max";
    metricRows.push([spec.name, spec.type === "counter" && !(spec.name in FAILURE_COUNTERS) ? "rate" : stat]);
  }
  for (const [key, stat] of metricRows) {
    if (has(key)) specs.push({ section: "metric", key, label: key, statistic: stat });
  }

  const conditions = new Map<string, { key: string; condition: string }>();
  for (const run of [a, b]) {
    for (const t of run.thresholds) {
      if (t.ok !== null) conditions.set(`${t.key} ${t.condition}`, t);
    }
  }
  for (const [label, t] of [...conditions].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) {
    specs.push({
      section: "threshold",
      key: t.key,
      label,
      statistic: conditionStatistic(t.condition),
      condition: t.condition,
    });
  }
  return specs;
}

export function compareRuns(a: RunData, b: RunData, partial: Partial<CompareOptions> = {}): Comparison {
  const options: CompareOptions = { ...DEFAULT_OPTIONS, ...partial };
  const rows: Row[] = [];
  for (const spec of rowSpecs(a, b, options.statistic)) {
    const row = judge(spec, a, b, options);
    if (!row) continue;
    if (spec.section === "threshold") {
      const okOf = (run: RunData) =>
        run.thresholds.find((t) => t.key === spec.key && t.condition === spec.condition)?.ok ?? null;
      row.thresholdOk = { baseline: okOf(a), candidate: okOf(b) };
      if (row.thresholdOk.baseline === null && row.thresholdOk.candidate === null) continue;
      // A row one side did not judge (its run did not have that condition) is new or gone, whatever the metric.
      if (row.thresholdOk.baseline === null) row.verdict = "new";
      else if (row.thresholdOk.candidate === null) row.verdict = "gone";
    }
    rows.push(row);
  }
  assignVerdicts(rows, options.alpha);
  const counts = Object.fromEntries(VERDICTS.map((v) => [v, 0])) as Record<Verdict, number>;
  for (const row of rows) counts[row.verdict] += 1;
  const mode = a.source === "influx" && b.source === "influx" ? "noise-aware" : "aggregate-only";
  const notes: string[] = [];
  return { baseline: a, candidate: b, mode, options, rows, counts, regressed: counts.regressed > 0, notes };
}
