// The run's threshold table judged over every runner's samples in InfluxDB at once. k6 (and so k6-operator) judges
// thresholds on each runner alone: a percentile over each runner's share can pass everywhere while the run's own
// percentile fails, and counters add up across runners. Same rows as the run (selected for its scenarios, agent
// budgets scaled), same arithmetic as k6 (arithmetic.ts).
import type { InfluxReader } from "../influx/index";
import { splitKey } from "../../k6/src/reports/summary-data";
import { thresholdKey, type ThresholdRow } from "../../k6/src/thresholds";
import { aggregate, holds, metricType, parseThreshold } from "./arithmetic";

export interface GlobalOutcome {
  key: string;
  expression: string;
  ok: boolean;
  observed: number;
  samples: number;
}

export interface EvaluateOptions {
  /** Judge one runner alone (its `instance_id` tag, as k6-operator tags samples), as that runner judged itself. */
  instance?: string;
}

/** Every row's conditions over the run's samples (all runners, or one with `instance`). */
export async function evaluateRun(
  reader: InfluxReader,
  testid: string,
  rows: ReadonlyArray<ThresholdRow>,
  options: EvaluateOptions = {},
): Promise<GlobalOutcome[]> {
  const info = await reader.runInfo(testid);
  const outcomes: GlobalOutcome[] = [];
  for (const row of rows) {
    const key = thresholdKey(row);
    const { metric, tags } = splitKey(key);
    const type = metricType(metric);
    if (type === undefined) throw new Error(`threshold on unknown metric ${key}`);
    const filter = options.instance === undefined ? tags : { ...tags, instance_id: options.instance };
    const values: number[] = [];
    if (info.measurements.includes(metric)) {
      for await (const page of reader.samples(testid, metric, { tags: filter, tagKeys: [] })) {
        for (const sample of page) values.push(sample.value);
      }
    }
    const stat = aggregate(type, values, info.durationMs);
    for (const expression of row.conditions) {
      const t = parseThreshold(expression);
      const observed = stat(t.statistic);
      outcomes.push({ key, expression, ok: holds(observed, t.operator, t.limit), observed, samples: values.length });
    }
  }
  return outcomes;
}
