// Every custom metric, constructed once in the init context under the catalog's names (a test checks the two
// agree). Journeys import `metrics`; Node code reads the names from metric-catalog.ts.

import { Counter, Gauge, Rate, Trend } from "k6/metrics";

export { customMetrics } from "./metric-catalog";

/**
 * total_requests, recorded once per iteration and endpoint — the iteration's count for that endpoint as the value —
 * instead of once per request: the dashboard sums it per interval, so its totals are the same, at a point per
 * endpoint an iteration instead of a point per request. add() counts (every call site passes `{ endpoint }`);
 * flush() records, at the end of each iteration (lib/iteration.ts endIteration). setup()'s probes are not counted.
 */
class CountedPerIteration {
  private readonly counter: Counter;
  private readonly counts: Record<string, number> = {};
  private readonly touched: string[] = [];

  constructor(name: string) {
    this.counter = new Counter(name);
  }

  add(value: number, tags: { endpoint: string }): void {
    const endpoint = tags.endpoint;
    const before = this.counts[endpoint];
    if (before === undefined || before === 0) this.touched.push(endpoint);
    this.counts[endpoint] = (before ?? 0) + value;
  }

  flush(): void {
    for (const endpoint of this.touched) {
      this.counter.add(this.counts[endpoint] ?? 0, { endpoint });
      this.counts[endpoint] = 0;
    }
    this.touched.length = 0;
  }
}

const totalRequests = new CountedPerIteration("total_requests");

export const metrics = {
  mcpConnectionSuccessRate: new Rate("mcp_connection_success_rate"),
  toolExecutionSuccessRate: new Rate("tool_execution_success_rate"),
  authSuccessRate: new Rate("auth_success_rate"),
  disconnectSuccessRate: new Rate("disconnect_success_rate"),
  tokenRefreshCount: new Counter("token_refresh_count"),
  connectionFailures: new Counter("connection_failures"),
  timeoutCount: new Counter("timeout_count"),
  totalRequests,
  activeConnections: new Gauge("active_connections"),
  concurrentUsers: new Gauge("concurrent_users"),
  authDuration: new Trend("auth_duration", true),
  mcpConnectionDuration: new Trend("mcp_connection_duration", true),
  toolExecutionDuration: new Trend("tool_execution_duration", true),
  disconnectDuration: new Trend("disconnect_duration", true),
  agentBusyTotal: new Counter("agent_busy_total"),
  idleStatusDuration: new Trend("idle_status_duration", true),
  agentRecoveryTime: new Trend("agent_recovery_time", true),
  agentHistoryLost: new Counter("agent_history_lost"),
  promptsSent: new Counter("prompts_sent"),
  promptsWithheld: new Counter("prompts_withheld"),
  sseTimeToFirstEvent: new Trend("sse_time_to_first_event", true),
  agentTurnDuration: new Trend("agent_turn_duration", true),
  agentFirstOutput: new Trend("agent_first_output", true),
  agentTurns: new Counter("agent_turns"),
  agentTurnFailures: new Counter("agent_turn_failures"),
  watcherEvents: new Counter("watcher_events"),
  sseDeliveryLag: new Trend("sse_delivery_lag", true),
  sseStreamsDropped: new Counter("sse_streams_dropped"),
  /** Records the iteration's total_requests (see CountedPerIteration). */
  flushRequestCounts: (): void => totalRequests.flush(),
};
