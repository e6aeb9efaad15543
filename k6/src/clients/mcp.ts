// Client for the MCP server over Streamable HTTP (JSON-RPC 2.0): initialize, notifications/initialized,
// tools/list, tools/call, and DELETE to end the session. Plain HTTP: the server answers JSON (or, if it
// chooses, a short SSE stream, which is unwrapped here).

import { send, type Reply } from "./http";
import type { Endpoint } from "../names";
import {
  isInitializeResult,
  isJsonRpcSuccess,
  isToolCallResult,
  isToolsListResult,
  type InitializeResult,
  type Json,
  type ToolCallResult,
  type ToolInfo,
} from "../lib/guards";

/** The protocol revision the suite speaks (supported by @modelcontextprotocol/sdk servers since 1.13). */
export const MCP_PROTOCOL_VERSION = "2025-06-18";
const CLIENT_INFO = { name: "agentapi-load-k6", version: "1.0.0" };

export interface McpSession {
  sessionId: string;
  protocolVersion: string;
  accessToken: string;
}

let nextId = 1;

function headersFor(session: McpSession | null): Record<string, string> {
  const headers: Record<string, string> = { Accept: "application/json, text/event-stream" };
  if (session) {
    headers["Mcp-Session-Id"] = session.sessionId;
    headers["MCP-Protocol-Version"] = session.protocolVersion;
  }
  return headers;
}

/** The JSON-RPC message in a reply: the JSON body, or the first `data:` line of an SSE body. */
function rpcMessage(reply: Reply): Json {
  if (reply.json !== undefined) return reply.json;
  const type = reply.header("Content-Type") ?? "";
  const body = reply.res.body;
  if (!/text\/event-stream/i.test(type) || typeof body !== "string") return undefined;
  for (const line of body.split("\n")) {
    if (line.startsWith("data:")) {
      try {
        return JSON.parse(line.slice(5).trim()) as Json;
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

function post(
  mcpUrl: string,
  accessToken: string,
  session: McpSession | null,
  payload: Record<string, unknown>,
  endpoint: Endpoint,
  alsoExpected?: ReadonlyArray<number>,
): Reply {
  return send("POST", mcpUrl, payload, { endpoint, bearer: accessToken, headers: headersFor(session), alsoExpected });
}

export interface InitializeReply {
  reply: Reply;
  session: McpSession | null;
  result: InitializeResult | null;
  /** `WWW-Authenticate` on a 401 (the refusal of a missing/revoked/expired token). */
  wwwAuthenticate: string | undefined;
}

export function initialize(mcpUrl: string, accessToken: string, alsoExpected?: ReadonlyArray<number>): InitializeReply {
  const reply = post(
    mcpUrl,
    accessToken,
    null,
    {
      jsonrpc: "2.0",
      id: nextId++,
      method: "initialize",
      params: { protocolVersion: MCP_PROTOCOL_VERSION, capabilities: {}, clientInfo: CLIENT_INFO },
    },
    "mcp_initialize",
    alsoExpected,
  );
  const message = rpcMessage(reply);
  const result =
    reply.status === 200 && isJsonRpcSuccess(message) && isInitializeResult(message.result) ? message.result : null;
  const sessionId = reply.header("Mcp-Session-Id");
  const session = result && sessionId ? { sessionId, protocolVersion: result.protocolVersion, accessToken } : null;
  return { reply, session, result, wwwAuthenticate: reply.header("WWW-Authenticate") };
}

export interface NotifyReply {
  reply: Reply;
  accepted: boolean;
}

export function notifyInitialized(mcpUrl: string, session: McpSession): NotifyReply {
  const reply = post(
    mcpUrl,
    session.accessToken,
    session,
    { jsonrpc: "2.0", method: "notifications/initialized" },
    "mcp_initialized",
  );
  return { reply, accepted: reply.status === 202 };
}

export interface ToolsListReply {
  reply: Reply;
  tools: ToolInfo[] | null;
}

export function listTools(mcpUrl: string, session: McpSession): ToolsListReply {
  const reply = post(
    mcpUrl,
    session.accessToken,
    session,
    { jsonrpc: "2.0", id: nextId++, method: "tools/list", params: {} },
    "mcp_tools_list",
  );
  const message = rpcMessage(reply);
  return {
    reply,
    tools:
      reply.status === 200 && isJsonRpcSuccess(message) && isToolsListResult(message.result)
        ? message.result.tools
        : null,
  };
}

export interface ToolCallReply {
  reply: Reply;
  result: ToolCallResult | null;
}

export function callTool(
  mcpUrl: string,
  session: McpSession,
  name: string,
  args: Record<string, unknown>,
): ToolCallReply {
  const reply = post(
    mcpUrl,
    session.accessToken,
    session,
    { jsonrpc: "2.0", id: nextId++, method: "tools/call", params: { name, arguments: args } },
    "mcp_tools_call",
  );
  const message = rpcMessage(reply);
  return {
    reply,
    result:
      reply.status === 200 && isJsonRpcSuccess(message) && isToolCallResult(message.result) ? message.result : null,
  };
}

export interface DeleteReply {
  reply: Reply;
  ended: boolean;
}

export function deleteSession(mcpUrl: string, session: McpSession): DeleteReply {
  const reply = send("DELETE", mcpUrl, undefined, {
    endpoint: "mcp_delete",
    bearer: session.accessToken,
    headers: headersFor(session),
  });
  return { reply, ended: reply.status === 200 || reply.status === 204 };
}
