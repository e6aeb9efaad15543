// "AgentAPI load test": one dashboard for one k6 run at a time (the `testid` variable), read top to bottom as
// load → latency → errors → journeys → MCP/OAuth → SSE → agents → outages.
import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import {
  AnnotationQueryBuilder,
  DashboardBuilder,
  DashboardCursorSync,
  RowBuilder,
  TimePickerBuilder,
  type Dashboard,
  type Panel,
} from "@grafana/grafana-foundation-sdk/dashboard";
import { ROLLUP_WINDOW_MS, rollupOf } from "../../../tools/rollup/spec";
import { INFLUXQL, PROMQL, type Backend, type BackendId } from "./backend";
import { CUSTOM, K6 } from "./metrics";
import { timeseries, type TimeseriesSpec } from "./panels";
import { promqlException, promqlNote } from "./promql-exceptions";
import { query, type Query, type Statistic as QueryStatistic, type TagFilter } from "./query-spec";
import {
  baseRow,
  conditionsFor,
  rowsTaggedBy,
  topologyVariants,
  type Statistic,
  type ThresholdCondition,
} from "./thresholds";
import { variables } from "./variables";

const P = (n: number): QueryStatistic => ({ kind: "percentile", n });
const MAX: QueryStatistic = { kind: "max" };
const MEAN: QueryStatistic = { kind: "mean" };
const SUM: QueryStatistic = { kind: "sum" };
const ZEROS: QueryStatistic = { kind: "zeros" };
const PER_SECOND: QueryStatistic = { kind: "perSecond" };

export const DASHBOARD_UID = "agentapi-load";
export const DASHBOARD_TITLE = "AgentAPI load test";
/** The same dashboard in PromQL, on the Prometheus datasource k6's prometheus-rw output writes to. */
export const PROM_DASHBOARD_UID = "agentapi-load-prometheus";
export const PROM_DASHBOARD_TITLE = "AgentAPI load test (Prometheus)";

/** A query on one metric, already narrowed by the variables that apply to that metric's tags. */
const scoped = (metric: string): Query => query(metric);

const PERCENTILES = [50, 95, 99] as const;

/** p50/p95/p99 of a trend in one query, one series each. */
function percentiles(metric: string): Query {
  const q = scoped(metric);
  for (const p of PERCENTILES) q.select(P(p), `p${p}`);
  return q;
}

/** Limits declared on percentiles of this metric (the only statistics a percentile panel can show against). */
function percentileLimits(metric: string, tags?: Record<string, string>, only?: Statistic[]): ThresholdCondition[] {
  return conditionsFor(metric, tags, only).filter((c) => c.statistic.startsWith("p("));
}

function percentileOf(condition: ThresholdCondition): number {
  return Number(condition.statistic.slice(2, -1));
}

/** How k6/README.md names the topologies of a threshold row's `variants`. */
const TOPOLOGY_NAMES: Readonly<Record<string, string>> = {
  shared: "where VUs share agents",
  acp: "on ACP",
  "acp+shared": "on ACP with shared agents",
};

/**
 * For a panel that draws a threshold row's limits: the lines are the base row's (each VU its own agent, PTY), and
 * the row's variants say how k6 judges it in the other topologies. "" for a row judged alike everywhere.
 */
function topologyNote(metric: string, tags?: Record<string, string>): string {
  const variants = topologyVariants(metric, tags);
  if (variants.length === 0) return "";
  const other = variants
    .map(({ topology, conditions }) => {
      const where = TOPOLOGY_NAMES[topology] ?? `in topology ${topology}`;
      return conditions === "dropped" ? `not judged ${where}` : `${conditions.join(", ")} ${where}`;
    })
    .join("; ");
  return (
    ` The dashed lines are the base limits (each VU its own agent, PTY transport); shared/ACP topologies have other ` +
    `limits for ${metric}${tagText(tags ?? {})} (k6/README.md, Thresholds): ${other}.`
  );
}

