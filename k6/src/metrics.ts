// Every custom metric, constructed once in the init context under the catalog's names (a test checks the two
// agree). Journeys import `metrics`; Node code reads the names from metric-catalog.ts.

import { Counter, Gauge, Rate, Trend } from "k6/metrics";

export { CUSTOM_METRICS } from "./metric-catalog";

export const metrics = {
  mcpConnectionSuccessRate: new Rate("mcp_connection_success_rate"),
  toolExecutionSuccessRate: new Rate("tool_execution_success_rate"),
  authSuccessRate: new Rate("auth_success_rate"),
  disconnectSuccessRate: new Rate("disconnect_success_rate"),
  tokenRefreshCount: new Counter("token_refresh_count"),
  connectionFailures: new Counter("connection_failures"),
  timeoutCount: new Counter("timeout_count"),
  totalRequests: new Counter("total_requests"),
  activeConnections: new Gauge("active_connections"),
  concurrentUsers: new Gauge("concurrent_users"),
  authDuration: new Trend("auth_duration", true),
  mcpConnectionDuration: new Trend("mcp_connection_duration", true),
  toolExecutionDuration: new Trend("tool_execution_duration", true),
  disconnectDuration: new Trend("disconnect_duration", true),
  agentBusyTotal: new Counter("agent_busy_total"),
  sseTimeToFirstEvent: new Trend("sse_time_to_first_event", true),
  agentTurnDuration: new Trend("agent_turn_duration", true),
  agentFirstOutput: new Trend("agent_first_output", true),
  agentTurns: new Counter("agent_turns"),
  agentTurnFailures: new Counter("agent_turn_failures"),
  watcherEvents: new Counter("watcher_events"),
  sseDeliveryLag: new Trend("sse_delivery_lag", true),
  sseStreamsDropped: new Counter("sse_streams_dropped"),
};
