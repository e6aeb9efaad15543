// Samples of the agent metrics (agent_conversation, event_watchers) for the dashboard tests, in the shape the k6
// harness records and xk6-output-influxdb writes: the run-wide tags (testid, transport), the VU's (scenario, group)
// plus the ones the journeys add (observed_by, reason, cause, endpoint). The journeys emit these themselves in the
// harness; for any series a short harness run does not reach (a turn that fails, a dropped stream, both observed_by
// values, an outage of an agent, a spent prompt budget) this fills in exactly the series that are missing, spread
// sparsely over the run so that counter panels have empty intervals between samples (what fill(0) is for).
import type { MetricSample } from "./journey-samples";

export interface AgentSeries {
  metric: string;
  type: MetricSample["type"];
  /** The tags that identify the series besides testid (scenario and the journey's own tags). */
  tags: Record<string, string>;
  /** Values to write, one per sample. */
  values: number[];
}

const CONVERSATION = { scenario: "agent_conversation" };
const WATCHERS = { scenario: "event_watchers" };

/** Every agent series a dashboard panel reads, with plausible values (ms for trends). */
export const AGENT_SERIES: readonly AgentSeries[] = [
  { metric: "agent_turn_duration", type: "trend", tags: CONVERSATION, values: [2300, 2450, 2600, 3100, 2800, 2400] },
  {
    metric: "agent_first_output",
    type: "trend",
    tags: { ...CONVERSATION, observed_by: "sse" },
    values: [120, 140, 180, 130],
  },
  {
    metric: "agent_first_output",
    type: "trend",
    tags: { ...CONVERSATION, observed_by: "poll" },
    values: [260, 300, 410, 280],
  },
  { metric: "agent_turns", type: "counter", tags: CONVERSATION, values: [1, 1, 1, 1, 1, 1] },
  { metric: "agent_turn_failures", type: "counter", tags: { ...CONVERSATION, reason: "not_stable" }, values: [1] },
  { metric: "agent_turn_failures", type: "counter", tags: { ...CONVERSATION, reason: "reply_missing" }, values: [1] },
  { metric: "agent_turn_failures", type: "counter", tags: { ...CONVERSATION, reason: "stream_lost" }, values: [1] },
  { metric: "agent_busy_total", type: "counter", tags: CONVERSATION, values: [1, 1] },
  { metric: "watcher_events", type: "counter", tags: { ...WATCHERS, observed_by: "sse" }, values: [7, 4, 9] },
  { metric: "sse_delivery_lag", type: "trend", tags: { ...WATCHERS, observed_by: "sse" }, values: [12, 18, 25, 40] },
  { metric: "sse_streams_dropped", type: "counter", tags: { ...WATCHERS, reason: "server_closed" }, values: [1] },
  { metric: "sse_streams_dropped", type: "counter", tags: { ...WATCHERS, reason: "error" }, values: [1] },
  { metric: "idle_status_duration", type: "trend", tags: CONVERSATION, values: [4, 6, 9, 5] },
  { metric: "prompts_sent", type: "counter", tags: CONVERSATION, values: [1, 1, 1, 1, 1, 1] },
  { metric: "prompts_withheld", type: "counter", tags: CONVERSATION, values: [1, 1] },
  // An agent that went away during the run and came back without its history (the Outages row).
  {
    metric: "connection_failures",
    type: "counter",
    tags: { ...CONVERSATION, endpoint: "status", cause: "refused" },
    values: [1, 1, 1],
  },
  { metric: "agent_recovery_time", type: "trend", tags: CONVERSATION, values: [3200, 4100] },
  { metric: "agent_history_lost", type: "counter", tags: CONVERSATION, values: [0, 2] },
];

/** Counters a healthy run never records (no failure, no busy agent, no outage, no spent budget). */
const UNHEALTHY_COUNTERS = [
  "agent_turn_failures",
  "agent_busy_total",
  "sse_streams_dropped",
  "connection_failures",
  "agent_history_lost",
  "prompts_withheld",
];

/**
 * The series a run without failures has: turns, first outputs, watchers, idle reads, prompts — no failure, busy
 * agent, dropped stream, outage (so no recovery time either) or withheld prompt.
 */
export const HEALTHY_AGENT_SERIES: readonly AgentSeries[] = AGENT_SERIES.filter(
  (s) => !UNHEALTHY_COUNTERS.includes(s.metric) && s.metric !== "agent_recovery_time",
);

/** The run-wide tags k6 puts on every sample (options.tags): testid, and transport where the run has it. */
export function runWideTags(samples: readonly MetricSample[], testid: string): Record<string, string> {
  const transport = samples.find((s) => s.tags.transport !== undefined)?.tags.transport;
  return transport === undefined ? { testid } : { testid, transport };
}

function hasSeries(samples: readonly MetricSample[], series: AgentSeries): boolean {
  return samples.some(
    (s) => s.metric === series.metric && Object.entries(series.tags).every(([k, v]) => s.tags[k] === v),
  );
}

/**
 * `samples` plus the agent series they lack, tagged with `testid`, placed at evenly spread times between the run's
 * first and last sample (each series offset a little, so they do not all land in the same interval).
 */
export function withAgentSamples(
  samples: readonly MetricSample[],
  testid: string,
  series: readonly AgentSeries[] = AGENT_SERIES,
): MetricSample[] {
  const times = samples.map((s) => s.time);
  const from = Math.min(...times);
  const span = Math.max(Math.max(...times) - from, 10_000);
  const runWide = runWideTags(samples, testid);
  const added: MetricSample[] = [];
  series.forEach((spec, n) => {
    if (hasSeries(samples, spec)) return;
    spec.values.forEach((value, i) => {
      const time = Math.round(from + ((i + 0.5) / spec.values.length) * span + n * 37);
      added.push({ metric: spec.metric, type: spec.type, value, tags: { ...runWide, group: "", ...spec.tags }, time });
    });
  });
  return [...samples, ...added];
}