function loadRow(): TimeseriesSpec[] {
  return [
    {
      title: "Virtual users",
      description: "Active k6 VUs across all scenarios (k6's vus gauge).",
      unit: "short",
      width: 6,
      queries: [scoped(K6.vus).select(MAX, "VUs")],
    },
    {
      title: "Concurrent users",
      description:
        "Active VUs on the k6 instance as the journeys sample it at each iteration start (concurrent_users).",
      unit: "short",
      width: 6,
      queries: [scoped(CUSTOM.concurrentUsers).select(MAX, "users")],
    },
    {
      title: "Requests per second",
      description: "HTTP requests per second (http_reqs), stacked by scenario.",
      unit: "reqps",
      width: 6,
      stacked: true,
      queries: [scoped(K6.httpReqs).select(PER_SECOND, "rps").groupBy("scenario").fillZero()],
    },
    {
      title: "Iterations per second",
      description: "Completed journey iterations per second (iterations), per scenario.",
      unit: "short",
      width: 6,
      queries: [scoped(K6.iterations).select(PER_SECOND, "iterations").groupBy("scenario").fillZero()],
    },
    {
      title: "Journey requests per second",
      description: "Requests counted by the journeys themselves (total_requests), per scenario.",
      unit: "reqps",
      width: 12,
      queries: [scoped(CUSTOM.totalRequests).select(PER_SECOND, "rps").groupBy("scenario").fillZero()],
    },
    {
      title: "Iteration duration p95",
      description: "How long one journey iteration takes (iteration_duration p95), per scenario.",
      unit: "ms",
      width: 12,
      queries: [scoped(K6.iterationDuration).select(P(95), "p95").groupBy("scenario")],
    },
  ];
}

/** `{kind:call}` for a description, or "" without tags. */
function tagText(tags: Record<string, string>): string {
  const entries = Object.entries(tags);
  return entries.length === 0 ? "" : `{${entries.map(([k, v]) => `${k}:${v}`).join(",")}}`;
}

function perTagLatencyPanels(tagKey: "endpoint" | "scenario"): TimeseriesSpec[] {
  return rowsTaggedBy(K6.httpReqDuration, tagKey).map(({ tagValue, conditions, otherTags }) => {
    const limits = conditions.filter((c) => c.statistic.startsWith("p("));
    const shown = [...new Set([95, ...limits.map(percentileOf)])].sort((a, b) => a - b);
    // The rollup's rows carry no tag but scenario and endpoint: a row's other fixed tags must be the ones the
    // rollup already filters on (scenario rows: kind:call). Endpoint rows fix none, and every endpoint with a
    // threshold is a call (GET /events, the one stream, has none): tests/dashboards/influxql-real checks each panel
    // against the raw query of its row.
    const rollup = rollupOf(K6.httpReqDuration);
    for (const [key, value] of Object.entries(otherTags)) {
      if (rollup.where[key] !== value)
        throw new Error(`${tagKey}=${tagValue}: the rollup does not keep ${key}=${value}`);
    }
    return {
      title: `${tagKey === "endpoint" ? "Endpoint" : "Scenario"} ${tagValue}: latency vs threshold`,
      description: (b) =>
        `http_req_duration${tagText({ [tagKey]: tagValue, ...otherTags })} against its k6 thresholds (${conditions
          .map((c) => `${c.statistic}${c.operator}${c.limit}`)
          .join(", ")}).${ROLLUP_NOTE(b)}${topologyNote(K6.httpReqDuration, { [tagKey]: tagValue, ...otherTags })}`,
      unit: "ms",
      width: 6,
      height: 7,
      limits,
      // The fixed tag replaces the variable of the same name; the other variable still narrows the panel.
      queries: [rolledUp(K6.httpReqDuration, shown, undefined, { [tagKey]: tagValue })],
    };
  });
}

/**
 * A latency percentile over the whole run, read from the rollup (tools/rollup): per 10 s window, InfluxDB's own
 * percentile() of the raw samples of that window and selection, computed once as the run goes. A panel over the raw
 * points re-reads and re-sorts every sample of the range on every refresh (~450 ms per percentile on a 20-minute full
 * run); the rollup's rows are ~120 per series. At the panels' 10 s min interval a point is exactly the raw value; at
 * wider intervals (ranges over ~4 h) it is the highest 10 s value in the interval.
 *
 * `by` breaks the panel down by one tag (one series per value, the "All" rows left out); the other tag narrows it to
 * the selected value or "All", which `${var:text}` names exactly as the rollup tags it.
 */
