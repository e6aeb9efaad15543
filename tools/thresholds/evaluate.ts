// The run's threshold table judged over every runner's points in the metrics store at once. k6 (and so k6-operator)
// judges thresholds on each runner alone: a percentile over each runner's share can pass everywhere while the run's
// own percentile fails, and counters add up across runners. Same rows as the run (selected for its scenarios, agent
// budgets scaled), same arithmetic as k6 (arithmetic.ts) on InfluxDB's samples. On Prometheus a statistic may come
// with the interval that surely holds k6's exact value (a percentile from histogram buckets): the condition is held
// when it holds over the whole interval, breached when nowhere in it, and undecided when the interval straddles the
// limit — never a guess either way.
import { splitKey } from "../../k6/src/reports/summary-data";
import { thresholdKey, type ThresholdRow } from "../../k6/src/thresholds";
import type { RunSpan, RunStore } from "../store/types";
import { holds, metricType, parseThreshold } from "./arithmetic";

export type Verdict = "held" | "breached" | "undecided";

export interface GlobalOutcome {
  key: string;
  expression: string;
  /** held (true) or not; an undecided condition is not held. */
  ok: boolean;
  verdict: Verdict;
  observed: number;
  /** The interval that holds k6's exact value, when the store gives an estimate. */
  bounds?: readonly [number, number];
  samples: number;
}

export interface EvaluateOptions {
  /** Judge one runner alone (its `instance_id` tag, as k6-operator tags samples), as that runner judged itself. */
  instance?: string;
  /** Judge only the points with these tags too (a capacity run's `step` and `phase`: tools/capacity). */
  tags?: Record<string, string>;
  /** The run's span, when the caller has it already (saves a query per call). */
  info?: RunSpan;
}

/** k6's value of a statistic with no sample (an empty sink): 0, as k6 reports it. */
const EMPTY = 0;

function verdictOf(operator: string, limit: number, observed: number, bounds?: readonly [number, number]): Verdict {
  if (bounds === undefined || bounds[0] === bounds[1]) return holds(observed, operator, limit) ? "held" : "breached";
  const [low, high] = bounds;
  const atLow = holds(low, operator, limit);
  const atHigh = holds(high, operator, limit);
  // <, <=, >, >= are monotone: the ends decide the whole interval. == and != are only sure on a point.
  if (operator === "==" || operator === "===" || operator === "!=") return "undecided";
  if (atLow && atHigh) return "held";
  if (!atLow && !atHigh) return "breached";
  return "undecided";
}

/** Every row's conditions over the run's points (all runners, or one with `instance`). */
export async function evaluateRun(
  store: RunStore,
  testid: string,
  rows: ReadonlyArray<ThresholdRow>,
  options: EvaluateOptions = {},
): Promise<GlobalOutcome[]> {
  const info = options.info ?? (await store.runInfo(testid));
  const outcomes: GlobalOutcome[] = [];
  for (const row of rows) {
    const key = thresholdKey(row);
    const { metric, tags } = splitKey(key);
    const type = metricType(metric);
    if (type === undefined) throw new Error(`threshold on unknown metric ${key}`);
    const filter = {
      ...tags,
      ...options.tags,
      ...(options.instance === undefined ? {} : { instance_id: options.instance }),
    };
    const parsed = row.conditions.map(parseThreshold);
    const statistics = [...new Set(parsed.map((t) => t.statistic))];
    const stats = (
      await store.keyStats(testid, metric, [{ key, tags: filter }], info, { statistics, withSamples: false })
    ).get(key);
    const samples = stats === undefined ? 0 : type === "rate" ? rateCount(stats.values) : (stats.values.count ?? 0);
    for (const [n, t] of parsed.entries()) {
      const expression = row.conditions[n] as string;
      // Counters' rate per second over the run's duration, as k6 (0 when the run never counted).
      const observed = stats?.values[t.statistic] ?? EMPTY;
      const bounds = stats?.bounds?.[t.statistic];
      const verdict = verdictOf(t.operator, t.limit, observed, bounds);
      outcomes.push({
        key,
        expression,
        ok: verdict === "held",
        verdict,
        observed,
        ...(bounds ? { bounds } : {}),
        samples,
      });
    }
  }
  return outcomes;
}

function rateCount(values: Record<string, number>): number {
  return (values.passes ?? NaN) + (values.fails ?? NaN);
}
