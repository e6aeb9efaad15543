// Journey 4 — list_tools: GET /status → MCP tools/list on the VU's session → GET /messages.

import { getMessages } from "../clients/agentapi";
import { listTools } from "../clients/mcp";
import { checkMessages, checkToolsList } from "../checks";
import { agentStatusStep, ensureSession, forgetSessionIfGone } from "../flows";
import { beginIteration } from "../lib/iteration";
import { think } from "../lib/think";
import { agentUrl } from "../agent-target";
import { config } from "../run-config";

export function listToolsJourney(): void {
  beginIteration();

  agentStatusStep();

  if (!config.agentOnly) {
    // (first iteration: log in and open the VU's session)
    const session = ensureSession();
    if (session !== null) {
      const r = listTools(config.mcpUrl, session);
      checkToolsList(r);
      forgetSessionIfGone(r.reply.status);
    }
  }

  checkMessages(getMessages(agentUrl()));

  think(1, 4);
}