function rolledUp(
  metric: string,
  percentiles: readonly number[],
  by?: "endpoint" | "scenario",
  fixed: Partial<Record<"endpoint" | "scenario", string>> = {},
): Query {
  const filters: TagFilter[] = (["scenario", "endpoint"] as const).map((tag) => {
    const value = fixed[tag];
    return value === undefined ? { tag, variable: tag } : { tag, op: "=", value };
  });
  // What the rollup keeps (kind:call): PromQL reads the raw histogram, so it filters on it itself.
  for (const [tag, value] of Object.entries(rollupOf(metric).where)) filters.push({ tag, op: "=", value });
  const q = query(metric, filters).rollup();
  for (const p of percentiles) q.select(P(p), `p${p}`);
  if (by !== undefined) q.groupBy(by);
  return q;
}

const ROLLUP_NOTES: Readonly<Record<BackendId, string>> = {
  influxql:
    ` Read from the rollup (tools/rollup: ${ROLLUP_WINDOW_MS / 1000} s windows; the stack's \`rollup\` service updates ` +
    `them every 5 s, late samples included). No data for a run the rollup did not see: npm run rollup -- --testid <id>.`,
  promql:
    " Read from k6's native histogram directly: histogram_quantile over what it gained in each interval (exact to " +
    "one bucket: < 9.05 % above, < 8.3 % below), at the same cost whatever the run's length.",
};

/** How the panel reads the whole run's latency, in the backend's words. */
const ROLLUP_NOTE = (backend: BackendId): string => ROLLUP_NOTES[backend];

function latencyRow(): TimeseriesSpec[] {
  // The run-wide latency row may fix a tag (kind:call leaves GET /events streams out); the panels that draw its
  // limits plot exactly what it judges — and the rollup of http_req_duration keeps exactly those tags (tested).
  const overall = baseRow(K6.httpReqDuration);
  const overallLimits = overall.conditions.filter((c) => c.statistic.startsWith("p("));
  const overallP95 = overallLimits.filter((c) => c.statistic === "p(95)");
  const filtered = tagText(overall.tags);
  const scope = filtered === "" ? "" : ` (${filtered}, as its threshold)`;
  const variants = topologyNote(K6.httpReqDuration, overall.tags);
  return [
    {
      title: "HTTP latency p50 / p95 / p99",
      description: (b) =>
        `http_req_duration${filtered} percentiles with the overall k6 thresholds as dashed lines.${ROLLUP_NOTE(b)}${variants}`,
      unit: "ms",
      limits: overallLimits,
      queries: [rolledUp(K6.httpReqDuration, PERCENTILES)],
    },
    {
      title: "Server wait p95 by endpoint",
      description: (b) => `Time to first byte (http_req_waiting p95) per endpoint.${ROLLUP_NOTE(b)}`,
      unit: "ms",
      queries: [rolledUp(K6.httpReqWaiting, [95], "endpoint")],
    },
    {
      title: "p95 by endpoint",
      description: (b) =>
        `http_req_duration${scope} p95 per endpoint; the dashed line is the overall p95 threshold.${ROLLUP_NOTE(b)}${variants}`,
      unit: "ms",
      limits: overallP95,
      queries: [rolledUp(K6.httpReqDuration, [95], "endpoint")],
    },
    {
      title: "p95 by scenario",
      description: (b) =>
        `http_req_duration${scope} p95 per scenario; the dashed line is the overall p95 threshold.${ROLLUP_NOTE(b)}${variants}`,
      unit: "ms",
      limits: overallP95,
      queries: [rolledUp(K6.httpReqDuration, [95], "scenario")],
    },
  ];
}

/** One small panel per per-endpoint and per-scenario latency threshold; in a collapsed row (queried when opened). */
function latencyThresholdsRow(): TimeseriesSpec[] {
  return [...perTagLatencyPanels("endpoint"), ...perTagLatencyPanels("scenario")];
}

/** What a counter panel shows when its metric has no series at all in the range (see TimeseriesSpec.noValue). */
const COUNTER_NO_VALUE = "0";

/**
 * Events per interval of a counter, stacked by the tag that best says where they happen. Intervals without a
 * sample are 0 (`fill(0)`), and a counter that never got a sample in the range reads 0, not "No data".
 */
function countPanel(
  title: string,
  description: string,
  metric: string,
  by: "scenario" | "endpoint" | "reason",
  width = 8,
): TimeseriesSpec {
  return {
    title,
    description: `${description}${topologyNote(metric)}`,
    unit: "short",
    width,
    style: "bars",
    stacked: true,
    noValue: COUNTER_NO_VALUE,
    // A run-wide `count<N` limit: one interval reaching N already breaches it.
    limits: conditionsFor(metric, undefined, ["count"]),
    queries: [scoped(metric).select(SUM, "count").groupBy(by).fillZero()],
  };
}

