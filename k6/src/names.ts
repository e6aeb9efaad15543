// The suite's vocabulary: scenario names, their exported functions, and the `endpoint` tag values.
// Pure data (no k6 imports) so Node code — dashboards, tests — shares the exact same names.

export const SCENARIO_NAMES = [
  "authentication",
  "mcp_connection",
  "tool_execution",
  "list_tools",
  "disconnect",
  "mixed_workload",
  "agent_conversation",
  "event_watchers",
] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

/** The function `main.ts` exports for each scenario (`exec` in `options.scenarios`). */
export const SCENARIO_EXEC: Readonly<Record<ScenarioName, string>> = {
  authentication: "authentication",
  mcp_connection: "mcpConnection",
  tool_execution: "toolExecution",
  list_tools: "listTools",
  disconnect: "disconnect",
  mixed_workload: "mixedWorkload",
  agent_conversation: "agentConversation",
  event_watchers: "eventWatchers",
};

/**
 * Scenarios that still make sense against the AgentAPI surface alone (`AGENT_ONLY=true`): they skip their broker and
 * MCP steps. The others exist only to exercise the broker, so agent-only runs leave them out.
 */
export const AGENT_ONLY_SCENARIOS: ReadonlyArray<ScenarioName> = [
  "tool_execution",
  "list_tools",
  "mixed_workload",
  "agent_conversation",
  "event_watchers",
];

/** Scenarios that prompt the agent (POST /message type user): what a prompt budget (MAX_PROMPTS) is shared between. */
export const PROMPTING_SCENARIOS = ["tool_execution", "mixed_workload", "agent_conversation"] as const;
export type PromptingScenario = (typeof PROMPTING_SCENARIOS)[number];

/**
 * The response header by which the reference target (infra/agentapi-stub) tells itself apart from a real AgentAPI:
 * against anything else the prompting journeys need a budget or a confirmation, since real agents cost money.
 */
export const REFERENCE_TARGET_HEADER = "X-Agentapi-Load-Target";

/** Every value the `endpoint` tag takes; one per API operation, so series stay few and stable. */
export const ENDPOINTS = [
  "status",
  "messages",
  "message",
  "events",
  "upload",
  "auth_token",
  "oauth_init",
  "oauth_authorize",
  "oauth_callback",
  "oauth_refresh",
  "oauth_revoke",
  "mcp_initialize",
  "mcp_initialized",
  "mcp_tools_list",
  "mcp_tools_call",
  "mcp_delete",
] as const;
export type Endpoint = (typeof ENDPOINTS)[number];

/** Endpoints served by the AgentAPI listener; the rest belong to the broker / MCP server. */
export const AGENTAPI_ENDPOINTS: ReadonlyArray<Endpoint> = ["status", "messages", "message", "events", "upload"];

export function isScenarioName(value: string): value is ScenarioName {
  return (SCENARIO_NAMES as ReadonlyArray<string>).includes(value);
}
