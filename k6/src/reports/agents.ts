// The "Agents" section every report shows: the agent turn as its user feels it (agent_conversation) and the
// watchers' streams (event_watchers). One list of figures, rendered by the text summary, summary.html and JUnit.
//
// No per-agent figures: samples carry no agent tag (a fleet of hundreds of agents would make as many series in
// InfluxDB), so these are fleet-wide numbers; k6's `scenario` tag is the finest split.

import { breakdownBy, formatValue, hasNoSamples, type SummaryData, type SummaryMetric } from "./summary-data";

export interface AgentFigure {
  /** What a reader looks for, e.g. "turn duration p50 / p95 / p99". */
  label: string;
  /** The summary key it comes from, e.g. `agent_first_output{observed_by:sse}`. */
  key: string;
  /** Formatted value(s), or "no samples". */
  value: string;
  /** Machine-readable values (JUnit properties), by statistic; empty when there were no samples. */
  values: Record<string, number>;
}

export const AGENTS_NOTE =
  "Fleet-wide: samples carry no per-agent tag (a fleet of hundreds of agents would make as many series), so no figure here is per agent.";

const NO_SAMPLES = "no samples";

function trendFigure(
  label: string,
  key: string,
  m: SummaryMetric | undefined,
  stats: ReadonlyArray<string>,
): AgentFigure {
  if (!m || hasNoSamples(m)) return { label, key, value: NO_SAMPLES, values: {} };
  const isTime = m.contains === "time";
  const values: Record<string, number> = {};
  for (const s of stats) {
    const v = m.values[s];
    if (typeof v === "number") values[s] = v;
  }
  return { label, key, value: stats.map((s) => formatValue(m.values[s], m.type, isTime, s)).join(" / "), values };
}

function counterFigure(label: string, key: string, m: SummaryMetric | undefined, extra = ""): AgentFigure {
  // withZeroCounters has added every catalog counter; a missing one means the renderer got raw data.
  const count = m?.values.count ?? 0;
  const rate = m?.values.rate ?? 0;
  return {
    label,
    key,
    value: `${formatValue(count, "counter", false, "count")} (${formatValue(rate, "counter", false, "rate")})${extra}`,
    values: { count, rate },
  };
}

/**
 * The Agents figures, in reading order. Sub-metrics (by observed_by, by reason) only when the summary has them.
 * `promptBudget` (MAX_PROMPTS) puts the prompts sent against it.
 */
export function agentFigures(data: SummaryData, promptBudget: number | null = null): AgentFigure[] {
  const m = (key: string): SummaryMetric | undefined => data.metrics[key];
  const figures: AgentFigure[] = [
    trendFigure("turn duration p50 / p95 / p99", "agent_turn_duration", m("agent_turn_duration"), [
      "med",
      "p(95)",
      "p(99)",
    ]),
    trendFigure("first output p50 / p95", "agent_first_output", m("agent_first_output"), ["med", "p(95)"]),
  ];
  // k6 reports a tagged sub-metric only when options.thresholds names it (thresholds.ts adds both observed_by).
  for (const row of breakdownBy(data, "agent_first_output", "observed_by")) {
    figures.push(
      trendFigure(`first output via ${row.label} p50 / p95`, row.key, m(row.key), ["med", "p(95)"]),
    );
  }
  figures.push(counterFigure("turns", "agent_turns", m("agent_turns")));
  const reasons = breakdownBy(data, "agent_turn_failures", "reason")
    .map((row) => `${row.label} ${formatValue(row.values.count, "counter", false, "count")}`)
    .join(", ");
  figures.push(
    counterFigure("turn failures", "agent_turn_failures", m("agent_turn_failures"), reasons ? `: ${reasons}` : ""),
  );
  const withheld = m("prompts_withheld")?.values.count ?? 0;
  figures.push(
    counterFigure(
      "prompts sent",
      "prompts_sent",
      m("prompts_sent"),
      promptBudget === null ? ", no budget" : ` of a budget of ${promptBudget}, ${withheld} withheld`,
    ),
  );
  figures.push(counterFigure("busy refusals", "agent_busy_total", m("agent_busy_total")));
  figures.push(counterFigure("watcher events", "watcher_events", m("watcher_events")));
  figures.push(trendFigure("delivery lag p95", "sse_delivery_lag", m("sse_delivery_lag"), ["p(95)"]));
  figures.push(counterFigure("streams dropped", "sse_streams_dropped", m("sse_streams_dropped")));
  return figures;
}