/** A counter per second, one series per value of `by` (or one series), 0 where nothing happened. */
function ratePanel(
  title: string,
  description: string,
  metric: string,
  by: "scenario" | "observed_by" | undefined,
  column = "per second",
  width = 8,
): TimeseriesSpec {
  const q = scoped(metric).select(PER_SECOND, column);
  if (by !== undefined) q.groupBy(by);
  return {
    title,
    description,
    unit: "short",
    width,
    min: 0,
    noValue: COUNTER_NO_VALUE,
    queries: [q.fillZero()],
  };
}

function errorsRow(): TimeseriesSpec[] {
  return [
    {
      title: "Failed request rate",
      description: `Share of failed HTTP requests (http_req_failed) per scenario, with the k6 error-rate threshold.${topologyNote(K6.httpReqFailed)}`,
      unit: "percentunit",
      width: 8,
      min: 0,
      limits: conditionsFor(K6.httpReqFailed, undefined, ["rate"]),
      queries: [scoped(K6.httpReqFailed).select(MEAN, "failed").groupBy("scenario")],
    },
    {
      title: "Requests by status",
      description: "HTTP requests per interval by response status (0 = no response).",
      unit: "short",
      width: 8,
      style: "bars",
      stacked: true,
      queries: [scoped(K6.httpReqs).select(SUM, "requests").groupBy("status").fillZero()],
    },
    {
      title: "Failed checks",
      description: "Checks that failed per interval (checks samples are 1 = pass, 0 = fail), per scenario.",
      unit: "short",
      width: 8,
      style: "bars",
      stacked: true,
      queries: [scoped(K6.checks).select(ZEROS, "failed").groupBy("scenario").fillZero()],
    },
    countPanel(
      "Timeouts",
      "Requests that hit the client timeout and SSE streams without their initial state (timeout_count), by endpoint.",
      CUSTOM.timeouts,
      "endpoint",
    ),
    countPanel(
      "Connection failures",
      "Requests without any HTTP response and MCP connections that could not be set up (connection_failures), by " +
        "endpoint; the Outages row breaks the requests down by cause.",
      CUSTOM.connectionFailures,
      "endpoint",
    ),
    countPanel(
      "Agent busy",
      "Prompts refused because the agent was running (agent_busy_total); expected under load, not a failure.",
      CUSTOM.agentBusy,
      "scenario",
    ),
  ];
}

function durationPanel(title: string, metric: string): TimeseriesSpec {
  return {
    title,
    description: `${metric} p50/p95/p99 with its k6 thresholds.${topologyNote(metric)}`,
    unit: "ms",
    width: 6,
    limits: percentileLimits(metric),
    queries: [percentiles(metric)],
  };
}

function successPanel(title: string, metric: string): TimeseriesSpec {
  return {
    title,
    description: `${metric} per scenario with its k6 threshold.${topologyNote(metric)}`,
    unit: "percentunit",
    width: 6,
    min: 0,
    max: 1,
    limits: conditionsFor(metric, undefined, ["rate"]),
    queries: [scoped(metric).select(MEAN, "success").groupBy("scenario")],
  };
}

function journeysRow(): TimeseriesSpec[] {
  return [
    durationPanel("Authentication duration", CUSTOM.authDuration),
    durationPanel("MCP connection duration", CUSTOM.mcpConnectionDuration),
    durationPanel("Tool execution duration", CUSTOM.toolExecutionDuration),
    durationPanel("Disconnect duration", CUSTOM.disconnectDuration),
    successPanel("Authentication success", CUSTOM.authSuccess),
    successPanel("MCP connection success", CUSTOM.mcpConnectionSuccess),
    successPanel("Tool execution success", CUSTOM.toolExecutionSuccess),
    successPanel("Disconnect success", CUSTOM.disconnectSuccess),
  ];
}

const FLEET_WIDE =
  "Fleet-wide: samples carry no per-agent tag (hundreds of agents would make as many series), so no panel is per agent.";

