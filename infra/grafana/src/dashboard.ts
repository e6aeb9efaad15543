// "AgentAPI load test": one dashboard for one k6 run at a time (the `testid` variable), read top to bottom as
// load → latency → errors → journeys → MCP/OAuth → SSE → agents → outages.
import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import {
  DashboardBuilder,
  DashboardCursorSync,
  RowBuilder,
  TimePickerBuilder,
  type Dashboard,
  type Panel,
} from "@grafana/grafana-foundation-sdk/dashboard";
import { InfluxQLQueryBuilder, count, max, maxOf, mean, percentile, perSecond, sum } from "./influxql";
import { ALL, ROLLUP_PERCENTILES, ROLLUP_WINDOW_MS, rollupOf } from "../../../tools/rollup/spec";
import { CUSTOM, ENDPOINT_TAGGED, K6, UNSCOPED_METRICS } from "./metrics";
import { timeseries } from "./panels";
import {
  baseRow,
  conditionsFor,
  rowsTaggedBy,
  topologyVariants,
  type Statistic,
  type ThresholdCondition,
} from "./thresholds";
import { variables } from "./variables";

export const DASHBOARD_UID = "agentapi-load";
export const DASHBOARD_TITLE = "AgentAPI load test";

/** A query on one metric, already narrowed by the variables that apply to that metric's tags. */
function scoped(refId: string, metric: string): InfluxQLQueryBuilder {
  const query = new InfluxQLQueryBuilder(refId).from(metric);
  if (!UNSCOPED_METRICS.has(metric)) query.whereVariable("scenario");
  if (ENDPOINT_TAGGED.has(metric)) query.whereVariable("endpoint");
  return query;
}

const PERCENTILES = [50, 95, 99] as const;

/** Legend = the select's AS name ("p95", "VUs"), instead of Grafana's default "<measurement>.<column>". */
const COLUMN_LEGEND = "$col";

