// Which custom metrics each journey records: a VU declares only those of its run's journeys (metrics.ts). k6 lets a
// script declare a metric only at init, and each declared metric costs every VU ≈ 1.3 KiB for the whole run (k6
// v1.8.1: a wrapped constructor and add function per metric object; k6/README.md "What a VU costs"). Pure data (no
// k6 imports): tests/k6/journey-metrics.test.ts derives each journey's list from the modules it reaches, and runs each
// journey alone to see it records nothing it did not declare.

import type { CustomMetricName } from "./metric-catalog";
import type { ScenarioName } from "./names";

/**
 * What a run of these journeys records: the custom metrics its VUs declare. Plain arrays and indexed loops: this runs
 * at every VU's init, where a Set or a for…of would make the VU build those built-ins for nothing (k6/README.md "What
 * a VU costs").
 */
export function journeyMetrics(scenarios: readonly ScenarioName[], agentOnly: boolean): CustomMetricName[] {
  // Recorded by the modules every journey reaches: HTTP client, iteration, agent status and health, agent client.
  const names: CustomMetricName[] = [
    "total_requests",
    "connection_failures",
    "timeout_count",
    "concurrent_users",
    "idle_status_duration",
    "agent_history_lost",
    "agent_recovery_time",
    "prompts_sent",
  ];
  const add = (more: readonly CustomMetricName[]): void => {
    for (let i = 0; i < more.length; i++) {
      const name = more[i] as CustomMetricName;
      if (names.indexOf(name) < 0) names.push(name);
    }
  };
  for (let i = 0; i < scenarios.length; i++) {
    const scenario = scenarios[i] as ScenarioName;
    add(ownMetrics(scenario));
    // The broker and MCP steps, which an agent-only run (AGENT_ONLY=true) skips; event_watchers has none.
    if (!agentOnly && scenario !== "event_watchers") add(BROKER_STEPS);
  }
  return names;
}

const BROKER_STEPS: readonly CustomMetricName[] = [
  "auth_duration",
  "auth_success_rate",
  "mcp_connection_duration",
  "mcp_connection_success_rate",
  "token_refresh_count",
  "active_connections",
];

/** What the journey records beyond what every journey does and the broker steps. */
function ownMetrics(scenario: ScenarioName): readonly CustomMetricName[] {
  switch (scenario) {
    case "authentication":
    case "mcp_connection":
    case "list_tools":
      return [];
    case "tool_execution":
      return ["agent_busy_total", "prompts_withheld", "tool_execution_duration", "tool_execution_success_rate"];
    case "disconnect":
      return ["disconnect_duration", "disconnect_success_rate"];
    case "mixed_workload":
      return ["agent_busy_total", "prompts_withheld", "sse_time_to_first_event"];
    case "agent_conversation":
      return [
        "agent_busy_total",
        "agent_first_output",
        "agent_turn_duration",
        "agent_turn_failures",
        "agent_turns",
        "prompts_withheld",
        "sse_time_to_first_event",
      ];
    case "event_watchers":
      return ["sse_delivery_lag", "sse_streams_dropped", "sse_time_to_first_event", "watcher_events"];
  }
}