/** The agent turn as its user feels it (agent_conversation) and the watchers' streams (event_watchers). */
function agentsRow(): TimeseriesSpec[] {
  const firstOutput = scoped(CUSTOM.agentFirstOutput);
  for (const p of [50, 95] as const) firstOutput.select(P(p), `p${p}`);
  return [
    {
      title: "Agent turn duration p50 / p95 / p99",
      description: `An accepted prompt, from POST /message sent → the agent back to stable (agent_turn_duration; ACP: → the POST's answer, which comes when the turn is over), with its k6 thresholds.${topologyNote(CUSTOM.agentTurnDuration)} ${FLEET_WIDE}`,
      unit: "ms",
      width: 8,
      limits: percentileLimits(CUSTOM.agentTurnDuration),
      queries: [percentiles(CUSTOM.agentTurnDuration)],
    },
    {
      title: "Agent first output p50 / p95 by observed_by",
      description:
        "An accepted prompt, from POST /message sent → the first agent message_update after it (agent_first_output), seen on " +
        `the /events stream (sse) or by polling /messages (poll).${topologyNote(CUSTOM.agentFirstOutput)} ${FLEET_WIDE}`,
      unit: "ms",
      width: 8,
      limits: percentileLimits(CUSTOM.agentFirstOutput),
      queries: [firstOutput.groupBy("observed_by")],
    },
    ratePanel(
      "Agent turns per second",
      `Prompts the agents accepted and answered (agent_turns), per second across the fleet. ${FLEET_WIDE}`,
      CUSTOM.agentTurns,
      undefined,
      "turns/s",
    ),
    countPanel(
      "Agent turn failures",
      "Turns that did not return to stable within the bound (not_stable), lost sight of the agent before the turn " +
        "ended (stream_lost: the stream ended or the polls failed — a restart; see the Outages row) or left no reply " +
        `in /messages (reply_missing): agent_turn_failures by reason. ${FLEET_WIDE}`,
      CUSTOM.agentTurnFailures,
      "reason",
    ),
    ratePanel(
      "Busy refusals per second",
      "Prompts refused because the agent was still running (agent_busy_total), per second by scenario; expected " +
        `when prompts meet a working agent, not a failure. ${FLEET_WIDE}`,
      CUSTOM.agentBusy,
      "scenario",
    ),
    ratePanel(
      "Watcher events per second",
      `Events the watchers' /events streams delivered (watcher_events), per second by observed_by. ${FLEET_WIDE}`,
      CUSTOM.watcherEvents,
      "observed_by",
    ),
    {
      title: "SSE delivery lag p95",
      description:
        "Receive time − the event's message time for live message_update events (sse_delivery_lag p95), by " +
        `observed_by, with its k6 thresholds.${topologyNote(CUSTOM.sseDeliveryLag)} ${FLEET_WIDE}`,
      unit: "ms",
      width: 12,
      limits: percentileLimits(CUSTOM.sseDeliveryLag, undefined, ["p(95)"]),
      queries: [scoped(CUSTOM.sseDeliveryLag).select(P(95), "p95").groupBy("observed_by")],
    },
    countPanel(
      "Watcher streams dropped",
      "Watcher /events streams that ended before the watch did (sse_streams_dropped), by scenario; the Outages row " +
        `breaks them down by reason (server_closed, error). ${FLEET_WIDE}`,
      CUSTOM.sseStreamsDropped,
      "scenario",
      12,
    ),
    {
      title: "Idle status read p95",
      description:
        "GET /status answers that said stable (idle_status_duration p95): upstream's send ends with the agent " +
        "running, so no send held such a read up — the server's own read time. The dashed line is its k6 limit, the " +
        "same on one server shared by all VUs and on a fleet, while the /status, /messages and list_tools latency " +
        "rows take other limits where VUs share agents (k6/README.md, Thresholds): a slow server shows here. On ACP " +
        "with shared agents a read another VU's turn held up also comes back stable, so there this panel mixes in " +
        `those waits.${topologyNote(CUSTOM.idleStatusDuration)} ${FLEET_WIDE}`,
      unit: "ms",
      width: 12,
      limits: percentileLimits(CUSTOM.idleStatusDuration, undefined, ["p(95)"]),
      queries: [scoped(CUSTOM.idleStatusDuration).select(P(95), "p95")],
    },
    {
      title: "Prompts sent / withheld",
      description:
        "User prompts the journeys sent (prompts_sent: POST /message type user, whatever the answer — accepted or " +
        "busy) and those they did not send because the run's prompt budget was spent (prompts_withheld: MAX_PROMPTS; " +
        "the journey read the conversation instead), per interval. The legend's Total is the range's: over the " +
        `whole run, sent stays within MAX_PROMPTS. ${FLEET_WIDE}`,
      unit: "short",
      width: 12,
      style: "bars",
      stacked: true,
      noValue: COUNTER_NO_VALUE,
      legendCalcs: COUNTER_TOTALS,
      queries: [
        scoped(CUSTOM.promptsSent).select(SUM, "sent").fillZero(),
        scoped(CUSTOM.promptsWithheld).select(SUM, "withheld").fillZero(),
      ],
    },
  ];
}

