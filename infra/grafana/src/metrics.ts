// Names of the measurements the dashboard reads. xk6-output-influxdb writes one measurement per k6 metric, named
// after it, with the sample in field `value` and the sample's tags as tags (except `vu`, `iter` and `url`, which
// its default K6_INFLUXDB_TAGS_AS_FIELDS turns into fields). The names are checked at compile time against the k6
// suite's metric catalog, and at test time against the samples the journeys really emit.
import type { CustomMetricName } from "../../../k6/src/metric-catalog";

export const K6 = {
  vus: "vus",
  iterations: "iterations",
  iterationDuration: "iteration_duration",
  httpReqs: "http_reqs",
  httpReqDuration: "http_req_duration",
  httpReqWaiting: "http_req_waiting",
  httpReqFailed: "http_req_failed",
  checks: "checks",
  droppedIterations: "dropped_iterations",
} as const;

export const CUSTOM = {
  concurrentUsers: "concurrent_users",
  activeConnections: "active_connections",
  totalRequests: "total_requests",
  timeouts: "timeout_count",
  connectionFailures: "connection_failures",
  agentBusy: "agent_busy_total",
  tokenRefreshes: "token_refresh_count",
  authDuration: "auth_duration",
  mcpConnectionDuration: "mcp_connection_duration",
  toolExecutionDuration: "tool_execution_duration",
  disconnectDuration: "disconnect_duration",
  authSuccess: "auth_success_rate",
  mcpConnectionSuccess: "mcp_connection_success_rate",
  toolExecutionSuccess: "tool_execution_success_rate",
  disconnectSuccess: "disconnect_success_rate",
  sseTimeToFirstEvent: "sse_time_to_first_event",
  // Agents (agent_conversation, event_watchers). No per-agent tag on any of them (series would grow with the fleet).
  agentTurnDuration: "agent_turn_duration",
  agentFirstOutput: "agent_first_output",
  agentTurns: "agent_turns",
  agentTurnFailures: "agent_turn_failures",
  watcherEvents: "watcher_events",
  sseDeliveryLag: "sse_delivery_lag",
  sseStreamsDropped: "sse_streams_dropped",
  idleStatusDuration: "idle_status_duration",
  promptsSent: "prompts_sent",
  promptsWithheld: "prompts_withheld",
  // Outages (a restart of the agent servers): per VU on its own agent, fleet-wide (k6/src/agent-health.ts).
  agentRecoveryTime: "agent_recovery_time",
  agentHistoryLost: "agent_history_lost",
} as const satisfies Record<string, CustomMetricName>;

/** Metrics whose samples carry the suite's `endpoint` tag: k6's HTTP metrics and the per-request counters. */
export const ENDPOINT_TAGGED: ReadonlySet<string> = new Set([
  CUSTOM.totalRequests,
  CUSTOM.timeouts,
  CUSTOM.connectionFailures,
  K6.httpReqs,
  K6.httpReqDuration,
  K6.httpReqWaiting,
  K6.httpReqFailed,
]);

/** Metrics k6 emits outside any scenario (no `scenario` tag), so the scenario filter must not apply to them. */
export const UNSCOPED_METRICS: ReadonlySet<string> = new Set([K6.vus]);
