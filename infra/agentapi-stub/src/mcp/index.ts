// The MCP server on the broker listener: POST|DELETE /mcp, Streamable HTTP with JSON responses (contract page,
// "MCP server"). The SDK's web-standard transport does the protocol; this module adds bearer auth, session routing
// and ownership, and turns the transport's HTTP-level refusals (JSON-RPC error bodies) into problem+json.
// GET /mcp is 405 (the shared not-found handler answers it): with JSON responses there is no SSE stream to offer,
// which the MCP transport spec allows and the SDK's client accepts.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { AuthInfo } from "@modelcontextprotocol/sdk/server/auth/types.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import { authenticateMcpAccess, type McpAccess } from "../broker/auth";
import type { BrokerContext } from "../broker/context";
import { HttpProblem } from "../problem";
import { McpSessions, type McpSession } from "./sessions";

const SESSION_HEADER = "mcp-session-id";
/** The only request headers the transport reads. */
const FORWARDED_HEADERS = ["accept", "content-type", SESSION_HEADER, "mcp-protocol-version", "host", "origin"];

const headersSchema = {
  type: "object",
  properties: {
    // The MCP spec: a session id is visible ASCII (0x21-0x7E).
    [SESSION_HEADER]: { type: "string", pattern: "^[\\x21-\\x7e]{1,256}$" },
  },
} as const;

/** fastify's request as the web-standard Request the SDK transport takes (the body is passed pre-parsed). */
function toWebRequest(request: FastifyRequest): Request {
  const headers = new Headers();
  for (const name of FORWARDED_HEADERS) {
    const value = request.headers[name];
    if (typeof value === "string") headers.set(name, value);
  }
  return new Request(`http://localhost${request.url}`, { method: request.method, headers });
}

function authInfo(access: McpAccess): AuthInfo {
  return {
    token: access.token,
    clientId: access.configId,
    scopes: [],
    expiresAt: Math.floor(access.expiresAt),
    extra: { userId: access.userId },
  };
}

/** Relay the transport's answer; its refusals become problem+json with the JSON-RPC code kept as `jsonrpc_code`. */
async function relay(reply: FastifyReply, response: Response): Promise<FastifyReply> {
  const body = await response.text();
  if (response.status >= 400) {
    let detail = `the MCP transport refused the request (HTTP ${response.status})`;
    let extra: Record<string, unknown> | undefined;
    try {
      const parsed = JSON.parse(body) as { error?: { code?: unknown; message?: unknown } };
      if (typeof parsed.error?.message === "string") detail = parsed.error.message;
      if (typeof parsed.error?.code === "number") extra = { jsonrpc_code: parsed.error.code };
    } catch {
      // Not JSON: keep the generic detail.
    }
    throw new HttpProblem(status4xx(response.status), detail, extra);
  }
  void reply.code(response.status);
  response.headers.forEach((value, name) => void reply.header(name, value));
  // A string with a JSON Content-Type is sent as is: the SDK has already serialised it.
  return reply.send(body === "" ? undefined : body);
}

/** The transport answers 5xx only for event replay, which is not configured; never pass a 5xx through as ours. */
function status4xx(status: number): number {
  return status < 500 ? status : 400;
}

function unknownSession(): HttpProblem {
  return new HttpProblem(404, "unknown MCP session (it ended, expired or was never created); send initialize again");
}

export function registerMcp(app: FastifyInstance, { settings, store, log }: BrokerContext): Promise<void> {
  const sessions = new McpSessions({
    cap: settings.store.caps.mcpSessions,
    idleMs: settings.mcpSessionIdleMs,
    sweepIntervalMs: settings.store.sweepIntervalMs,
    toolLatencyScale: settings.toolLatencyScale,
    store,
    log,
  });
  app.addHook("onClose", () => sessions.closeAll());

  const accessByRequest = new WeakMap<FastifyRequest, McpAccess>();
  const accessOf = (request: FastifyRequest): McpAccess => {
    const access = accessByRequest.get(request);
    // Unreachable: both routes authenticate in onRequest.
    if (access === undefined) throw new Error("route is missing the MCP authentication hook");
    return access;
  };
  const onRequest = async (request: FastifyRequest): Promise<void> => {
    accessByRequest.set(request, await authenticateMcpAccess(request.headers.authorization, settings, store));
  };

  const handle = (session: McpSession, request: FastifyRequest): Promise<Response> =>
    session.transport.handleRequest(toWebRequest(request), {
      parsedBody: request.body,
      authInfo: authInfo(accessOf(request)),
    });

  const existingSession = async (request: FastifyRequest): Promise<McpSession> => {
    const sessionId = request.headers[SESSION_HEADER];
    if (typeof sessionId !== "string") {
      throw new HttpProblem(400, "the Mcp-Session-Id header is required; start with an initialize request");
    }
    const session = await sessions.find(sessionId, accessOf(request));
    if (session === undefined) throw unknownSession();
    return session;
  };

  // No body schema: the SDK validates each JSON-RPC message (its refusals become problem+json), and a schema would
  // answer a text/plain body with 400 before the SDK could say 415.
  app.post("/mcp", { schema: { headers: headersSchema }, onRequest }, async (request, reply) => {
    // The SDK would answer an empty batch 202 as "no requests"; JSON-RPC 2.0 §6 calls it an invalid request.
    if (Array.isArray(request.body) && request.body.length === 0) {
      throw new HttpProblem(400, "an empty JSON-RPC batch is not a valid request", { jsonrpc_code: -32600 });
    }
    if (request.headers[SESSION_HEADER] !== undefined || !isInitializeRequest(request.body)) {
      const session = await existingSession(request);
      // A JSON response waits for the tool; if the session ends meanwhile, answer 404 instead of hanging.
      const response = await session.unlessEnded(handle(session, request));
      if (response === undefined) throw unknownSession();
      return relay(reply, response);
    }
    const session = await sessions.open(accessOf(request));
    const response = await handle(session, request);
    // Refused before the SDK accepted the initialize (Accept, Content-Type, version): nothing to keep.
    if (session.transport.sessionId === undefined) await session.close();
    return relay(reply, response);
  });

  // The transport answers a DELETE at once and closes the session itself.
  app.delete("/mcp", { schema: { headers: headersSchema }, onRequest }, async (request, reply) =>
    relay(reply, await handle(await existingSession(request), request)),
  );

  return Promise.resolve();
}