/** Legend of a per-interval count whose total over the range is the point: Total and Max. */
const COUNTER_TOTALS = ["sum", "max"];

/**
 * A restart of the agent servers (an upgrade, a workspace restart), as the VUs see it. Each VU watches its own agent
 * (k6/src/agent-health.ts); nothing is per agent (no agent tag), so the panels are fleet-wide.
 */
function outagesRow(): TimeseriesSpec[] {
  return [
    {
      title: "Connection failures by cause",
      description:
        "Requests that got no HTTP response at all, per interval by cause (connection_failures{cause}: refused, " +
        "reset, timeout, dns, network; MCP connections that could not be set up are counted without a cause and " +
        "show in Errors → Connection failures only). A restart drill of the agent servers reads: refused while a " +
        "server is down (nothing listens on its port), a few reset for requests the restart cut, then nothing. Behind " +
        "a gateway (Coder, an ingress) a down server answers 502/503/504 instead: Errors → Requests by status. " +
        "timeout, dns or network is not a restart.",
      unit: "short",
      width: 6,
      style: "bars",
      stacked: true,
      noValue: COUNTER_NO_VALUE,
      legendCalcs: COUNTER_TOTALS,
      queries: [
        scoped(CUSTOM.connectionFailures).whereNot("cause", "").select(SUM, "count").groupBy("cause").fillZero(),
      ],
    },
    {
      title: "Agent recovery time max / p95",
      description:
        "Per outage and VU, from the VU's first failed request to its own agent (no answer, or a gateway's " +
        "502/503/504) to its first answered one (agent_recovery_time), plotted when the VU recovered: max and p95 " +
        "per interval. A restart drill reads about the servers' downtime plus the wait for the VU's next request " +
        "(its think time): max is the slowest VU, p95 the fleet. No data: no VU saw its agent fail. Fleet-wide: no " +
        "per-agent tag, so the panel cannot name the slow agent.",
      unit: "ms",
      width: 6,
      min: 0,
      queries: [scoped(CUSTOM.agentRecoveryTime).select(MAX, "max").select(P(95), "p95")],
    },
    {
      title: "Messages lost",
      description:
        "Messages a VU had seen before an outage that are missing or changed after it (agent_history_lost), per " +
        "interval; one sample per VU and outage, 0 when nothing was lost. A restart drill reads 0 when the servers " +
        "restore their state (upstream's --state-file); without it each conversation starts again from the agent's " +
        "banner and every VU counts what it had seen. Fleet-wide: no per-agent tag.",
      unit: "short",
      width: 6,
      style: "bars",
      noValue: COUNTER_NO_VALUE,
      legendCalcs: COUNTER_TOTALS,
      queries: [scoped(CUSTOM.agentHistoryLost).select(SUM, "lost").fillZero()],
    },
    {
      title: "Streams dropped and turns lost",
      description:
        "Watcher /events streams that ended before the watch did, by reason (sse_streams_dropped: server_closed — " +
        "the server ended it, as upstream ends every stream when it stops; error — no answer, a reset), and agent " +
        "turns that lost sight of the agent before they ended (agent_turn_failures{reason:stream_lost}: the turn's " +
        "stream ended or its polls failed), per interval. A restart drill reads one server_closed per watched stream " +
        "and one lost turn per turn in flight at the restart, and nothing after it; both breach their count<1 k6 " +
        "limits by design. Fleet-wide: no per-agent tag.",
      unit: "short",
      width: 6,
      style: "bars",
      stacked: true,
      noValue: COUNTER_NO_VALUE,
      legendCalcs: COUNTER_TOTALS,
      queries: [
        scoped(CUSTOM.sseStreamsDropped).select(SUM, "count").groupBy("reason").fillZero(),
        scoped(CUSTOM.agentTurnFailures).where("reason", "stream_lost").select(SUM, "turns lost").fillZero(),
      ],
    },
  ];
}

