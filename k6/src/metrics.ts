// Every custom metric, under the catalog's names (a test checks the two agree). Journeys import `metrics`; Node code
// reads the names from metric-catalog.ts. k6 lets a script declare a metric only at init, and each declared metric
// costs every VU memory for the whole run: VU 0 (options, setup, teardown, the summary, the thresholds) declares them
// all; a VU declares those its run's journeys record (journey-metrics.ts) and holds one shared placeholder for the
// others, whose add() throws — a journey recording into it is a bug in that table, not a sample to lose quietly.

import { Counter, Gauge, Rate, Trend } from "k6/metrics";
import type { CustomMetricName } from "./metric-catalog";
import { journeyMetrics } from "./journey-metrics";
import { config } from "./run-config";

export { customMetrics } from "./metric-catalog";

const declared: readonly CustomMetricName[] | null =
  __VU === 0 ? null : journeyMetrics(config.scenarios, config.agentOnly);

const UNDECLARED = {
  add(): never {
    throw new Error(
      `a metric this VU did not declare for scenarios ${config.scenarios.join(",")}: see k6/src/journey-metrics.ts`,
    );
  },
};

function wanted(name: CustomMetricName): boolean {
  return declared === null || declared.indexOf(name) >= 0;
}

function counter(name: CustomMetricName): Counter {
  return wanted(name) ? new Counter(name) : (UNDECLARED as unknown as Counter);
}

function gauge(name: CustomMetricName): Gauge {
  return wanted(name) ? new Gauge(name) : (UNDECLARED as unknown as Gauge);
}

function rate(name: CustomMetricName): Rate {
  return wanted(name) ? new Rate(name) : (UNDECLARED as unknown as Rate);
}

/** A time trend (milliseconds): every trend the suite records is one. */
function trend(name: CustomMetricName): Trend {
  return wanted(name) ? new Trend(name, true) : (UNDECLARED as unknown as Trend);
}

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

  constructor(name: CustomMetricName) {
    this.counter = counter(name);
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
  mcpConnectionSuccessRate: rate("mcp_connection_success_rate"),
  toolExecutionSuccessRate: rate("tool_execution_success_rate"),
  authSuccessRate: rate("auth_success_rate"),
  disconnectSuccessRate: rate("disconnect_success_rate"),
  tokenRefreshCount: counter("token_refresh_count"),
  connectionFailures: counter("connection_failures"),
  timeoutCount: counter("timeout_count"),
  totalRequests,
  activeConnections: gauge("active_connections"),
  concurrentUsers: gauge("concurrent_users"),
  authDuration: trend("auth_duration"),
  mcpConnectionDuration: trend("mcp_connection_duration"),
  toolExecutionDuration: trend("tool_execution_duration"),
  disconnectDuration: trend("disconnect_duration"),
  agentBusyTotal: counter("agent_busy_total"),
  idleStatusDuration: trend("idle_status_duration"),
  agentRecoveryTime: trend("agent_recovery_time"),
  agentHistoryLost: counter("agent_history_lost"),
  promptsSent: counter("prompts_sent"),
  promptsWithheld: counter("prompts_withheld"),
  sseTimeToFirstEvent: trend("sse_time_to_first_event"),
  agentTurnDuration: trend("agent_turn_duration"),
  agentFirstOutput: trend("agent_first_output"),
  agentTurns: counter("agent_turns"),
  agentTurnFailures: counter("agent_turn_failures"),
  watcherEvents: counter("watcher_events"),
  sseDeliveryLag: trend("sse_delivery_lag"),
  sseStreamsDropped: counter("sse_streams_dropped"),
  /** Records the iteration's total_requests (see CountedPerIteration). */
  flushRequestCounts: (): void => totalRequests.flush(),
};
