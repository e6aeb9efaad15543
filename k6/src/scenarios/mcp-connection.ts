// Journey 2 — mcp_connection: log in → MCP initialize → notifications/initialized → tools/list. The VU keeps
// its session (and config) until its next iteration, which first ends them — DELETE the session, revoke the
// config — so each VU holds at most one connection on the server.

import { deleteSession } from "../clients/mcp";
import { checkDeleteSession } from "../checks";
import { connectMcp, logIn, revokeOwnConfig } from "../flows";
import { beginIteration } from "../lib/iteration";
import { think } from "../lib/think";
import { config } from "../run-config";
import { setSession, vu } from "../vu-state";

export function mcpConnection(): void {
  beginIteration();

  const previous = vu.session;
  if (previous !== null) {
    checkDeleteSession(deleteSession(config.mcpUrl, previous));
    setSession(null);
  }
  if (vu.config !== null) revokeOwnConfig();

  // user token → oauth init → authorize → callback
  const tokens = logIn();

  // mcp initialize → mcp initialized → mcp tools/list
  if (tokens !== null) connectMcp(tokens);

  think(2, 6);
}