function mcpOauthRow(): TimeseriesSpec[] {
  return [
    {
      title: "Active MCP connections: sessions opened / closed",
      description:
        "active_connections is a per-VU gauge (1 after a VU opens its MCP session, 0 after it closes it). InfluxDB " +
        "does not keep the VU, so the panel counts those reports per interval: opened (1s) and closed (0s).",
      unit: "short",
      style: "bars",
      queries: [scoped(CUSTOM.activeConnections).select(SUM, "opened").select(ZEROS, "closed").fillZero()],
    },
    countPanel(
      "Token refreshes",
      "OAuth token refreshes (token_refresh_count).",
      CUSTOM.tokenRefreshes,
      "scenario",
      12,
    ),
  ];
}

function sseRow(): TimeseriesSpec[] {
  return [
    {
      title: "SSE time to first event",
      description: "From opening GET /events to the first event (sse_time_to_first_event).",
      unit: "ms",
      width: 24,
      limits: percentileLimits(CUSTOM.sseTimeToFirstEvent),
      queries: [percentiles(CUSTOM.sseTimeToFirstEvent)],
    },
  ];
}

/**
 * A capacity search (`make capacity`, k6/README.md "Capacity search"): every sample carries its step (`step` tag),
 * so the panels draw one series per step as the run climbs; the steps themselves, with their verdicts, are the
 * "Capacity steps" annotations `npm run capacity` posts when it has judged them (tools/capacity/annotate.ts). Empty
 * outside a capacity run (collapsed: queried only when opened).
 */
function capacityRow(): TimeseriesSpec[] {
  const inAStep = (metric: string): Query => scoped(metric).whereNot("step", "");
  return [
    {
      title: "Iterations per second by capacity step",
      description:
        "Journey iterations completed per second (iterations), one series per step of the capacity search: each " +
        "step should sit at its planned rate; a step that stays under it was limited by the target or the generator.",
      unit: "short",
      queries: [inAStep(K6.iterations).select(PER_SECOND, "iterations").groupBy("step").fillZero()],
    },
    {
      title: "Request latency p95 by capacity step",
      description:
        "p95 of every API call (http_req_duration{kind:call}) per step; the dashed line is the run-wide p95 limit " +
        "the step verdicts judge (with every other SLO row).",
      unit: "ms",
      queries: [inAStep(K6.httpReqDuration).where("kind", "call").select(P(95), "p95").groupBy("step")],
      limits: percentileLimits(K6.httpReqDuration, { kind: "call" }, ["p(95)"]),
    },
    {
      title: "Failed requests by capacity step",
      description: "Share of requests that failed (http_req_failed) per step.",
      unit: "percentunit",
      queries: [inAStep(K6.httpReqFailed).select(MEAN, "failed").groupBy("step")],
    },
    {
      title: "Dropped iterations per second",
      description:
        "Iterations k6 could not start because no VU of the pool was idle (dropped_iterations; k6 does not tag " +
        "them with a step): the generator's shortfall, which the verdicts hold against the generator, not the target.",
      unit: "short",
      style: "bars",
      noValue: "0",
      queries: [scoped(K6.droppedIterations).select(SUM, "dropped").fillZero()],
    },
  ];
}

/** The steps of a capacity search as region annotations: posted by `npm run capacity`, tagged with the testid. */
export const CAPACITY_ANNOTATION_TAG = "agentapi-capacity";

function capacityAnnotation(): AnnotationQueryBuilder {
  return new AnnotationQueryBuilder()
    .name("Capacity steps")
    .datasource({ type: "grafana", uid: "-- Grafana --" })
    .enable(true)
    .iconColor("orange")
    .target({
      // Grafana's own annotations, those whose tags include both (the testid from the run variable).
      build: () => ({
        refId: "capacity",
        type: "tags",
        tags: [CAPACITY_ANNOTATION_TAG, "$testid"],
        matchAny: false,
        limit: 100,
        _implementsDataqueryVariant: () => {},
      }),
    });
}

interface RowSpec {
  title: string;
  panels: () => TimeseriesSpec[];
  collapsed?: boolean;
}

