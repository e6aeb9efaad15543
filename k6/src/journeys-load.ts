// Where journey-run.ts gets the journeys. In the k6 bundles and the harness, k6/lazy-modules.mjs replaces this
// module with one that builds each journey (its scenario module and the clients, checks and flows only journeys
// use) on the journey's first call in a VU, and keeps it: a VU builds only the journeys it runs, and reads the
// modules it has once (configuration, metrics, VU state…) from its top level. As written here it imports every
// journey eagerly.

import type { ScenarioName } from "./names";
import { authentication } from "./scenarios/authentication";
import { mcpConnection } from "./scenarios/mcp-connection";
import { toolExecution } from "./scenarios/tool-execution";
import { listToolsJourney } from "./scenarios/list-tools";
import { disconnect } from "./scenarios/disconnect";
import { mixedWorkload } from "./scenarios/mixed-workload";
import { agentConversation } from "./scenarios/agent-conversation";
import { eventWatchers } from "./scenarios/event-watchers";

const JOURNEYS: Readonly<Record<ScenarioName, () => void>> = {
  authentication,
  mcp_connection: mcpConnection,
  tool_execution: toolExecution,
  list_tools: listToolsJourney,
  disconnect,
  mixed_workload: mixedWorkload,
  agent_conversation: agentConversation,
  event_watchers: eventWatchers,
};

export function loadJourney(name: ScenarioName): () => void {
  return JOURNEYS[name];
}
