// Journey 4 — list_tools: GET /status → MCP tools/list on the VU's session → GET /messages.

import { getMessages } from "../clients/agentapi";
import { checkMessages } from "../checks";
import { agentStatusStep } from "../flows";
import { loadBrokerSteps } from "../broker-steps-load";
import { beginIteration } from "../lib/iteration";
import { think } from "../lib/think";
import { agentUrl } from "../agent-target";
import { config } from "../run-config";

export function listToolsJourney(): void {
  beginIteration();

  agentStatusStep();

  // (first iteration: log in and open the VU's session)
  if (!config.agentOnly) loadBrokerSteps().listToolsStep();

  checkMessages(getMessages(agentUrl()));

  think(1, 4);
}