const ROWS: readonly RowSpec[] = [
  { title: "Load", panels: loadRow },
  { title: "Latency", panels: latencyRow },
  { title: "Latency per endpoint and scenario vs thresholds", panels: latencyThresholdsRow, collapsed: true },
  { title: "Errors", panels: errorsRow },
  { title: "Journeys", panels: journeysRow },
  { title: "MCP and OAuth", panels: mcpOauthRow },
  { title: "SSE", panels: sseRow },
  // New rows and panels go last, so the panel ids above them (links with ?viewPanel=<id>) stay as they were.
  { title: "Agents", panels: agentsRow },
  { title: "Outages", panels: outagesRow },
  { title: "Capacity search", panels: capacityRow, collapsed: true },
];

/** Sets a fixed id on whatever a builder produces: the SDK leaves ids to the caller. */
export function withId<T extends { id?: number }>(builder: cog.Builder<T>, id: number): cog.Builder<T> {
  return {
    build: () => {
      const built = builder.build();
      built.id = id;
      return built;
    },
  };
}

/** Each backend's variant of the dashboard: uid, title, and how its description names the source. */
const VARIANTS: Readonly<Record<BackendId, { uid: string; title: string; source: string }>> = {
  influxql: { uid: DASHBOARD_UID, title: DASHBOARD_TITLE, source: "InfluxQL on the k6 bucket" },
  promql: {
    uid: PROM_DASHBOARD_UID,
    title: PROM_DASHBOARD_TITLE,
    source: "PromQL on k6's prometheus-rw output, native histograms",
  },
};

/**
 * The panels of one row on a backend, each with the id it has on every backend: a panel the backend cannot show
 * (promql-exceptions.ts) is left out and its id is not reused, so `?viewPanel=<id>` names the same panel on both.
 */
export function rowPanels(
  backend: Backend,
  dashboardUid: string,
  specs: readonly TimeseriesSpec[],
  nextId: () => number,
): cog.Builder<Panel>[] {
  return specs.flatMap((spec) => {
    const id = nextId();
    const shown = forBackend(backend, dashboardUid, spec);
    return shown === undefined ? [] : [withId(timeseries(shown, backend), id)];
  });
}

/** The spec as the backend shows it: unchanged, with a note on how its twin differs, or undefined (no twin). */
export function forBackend(backend: Backend, dashboardUid: string, spec: TimeseriesSpec): TimeseriesSpec | undefined {
  if (backend.id !== "promql") return spec;
  const exception = promqlException(dashboardUid, spec.title);
  if (exception === undefined) return spec;
  if (exception.twin === "none") return undefined;
  const description = spec.description;
  return {
    ...spec,
    description: (b) => `${typeof description === "string" ? description : description(b)}${promqlNote(exception)}`,
  };
}

export function buildDashboard(backend: Backend = INFLUXQL): Dashboard {
  const variant = VARIANTS[backend.id];
  const dashboard = new DashboardBuilder(variant.title)
    .uid(variant.uid)
    .description(`k6 load test of AgentAPI (${variant.source}). Pick the run with the Test run variable.`)
    .tags(["k6", "agentapi", "load-test"])
    .editable()
    .tooltip(DashboardCursorSync.Crosshair)
    .time({ from: "now-30m", to: "now" })
    .refresh("5s")
    .timepicker(new TimePickerBuilder().refreshIntervals(["5s", "10s", "30s", "1m", "5m"]))
    .variables(variables(backend))
    .annotation(capacityAnnotation());
  // An open row's panels follow it at the top level (Grafana drops panels nested in an open row); a collapsed
  // row carries its panels inside it.
  let id = 0;
  const nextId = (): number => ++id;
  for (const spec of ROWS) {
    const row = new RowBuilder(spec.title).collapsed(spec.collapsed === true);
    const rowId = nextId();
    const panels = rowPanels(backend, DASHBOARD_UID, spec.panels(), nextId);
    if (spec.collapsed) {
      for (const panel of panels) row.withPanel(panel);
      dashboard.withRow(withId(row, rowId));
    } else {
      dashboard.withRow(withId(row, rowId));
      for (const panel of panels) dashboard.withPanel(panel);
    }
  }
  return dashboard.build();
}

/** The committed file's exact text: stable key order from the builders, two-space indent, final newline. */
export function renderDashboard(backend: Backend = INFLUXQL): string {
  return `${JSON.stringify(buildDashboard(backend), null, 2)}\n`;
}

/** The PromQL dashboard's file text. */
export const renderPromDashboard = (): string => renderDashboard(PROMQL);
