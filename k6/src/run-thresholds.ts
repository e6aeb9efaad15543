// The threshold rows one run is judged by, from its configuration: the rows its scenarios can feed, in the form its
// topology calls for (agents of their own or shared: sharing.ts; the PTY or ACP transport: AGENTAPI_TRANSPORT),
// agent-time limits scaled by AGENT_BUDGET_SCALE.
// One function for k6 (main.ts) and the global verdict over InfluxDB (tools/thresholds), so both judge alike.

import type { Config } from "./config";
import type { RampingScenario } from "./profiles";
import { agentSharing, type AgentSharing } from "./sharing";
import { resolveTopology, scaleAgentBudgets, selectThresholds, type ThresholdRow } from "./thresholds";

export interface RunThresholds {
  sharing: AgentSharing;
  rows: ThresholdRow[];
}

export function runThresholds(config: Config, scenarios: Readonly<Record<string, RampingScenario>>): RunThresholds {
  const sharing = agentSharing(scenarios, config.agents);
  const rows = resolveTopology(selectThresholds(config.scenarios, config.agentOnly), {
    sharing,
    transport: config.transport,
  });
  return { sharing, rows: scaleAgentBudgets(rows, config.agentBudgetScale) };
}
