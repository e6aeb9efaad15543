// The broker and MCP steps of the journeys that also run against the AgentAPI surface alone (list_tools,
// tool_execution, mixed_workload). They live apart from those journeys and are built on a VU's first broker step
// (broker-steps-load.ts): an agent-only run (AGENT_ONLY=true) — how the suite runs against real AgentAPI servers —
// never builds them, and each VU is spared their clients, flows and checks (≈ 40 functions).

import { group } from "k6";
import { oauthInit, PROVIDERS } from "./clients/broker";
import { callTool, listTools } from "./clients/mcp";
import { checkOAuthInit, checkToolCall, checkToolsList } from "./checks";
import { ensureSession, ensureUserToken, forgetSessionIfGone, refreshOwnConfig } from "./flows";
import { createPkce } from "./lib/pkce";
import { iteration } from "./lib/iteration";
import { metrics } from "./metrics";
import { config } from "./run-config";

/** list_tools: MCP tools/list on the VU's session (first iteration: log in and open it). */
export function listToolsStep(): void {
  const session = ensureSession();
  if (session === null) return;
  const r = listTools(config.mcpUrl, session);
  checkToolsList(r);
  forgetSessionIfGone(r.reply.status);
}

/** tool_execution: MCP tools/call of one of the seed's tasks on the VU's session. */
export function toolCallStep(tool: string, args: Record<string, unknown>): void {
  const session = ensureSession();
  if (session === null) return;
  group("mcp tools/call", () => {
    const started = Date.now();
    const r = callTool(config.mcpUrl, session, tool, args);
    const ok = checkToolCall(r);
    metrics.toolExecutionSuccessRate.add(ok);
    if (ok) metrics.toolExecutionDuration.add(Date.now() - started);
    forgetSessionIfGone(r.reply.status);
  });
}

/** mixed_workload "oauth init": POST /oauth/init for one of the providers, with the VU's user token. */
export function oauthInitStep(): void {
  const userToken = ensureUserToken();
  if (userToken === null) return;
  group("oauth init", () => {
    const provider = PROVIDERS[iteration() % PROVIDERS.length] ?? "github";
    checkOAuthInit(
      oauthInit(config.oauthBaseUrl, userToken, {
        mcpName: `k6-${provider}`,
        provider,
        codeChallenge: createPkce().challenge,
      }),
    );
  });
}

/** mixed_workload "refresh": the VU's own config (first time: log in to get one). */
export { refreshOwnConfig };
