// Runtime shapes of every response body the suite reads. Each response is parsed once (clients/http.ts),
// narrowed here, and only then checked — no `any` poking into JSON.

export type Json = unknown;
type Obj = Record<string, unknown>;

export function isObject(v: Json): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
function isString(v: unknown): v is string {
  return typeof v === "string";
}
function isNonEmptyString(v: unknown): v is string {
  return typeof v === "string" && v.length > 0;
}
function isNumber(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v);
}

// --- AgentAPI (upstream shapes) ---

export type AgentStatus = "running" | "stable";

export interface StatusBody {
  status: AgentStatus;
  agent_type: string;
  transport: string;
}
export function isStatusBody(v: Json): v is StatusBody {
  return (
    isObject(v) &&
    (v.status === "running" || v.status === "stable") &&
    isNonEmptyString(v.agent_type) &&
    isString(v.transport)
  );
}

export interface AgentMessage {
  id: number;
  content: string;
  role: "user" | "agent";
  time: string;
}
export function isAgentMessage(v: unknown): v is AgentMessage {
  return (
    isObject(v) &&
    isNumber(v.id) &&
    isString(v.content) &&
    (v.role === "user" || v.role === "agent") &&
    isString(v.time)
  );
}

export interface MessagesBody {
  messages: AgentMessage[];
}
export function isMessagesBody(v: Json): v is MessagesBody {
  return isObject(v) && Array.isArray(v.messages) && v.messages.every(isAgentMessage);
}

export interface OkBody {
  ok: boolean;
}
export function isOkBody(v: Json): v is OkBody {
  return isObject(v) && typeof v.ok === "boolean";
}

/** problem+json; upstream (huma) puts a handler error's reason in `errors[].message`, not in `detail`. */
export interface ProblemBody {
  title?: string;
  status?: number;
  detail?: string;
  errors?: Array<{ message?: string; location?: string }>;
}
export function isProblemBody(v: Json): v is ProblemBody {
  return (
    isObject(v) &&
    (isString(v.detail) || isString(v.title)) &&
    (v.errors === undefined || v.errors === null || (Array.isArray(v.errors) && v.errors.every(isObject)))
  );
}

/** Every human-readable reason in a problem body: its detail and each listed error's message. */
export function problemReasons(p: ProblemBody): string[] {
  const reasons: string[] = [];
  if (p.detail !== undefined) reasons.push(p.detail);
  for (const e of p.errors ?? []) if (typeof e.message === "string") reasons.push(e.message);
  return reasons;
}

/** SSE `message_update` data (upstream MessageUpdateBody). */
export interface MessageUpdate {
  id: number;
  message: string;
  role: "user" | "agent";
  time: string;
}
export function isMessageUpdate(v: Json): v is MessageUpdate {
  return (
    isObject(v) &&
    isNumber(v.id) &&
    isString(v.message) &&
    (v.role === "user" || v.role === "agent") &&
    isString(v.time)
  );
}

/** SSE `status_change` data (upstream StatusChangeBody). */
export interface StatusChange {
  status: AgentStatus;
  agent_type: string;
}
export function isStatusChange(v: Json): v is StatusChange {
  return isObject(v) && (v.status === "running" || v.status === "stable") && isString(v.agent_type);
}

// --- Broker ---

export interface UserTokenBody {
  access_token: string;
  token_type: string;
  expires_in: number;
}
export function isUserTokenBody(v: Json): v is UserTokenBody {
  return isObject(v) && isNonEmptyString(v.access_token) && isString(v.token_type) && isNumber(v.expires_in);
}

export interface OAuthInitBody {
  mcp_config_id: string;
  state: string;
  authorization_url: string;
  expires_in: number;
}
export function isOAuthInitBody(v: Json): v is OAuthInitBody {
  return (
    isObject(v) &&
    isNonEmptyString(v.mcp_config_id) &&
    isNonEmptyString(v.state) &&
    isNonEmptyString(v.authorization_url) &&
    isNumber(v.expires_in)
  );
}

export interface TokenPairBody {
  mcp_config_id: string;
  access_token: string;
  refresh_token: string;
  token_type: string;
  expires_in: number;
}
export function isTokenPairBody(v: Json): v is TokenPairBody {
  return (
    isObject(v) &&
    isNonEmptyString(v.access_token) &&
    isNonEmptyString(v.refresh_token) &&
    isString(v.token_type) &&
    isNumber(v.expires_in) &&
    (v.mcp_config_id === undefined || isNonEmptyString(v.mcp_config_id))
  );
}

export interface RevokeBody {
  revoked: boolean;
}
export function isRevokeBody(v: Json): v is RevokeBody {
  return isObject(v) && typeof v.revoked === "boolean";
}

// --- MCP (JSON-RPC 2.0) ---

export interface JsonRpcSuccess {
  jsonrpc: "2.0";
  id: number | string;
  result: Obj;
}
export function isJsonRpcSuccess(v: Json): v is JsonRpcSuccess {
  return isObject(v) && v.jsonrpc === "2.0" && (isNumber(v.id) || isString(v.id)) && isObject(v.result);
}

export interface InitializeResult {
  protocolVersion: string;
  serverInfo: { name: string; version: string };
  capabilities: Obj;
}
export function isInitializeResult(v: Json): v is InitializeResult {
  return (
    isObject(v) &&
    isNonEmptyString(v.protocolVersion) &&
    isObject(v.capabilities) &&
    isObject(v.serverInfo) &&
    isString(v.serverInfo.name)
  );
}

export interface ToolInfo {
  name: string;
  description?: string;
  inputSchema: Obj;
}
export interface ToolsListResult {
  tools: ToolInfo[];
}
export function isToolsListResult(v: Json): v is ToolsListResult {
  return (
    isObject(v) &&
    Array.isArray(v.tools) &&
    v.tools.every((t: unknown) => isObject(t) && isNonEmptyString(t.name) && isObject(t.inputSchema))
  );
}

export interface TextContent {
  type: "text";
  text: string;
}
export interface ToolCallResult {
  content: Array<TextContent | { type: string }>;
  isError?: boolean;
}
export function isToolCallResult(v: Json): v is ToolCallResult {
  return (
    isObject(v) &&
    Array.isArray(v.content) &&
    v.content.every((c: unknown) => isObject(c) && isString(c.type)) &&
    (v.isError === undefined || typeof v.isError === "boolean")
  );
}
export function firstText(result: ToolCallResult): string | null {
  for (const c of result.content) {
    if (c.type === "text" && "text" in c && typeof c.text === "string") return c.text;
  }
  return null;
}
