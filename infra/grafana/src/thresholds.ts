// Turns the k6 suite's threshold table into lines Grafana can draw. The table is the single source of truth: a
// changed limit in k6/src/thresholds.ts shows up on the dashboard at the next `npm run dashboards`.
import { thresholdTable } from "../../../k6/src/thresholds";

export type Statistic = "avg" | "min" | "max" | "med" | "rate" | "count" | "value" | `p(${number})`;
export type Operator = "<" | "<=" | ">" | ">=" | "==" | "===" | "!=";

export interface ThresholdCondition {
  statistic: Statistic;
  operator: Operator;
  limit: number;
}

export interface ThresholdRow {
  metric: string;
  tags?: Record<string, string>;
  conditions: string[];
  abortOnFail?: boolean;
  /** The row in other topologies (VUs sharing agents, the ACP transport): other conditions, or not judged there. */
  variants?: Partial<Record<string, { conditions: string[] } | "dropped">>;
}

const CONDITION =
  /^\s*(avg|min|max|med|rate|count|value|p\(\d+(?:\.\d+)?\))\s*(<=|<|>=|>|===|==|!=)\s*(-?\d+(?:\.\d+)?)\s*$/;

/** Parse one k6 threshold expression such as `p(95)<500` or `rate>0.99`. */
export function parseCondition(text: string): ThresholdCondition {
  const match = CONDITION.exec(text);
  if (!match) throw new Error(`unsupported k6 threshold expression: "${text}"`);
  return { statistic: match[1] as Statistic, operator: match[2] as Operator, limit: Number(match[3]) };
}

function sameTags(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const left = Object.entries(a ?? {}).sort(([x], [y]) => x.localeCompare(y));
  const right = Object.entries(b ?? {}).sort(([x], [y]) => x.localeCompare(y));
  return JSON.stringify(left) === JSON.stringify(right);
}

/** Every threshold row, as data. */
export function thresholdRows(): readonly ThresholdRow[] {
  return thresholdTable();
}

/**
 * The conditions declared for exactly this metric + tag set, optionally only for some statistics: the base row's,
 * which is how k6 judges a run where each VU has its own agent on the PTY transport. A row's `variants` (other
 * topologies) are never drawn: one run has one topology, and the dashboard cannot tell which from the samples'
 * thresholds; panels say so in their description instead (topologyVariants).
 */
export function conditionsFor(
  metric: string,
  tags?: Record<string, string>,
  statistics?: readonly Statistic[],
): ThresholdCondition[] {
  return thresholdRows()
    .filter((row) => row.metric === metric && sameTags(row.tags, tags))
    .flatMap((row) => row.conditions.map(parseCondition))
    .filter((c) => statistics === undefined || statistics.includes(c.statistic));
}

/** What a breakdown row says: the value of its breakdown tag, its conditions, and any further fixed tags. */
export interface TaggedRow {
  tagValue: string;
  conditions: ThresholdCondition[];
  /** Tags the row fixes besides `tagKey` (e.g. `kind: call`); a panel plotting the row filters on them too. */
  otherTags: Record<string, string>;
}

/** Rows for one metric tagged with `tagKey` (e.g. per-endpoint latency limits), in table order. */
export function rowsTaggedBy(metric: string, tagKey: string): TaggedRow[] {
  const rows: TaggedRow[] = [];
  for (const row of thresholdRows()) {
    const tagValue = row.tags?.[tagKey];
    if (row.metric !== metric || tagValue === undefined) continue;
    const otherTags = Object.fromEntries(Object.entries(row.tags ?? {}).filter(([k]) => k !== tagKey));
    rows.push({ tagValue, conditions: row.conditions.map(parseCondition), otherTags });
  }
  return rows;
}

/**
 * The metric's run-wide row: the first one tagged with none of `breakdownTags` (it may still fix a tag, e.g.
 * `http_req_duration{kind:call}` leaves streams out). No such row: no tags, no conditions.
 */
export function baseRow(
  metric: string,
  breakdownTags: readonly string[] = ["endpoint", "scenario"],
): { tags: Record<string, string>; conditions: ThresholdCondition[] } {
  const row = thresholdRows().find(
    (r) => r.metric === metric && !Object.keys(r.tags ?? {}).some((k) => breakdownTags.includes(k)),
  );
  return row
    ? { tags: { ...(row.tags ?? {}) }, conditions: row.conditions.map(parseCondition) }
    : { tags: {}, conditions: [] };
}

/** How another topology judges a row: its conditions there, or "dropped" (not judged there). */
export interface TopologyVariant {
  topology: string;
  conditions: string[] | "dropped";
}

/** The row's variants for other topologies (k6/src/thresholds.ts `variants`), in the table's order; none: []. */
export function topologyVariants(metric: string, tags?: Record<string, string>): TopologyVariant[] {
  const row = thresholdRows().find((r) => r.metric === metric && sameTags(r.tags, tags));
  return Object.entries(row?.variants ?? {}).flatMap(([topology, variant]) =>
    variant === undefined
      ? []
      : [{ topology, conditions: variant === "dropped" ? ("dropped" as const) : [...variant.conditions] }],
  );
}