/** p50/p95/p99 of a trend in one query, one series each. */
function percentiles(metric: string): InfluxQLQueryBuilder {
  const query = scoped("A", metric);
  for (const p of PERCENTILES) query.select(percentile(p), `p${p}`);
  return query.alias(COLUMN_LEGEND);
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

function loadRow(): cog.Builder<Panel>[] {
  return [
    timeseries({
      title: "Virtual users",
      description: "Active k6 VUs across all scenarios (k6's vus gauge).",
      unit: "short",
      width: 6,
      targets: [scoped("A", K6.vus).select(max(), "VUs").alias(COLUMN_LEGEND)],
    }),
    timeseries({
      title: "Concurrent users",
      description:
        "Active VUs on the k6 instance as the journeys sample it at each iteration start (concurrent_users).",
      unit: "short",
      width: 6,
      targets: [scoped("A", CUSTOM.concurrentUsers).select(max(), "users").alias(COLUMN_LEGEND)],
    }),
    timeseries({
      title: "Requests per second",
      description: "HTTP requests per second (http_reqs), stacked by scenario.",
      unit: "reqps",
      width: 6,
      stacked: true,
      targets: [
        scoped("A", K6.httpReqs).select(perSecond(), "rps").groupByTag("scenario").fill("0").alias("$tag_scenario"),
      ],
    }),
    timeseries({
      title: "Iterations per second",
      description: "Completed journey iterations per second (iterations), per scenario.",
      unit: "short",
      width: 6,
      targets: [
        scoped("A", K6.iterations)
          .select(perSecond(), "iterations")
          .groupByTag("scenario")
          .fill("0")
          .alias("$tag_scenario"),
      ],
    }),
    timeseries({
      title: "Journey requests per second",
      description: "Requests counted by the journeys themselves (total_requests), per scenario.",
      unit: "reqps",
      width: 12,
      targets: [
        scoped("A", CUSTOM.totalRequests)
          .select(perSecond(), "rps")
          .groupByTag("scenario")
          .fill("0")
          .alias("$tag_scenario"),
      ],
    }),
    timeseries({
      title: "Iteration duration p95",
      description: "How long one journey iteration takes (iteration_duration p95), per scenario.",
      unit: "ms",
      width: 12,
      targets: [
        scoped("A", K6.iterationDuration).select(percentile(95), "p95").groupByTag("scenario").alias("$tag_scenario"),
      ],
    }),
  ];
}

/** `{kind:call}` for a description, or "" without tags. */
function tagText(tags: Record<string, string>): string {
  const entries = Object.entries(tags);
  return entries.length === 0 ? "" : `{${entries.map(([k, v]) => `${k}:${v}`).join(",")}}`;
}

function perTagLatencyPanels(tagKey: "endpoint" | "scenario"): cog.Builder<Panel>[] {
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
    return timeseries({
      title: `${tagKey === "endpoint" ? "Endpoint" : "Scenario"} ${tagValue}: latency vs threshold`,
      description: `http_req_duration${tagText({ [tagKey]: tagValue, ...otherTags })} against its k6 thresholds (${conditions
        .map((c) => `${c.statistic}${c.operator}${c.limit}`)
        .join(", ")}).${ROLLUP_NOTE}${topologyNote(K6.httpReqDuration, { [tagKey]: tagValue, ...otherTags })}`,
      unit: "ms",
      width: 6,
      height: 7,
      limits,
      // The fixed tag replaces the variable of the same name; the other variable still narrows the panel.
      targets: [rolledUp(K6.httpReqDuration, shown, undefined, { [tagKey]: tagValue })],
    });
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
): InfluxQLQueryBuilder {
  const query = new InfluxQLQueryBuilder("A").from(rollupOf(metric).measurement);
  for (const p of percentiles) {
    if (!(ROLLUP_PERCENTILES as readonly number[]).includes(p)) throw new Error(`the rollup keeps no p${p} (spec.ts)`);
    query.select(maxOf(`p${p}`), `p${p}`);
  }
  for (const tag of ["scenario", "endpoint"] as const) {
    const value = fixed[tag];
    if (value !== undefined) query.whereTag(tag, value);
    else if (tag === by) query.whereTagNot(tag, ALL).whereVariable(tag).groupByTag(tag);
    else query.whereVariableText(tag);
  }
  return query.alias(by === undefined ? COLUMN_LEGEND : `$tag_${by}`);
}

const ROLLUP_NOTE =
  ` Read from the rollup (tools/rollup: ${ROLLUP_WINDOW_MS / 1000} s windows; the stack's \`rollup\` service updates ` +
  `them every 5 s, late samples included). No data for a run the rollup did not see: npm run rollup -- --testid <id>.`;

function latencyRow(): cog.Builder<Panel>[] {
  // The run-wide latency row may fix a tag (kind:call leaves GET /events streams out); the panels that draw its
  // limits plot exactly what it judges — and the rollup of http_req_duration keeps exactly those tags (tested).
  const overall = baseRow(K6.httpReqDuration);
  const overallLimits = overall.conditions.filter((c) => c.statistic.startsWith("p("));
  const overallP95 = overallLimits.filter((c) => c.statistic === "p(95)");
  const filtered = tagText(overall.tags);
  const scope = filtered === "" ? "" : ` (${filtered}, as its threshold)`;
  const variants = topologyNote(K6.httpReqDuration, overall.tags);
  return [
    timeseries({
      title: "HTTP latency p50 / p95 / p99",
      description: `http_req_duration${filtered} percentiles with the overall k6 thresholds as dashed lines.${ROLLUP_NOTE}${variants}`,
      unit: "ms",
      limits: overallLimits,
      targets: [rolledUp(K6.httpReqDuration, PERCENTILES)],
    }),
    timeseries({
      title: "Server wait p95 by endpoint",
      description: `Time to first byte (http_req_waiting p95) per endpoint.${ROLLUP_NOTE}`,
      unit: "ms",
      targets: [rolledUp(K6.httpReqWaiting, [95], "endpoint")],
    }),
    timeseries({
      title: "p95 by endpoint",
      description: `http_req_duration${scope} p95 per endpoint; the dashed line is the overall p95 threshold.${ROLLUP_NOTE}${variants}`,
      unit: "ms",
      limits: overallP95,
      targets: [rolledUp(K6.httpReqDuration, [95], "endpoint")],
    }),
    timeseries({
      title: "p95 by scenario",
      description: `http_req_duration${scope} p95 per scenario; the dashed line is the overall p95 threshold.${ROLLUP_NOTE}${variants}`,
      unit: "ms",
      limits: overallP95,
      targets: [rolledUp(K6.httpReqDuration, [95], "scenario")],
    }),
  ];
}

/** One small panel per per-endpoint and per-scenario latency threshold; in a collapsed row (queried when opened). */
function latencyThresholdsRow(): cog.Builder<Panel>[] {
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
): cog.Builder<Panel> {
  return timeseries({
    title,
    description: `${description}${topologyNote(metric)}`,
    unit: "short",
    width,
    style: "bars",
    stacked: true,
    noValue: COUNTER_NO_VALUE,
    // A run-wide `count<N` limit: one interval reaching N already breaches it.
    limits: conditionsFor(metric, undefined, ["count"]),
    targets: [scoped("A", metric).select(sum(), "count").groupByTag(by).fill("0").alias(`$tag_${by}`)],
  });
}

/** A counter per second, one series per value of `by` (or one series), 0 where nothing happened. */
function ratePanel(
  title: string,
  description: string,
  metric: string,
  by: "scenario" | "observed_by" | undefined,
  column = "per second",
  width = 8,
): cog.Builder<Panel> {
  const query = scoped("A", metric).select(perSecond(), column);
  if (by !== undefined) query.groupByTag(by);
  return timeseries({
    title,
    description,
    unit: "short",
    width,
    min: 0,
    noValue: COUNTER_NO_VALUE,
    targets: [query.fill("0").alias(by === undefined ? COLUMN_LEGEND : `$tag_${by}`)],
  });
}

function errorsRow(): cog.Builder<Panel>[] {
  return [
    timeseries({
      title: "Failed request rate",
      description: `Share of failed HTTP requests (http_req_failed) per scenario, with the k6 error-rate threshold.${topologyNote(K6.httpReqFailed)}`,
      unit: "percentunit",
      width: 8,
      min: 0,
      limits: conditionsFor(K6.httpReqFailed, undefined, ["rate"]),
      targets: [scoped("A", K6.httpReqFailed).select(mean(), "failed").groupByTag("scenario").alias("$tag_scenario")],
    }),
    timeseries({
      title: "Requests by status",
      description: "HTTP requests per interval by response status (0 = no response).",
      unit: "short",
      width: 8,
      style: "bars",
      stacked: true,
      targets: [scoped("A", K6.httpReqs).select(sum(), "requests").groupByTag("status").fill("0").alias("$tag_status")],
    }),
    timeseries({
      title: "Failed checks",
      description: "Checks that failed per interval (checks samples are 1 = pass, 0 = fail), per scenario.",
      unit: "short",
      width: 8,
      style: "bars",
      stacked: true,
      targets: [
        scoped("A", K6.checks)
          .select(`${count()} - ${sum()}`, "failed")
          .groupByTag("scenario")
          .fill("0")
          .alias("$tag_scenario"),
      ],
    }),
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

function durationPanel(title: string, metric: string): cog.Builder<Panel> {
  return timeseries({
    title,
    description: `${metric} p50/p95/p99 with its k6 thresholds.${topologyNote(metric)}`,
    unit: "ms",
    width: 6,
    limits: percentileLimits(metric),
    targets: [percentiles(metric)],
  });
}

function successPanel(title: string, metric: string): cog.Builder<Panel> {
  return timeseries({
    title,
    description: `${metric} per scenario with its k6 threshold.${topologyNote(metric)}`,
    unit: "percentunit",
    width: 6,
    min: 0,
    max: 1,
    limits: conditionsFor(metric, undefined, ["rate"]),
    targets: [scoped("A", metric).select(mean(), "success").groupByTag("scenario").alias("$tag_scenario")],
  });
}

function journeysRow(): cog.Builder<Panel>[] {
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
function agentsRow(): cog.Builder<Panel>[] {
  const firstOutput = scoped("A", CUSTOM.agentFirstOutput);
  for (const p of [50, 95] as const) firstOutput.select(percentile(p), `p${p}`);
  return [
    timeseries({
      title: "Agent turn duration p50 / p95 / p99",
      description: `An accepted prompt, from POST /message sent → the agent back to stable (agent_turn_duration; ACP: → the POST's answer, which comes when the turn is over), with its k6 thresholds.${topologyNote(CUSTOM.agentTurnDuration)} ${FLEET_WIDE}`,
      unit: "ms",
      width: 8,
      limits: percentileLimits(CUSTOM.agentTurnDuration),
      targets: [percentiles(CUSTOM.agentTurnDuration)],
    }),
    timeseries({
      title: "Agent first output p50 / p95 by observed_by",
      description:
        "An accepted prompt, from POST /message sent → the first agent message_update after it (agent_first_output), seen on " +
        `the /events stream (sse) or by polling /messages (poll).${topologyNote(CUSTOM.agentFirstOutput)} ${FLEET_WIDE}`,
      unit: "ms",
      width: 8,
      limits: percentileLimits(CUSTOM.agentFirstOutput),
      targets: [firstOutput.groupByTag("observed_by").alias("$tag_observed_by $col")],
    }),
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
    timeseries({
      title: "SSE delivery lag p95",
      description:
        "Receive time − the event's message time for live message_update events (sse_delivery_lag p95), by " +
        `observed_by, with its k6 thresholds.${topologyNote(CUSTOM.sseDeliveryLag)} ${FLEET_WIDE}`,
      unit: "ms",
      width: 12,
      limits: percentileLimits(CUSTOM.sseDeliveryLag, undefined, ["p(95)"]),
      targets: [
        scoped("A", CUSTOM.sseDeliveryLag)
          .select(percentile(95), "p95")
          .groupByTag("observed_by")
          .alias("$tag_observed_by"),
      ],
    }),
    countPanel(
      "Watcher streams dropped",
      "Watcher /events streams that ended before the watch did (sse_streams_dropped), by scenario; the Outages row " +
        `breaks them down by reason (server_closed, error). ${FLEET_WIDE}`,
      CUSTOM.sseStreamsDropped,
      "scenario",
      12,
    ),
    timeseries({
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
      targets: [scoped("A", CUSTOM.idleStatusDuration).select(percentile(95), "p95").alias(COLUMN_LEGEND)],
    }),
    timeseries({
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
      targets: [
        scoped("A", CUSTOM.promptsSent).select(sum(), "sent").fill("0").alias(COLUMN_LEGEND),
        scoped("B", CUSTOM.promptsWithheld).select(sum(), "withheld").fill("0").alias(COLUMN_LEGEND),
      ],
    }),
  ];
}

/** Legend of a per-interval count whose total over the range is the point: Total and Max. */
const COUNTER_TOTALS = ["sum", "max"];

/**
 * A restart of the agent servers (an upgrade, a workspace restart), as the VUs see it. Each VU watches its own agent
 * (k6/src/agent-health.ts); nothing is per agent (no agent tag), so the panels are fleet-wide.
 */
function outagesRow(): cog.Builder<Panel>[] {
  return [
    timeseries({
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
      targets: [
        scoped("A", CUSTOM.connectionFailures)
          .whereTagNot("cause", "")
          .select(sum(), "count")
          .groupByTag("cause")
          .fill("0")
          .alias("$tag_cause"),
      ],
    }),
    timeseries({
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
      targets: [
        scoped("A", CUSTOM.agentRecoveryTime).select(max(), "max").select(percentile(95), "p95").alias(COLUMN_LEGEND),
      ],
    }),
    timeseries({
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
      targets: [scoped("A", CUSTOM.agentHistoryLost).select(sum(), "lost").fill("0").alias(COLUMN_LEGEND)],
    }),
    timeseries({
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
      targets: [
        scoped("A", CUSTOM.sseStreamsDropped)
          .select(sum(), "count")
          .groupByTag("reason")
          .fill("0")
          .alias("$tag_reason"),
        scoped("B", CUSTOM.agentTurnFailures)
          .whereTag("reason", "stream_lost")
          .select(sum(), "turns lost")
          .fill("0")
          .alias(COLUMN_LEGEND),
      ],
    }),
  ];
}

function mcpOauthRow(): cog.Builder<Panel>[] {
  return [
    timeseries({
      title: "Active MCP connections: sessions opened / closed",
      description:
        "active_connections is a per-VU gauge (1 after a VU opens its MCP session, 0 after it closes it). InfluxDB " +
        "does not keep the VU, so the panel counts those reports per interval: opened (1s) and closed (0s).",
      unit: "short",
      style: "bars",
      targets: [
        scoped("A", CUSTOM.activeConnections)
          .select(sum(), "opened")
          .select(`${count()} - ${sum()}`, "closed")
          .fill("0")
          .alias(COLUMN_LEGEND),
      ],
    }),
    countPanel(
      "Token refreshes",
      "OAuth token refreshes (token_refresh_count).",
      CUSTOM.tokenRefreshes,
      "scenario",
      12,
    ),
  ];
}

function sseRow(): cog.Builder<Panel>[] {
  return [
    timeseries({
      title: "SSE time to first event",
      description: "From opening GET /events to the first event (sse_time_to_first_event).",
      unit: "ms",
      width: 24,
      limits: percentileLimits(CUSTOM.sseTimeToFirstEvent),
      targets: [percentiles(CUSTOM.sseTimeToFirstEvent)],
    }),
  ];
}

interface RowSpec {
  title: string;
  panels: () => cog.Builder<Panel>[];
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

export function buildDashboard(): Dashboard {
  const dashboard = new DashboardBuilder(DASHBOARD_TITLE)
    .uid(DASHBOARD_UID)
    .description("k6 load test of AgentAPI (InfluxQL on the k6 bucket). Pick the run with the Test run variable.")
    .tags(["k6", "agentapi", "load-test"])
    .editable()
    .tooltip(DashboardCursorSync.Crosshair)
    .time({ from: "now-30m", to: "now" })
    .refresh("5s")
    .timepicker(new TimePickerBuilder().refreshIntervals(["5s", "10s", "30s", "1m", "5m"]))
    .variables(variables());
  // An open row's panels follow it at the top level (Grafana drops panels nested in an open row); a collapsed
  // row carries its panels inside it.
  let id = 0;
  for (const spec of ROWS) {
    const row = new RowBuilder(spec.title).collapsed(spec.collapsed === true);
    const rowId = ++id;
    if (spec.collapsed) {
      for (const panel of spec.panels()) row.withPanel(withId(panel, ++id));
      dashboard.withRow(withId(row, rowId));
    } else {
      dashboard.withRow(withId(row, rowId));
      for (const panel of spec.panels()) dashboard.withPanel(withId(panel, ++id));
    }
  }
  return dashboard.build();
}

/** The committed file's exact text: stable key order from the builders, two-space indent, final newline. */
export function renderDashboard(): string {
  return `${JSON.stringify(buildDashboard(), null, 2)}\n`;
}
