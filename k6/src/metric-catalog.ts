// Names and types of every metric the suite records: k6's built-ins and this suite's custom metrics.
// Pure data (no k6 imports): `metrics.ts` builds the k6 objects from it; dashboards and tests read it in Node.

export type MetricType = "counter" | "gauge" | "rate" | "trend";

import { once } from "./lib/lazy";

export interface MetricSpec {
  name: string;
  type: MetricType;
  isTime?: boolean;
  description: string;
}

/** The suite's custom metrics, built on first use (lib/lazy.ts: no VU reads the catalog). */
export const customMetrics = once(
  () =>
    [
      {
        name: "mcp_connection_success_rate",
        type: "rate",
        description: "MCP connections set up (initialize + initialized + tools/list) that succeeded",
      },
      {
        name: "tool_execution_success_rate",
        type: "rate",
        description: "MCP tools/call results and agent prompts that succeeded (agent busy excluded)",
      },
      {
        name: "auth_success_rate",
        type: "rate",
        description: "user-token + OAuth PKCE logins that ended with MCP tokens",
      },
      {
        name: "disconnect_success_rate",
        type: "rate",
        description: "disconnects where the session ended, the config was revoked and its token refused",
      },
      {
        name: "token_refresh_count",
        type: "counter",
        description: "successful OAuth refreshes (rotations) of a VU's own config",
      },
      {
        name: "connection_failures",
        type: "counter",
        description:
          "requests that got no HTTP response (tag cause: refused, reset, timeout, dns, network), and MCP connections that could not be set up",
      },
      {
        name: "timeout_count",
        type: "counter",
        description: "requests that hit the client timeout, and SSE streams that sent no initial state in time",
      },
      { name: "total_requests", type: "counter", description: "HTTP requests the journeys sent (tagged by endpoint)" },
      {
        name: "active_connections",
        type: "gauge",
        description: "MCP sessions held open by the reporting VU (0 or 1) after each open/close",
      },
      {
        name: "concurrent_users",
        type: "gauge",
        description: "active VUs on this k6 instance, sampled at each iteration start",
      },
      {
        name: "auth_duration",
        type: "trend",
        isTime: true,
        description: "login time: user token through OAuth callback (no think time)",
      },
      {
        name: "mcp_connection_duration",
        type: "trend",
        isTime: true,
        description: "MCP initialize + initialized + tools/list time",
      },
      { name: "tool_execution_duration", type: "trend", isTime: true, description: "MCP tools/call time" },
      {
        name: "disconnect_duration",
        type: "trend",
        isTime: true,
        description: "session delete + revoke + refusal check time",
      },
      {
        name: "agent_busy_total",
        type: "counter",
        description: "POST /message refused because the agent was running (not a failure)",
      },
      {
        name: "idle_status_duration",
        type: "trend",
        isTime: true,
        description: "GET /status answers that said stable: reads no send held up (the server's own read time)",
      },
      // Outages (a restart, an upgrade): seen by each VU on its own agent, run-wide, no per-agent tag (agent-health.ts).
      {
        name: "agent_recovery_time",
        type: "trend",
        isTime: true,
        description: "a VU's first failed request to its agent (no answer, or 502/503/504) → its first answered one",
      },
      {
        name: "agent_history_lost",
        type: "counter",
        description: "messages a VU had seen before an outage that are missing or changed after it",
      },
      // Prompts to the agents: what a budget (MAX_PROMPTS) caps and what it held back.
      {
        name: "prompts_sent",
        type: "counter",
        description: "user prompts sent (POST /message type user, whatever the answer)",
      },
      {
        name: "prompts_withheld",
        type: "counter",
        description: "prompts a journey did not send because the run's prompt budget (MAX_PROMPTS) was spent",
      },
      {
        name: "sse_time_to_first_event",
        type: "trend",
        isTime: true,
        description: "GET /events: time from connect to the first event",
      },
      // The agent turn, as the user of a coding agent feels it (agent_conversation). No per-agent tag: a fleet of
      // hundreds of agents would make as many series in InfluxDB; the scenario and endpoint tags are enough.
      {
        name: "agent_turn_duration",
        type: "trend",
        isTime: true,
        description:
          "an accepted prompt, from POST /message sent → the agent back to stable (upstream: send + reply + 2 s still)",
      },
      {
        name: "agent_first_output",
        type: "trend",
        isTime: true,
        description:
          "POST /message accepted → the first agent message_update after the prompt (tag observed_by: sse|poll)",
      },
      { name: "agent_turns", type: "counter", description: "prompts the agent accepted and answered (turns started)" },
      {
        name: "agent_turn_failures",
        type: "counter",
        description: "turns with no return to stable within the bound, or no reply in /messages (tag reason)",
      },
      // Watchers (event_watchers): long-lived /events streams on working agents, like browser tabs.
      { name: "watcher_events", type: "counter", description: "events the watchers' /events streams delivered" },
      {
        name: "sse_delivery_lag",
        type: "trend",
        isTime: true,
        description: "receive time − the message's time, for live agent message updates (stamped when emitted)",
      },
      { name: "sse_streams_dropped", type: "counter", description: "watcher streams that ended before the watch did" },
    ] as const satisfies ReadonlyArray<MetricSpec>,
);

export type CustomMetricName = ReturnType<typeof customMetrics>[number]["name"];

/** k6's built-in metrics that a run of this suite can emit (HTTP, iterations, checks, groups, SSE extension). */
export const builtinMetrics = once((): ReadonlyArray<MetricSpec> => [
  { name: "checks", type: "rate", description: "check() results" },
  { name: "data_received", type: "counter", description: "bytes received" },
  { name: "data_sent", type: "counter", description: "bytes sent" },
  { name: "group_duration", type: "trend", isTime: true, description: "time per group() run" },
  { name: "http_req_blocked", type: "trend", isTime: true, description: "time waiting for a free connection" },
  { name: "http_req_connecting", type: "trend", isTime: true, description: "TCP connect time" },
  { name: "http_req_duration", type: "trend", isTime: true, description: "sending + waiting + receiving" },
  { name: "http_req_failed", type: "rate", description: "responses outside the expected statuses" },
  { name: "http_req_receiving", type: "trend", isTime: true, description: "time receiving the body" },
  { name: "http_req_sending", type: "trend", isTime: true, description: "time sending the request" },
  { name: "http_req_tls_handshaking", type: "trend", isTime: true, description: "TLS handshake time" },
  { name: "http_req_waiting", type: "trend", isTime: true, description: "time to first byte" },
  { name: "http_reqs", type: "counter", description: "HTTP requests" },
  { name: "iteration_duration", type: "trend", isTime: true, description: "time per iteration" },
  { name: "iterations", type: "counter", description: "completed iterations" },
  { name: "vus", type: "gauge", description: "active VUs" },
  { name: "vus_max", type: "gauge", description: "allocated VUs" },
  // Arrival-rate executors only (a capacity search, k6/src/capacity): the generator's own shortfall.
  { name: "dropped_iterations", type: "counter", description: "iterations due when no VU was idle (not started)" },
  { name: "sse_event", type: "counter", description: "SSE events received (xk6-sse)" },
]);
