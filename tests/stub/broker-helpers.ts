// Client-side steps of the broker's OAuth flow and of plain-JSON MCP calls, shared by the broker, MCP and store tests.
import { createHash, randomBytes } from "node:crypto";
import { expect } from "vitest";

export interface HttpResult<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

/** The result of a full init → authorize → callback flow. */
export interface McpGrant {
  configId: string;
  accessToken: string;
  refreshToken: string;
}

export const MCP_ACCEPT = "application/json, text/event-stream";

/** vitest's `expect.any(String)` typed as unknown (it is `any`), for use inside toEqual shapes. */
export const ANY_STRING: unknown = expect.any(String);

async function parse<T>(response: Response): Promise<HttpResult<T>> {
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text === "" ? {} : JSON.parse(text)) as T };
}

export async function postJson<T = Record<string, unknown>>(
  baseUrl: string,
  path: string,
  body: unknown,
  options: { token?: string; headers?: Record<string, string> } = {},
): Promise<HttpResult<T>> {
  const headers: Record<string, string> = { "content-type": "application/json", ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  return parse<T>(await fetch(`${baseUrl}${path}`, { method: "POST", headers, body: JSON.stringify(body) }));
}

export async function getUserToken(brokerUrl: string, userId: string): Promise<string> {
  const response = await postJson<{ access_token: string }>(brokerUrl, "/api/auth/token", { user_id: userId });
  expect(response.status).toBe(200);
  return response.body.access_token;
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

export function initBody(challenge: string, redirectUri = "http://127.0.0.1:9/callback"): Record<string, string> {
  return {
    mcp_name: "filesystem",
    provider: "github",
    redirect_uri: redirectUri,
    code_challenge: challenge,
    code_challenge_method: "S256",
  };
}

export async function initOAuth(
  brokerUrl: string,
  userToken: string,
): Promise<{ configId: string; state: string; authorizationUrl: string; verifier: string }> {
  const { verifier, challenge } = pkcePair();
  const init = await postJson<{ mcp_config_id: string; state: string; authorization_url: string }>(
    brokerUrl,
    "/api/mcp/oauth/init",
    initBody(challenge),
    { token: userToken },
  );
  expect(init.status).toBe(200);
  return {
    configId: init.body.mcp_config_id,
    state: init.body.state,
    authorizationUrl: init.body.authorization_url,
    verifier,
  };
}

/** GET the authorization URL without following the redirect. */
export function authorize(url: string, userToken: string): Promise<Response> {
  return fetch(url, { headers: { authorization: `Bearer ${userToken}` }, redirect: "manual" });
}

/** Authorize and read code and state from the redirect. */
export async function authorizeCode(url: string, userToken: string): Promise<{ code: string; state: string }> {
  const response = await authorize(url, userToken);
  expect(response.status).toBe(302);
  const location = new URL(response.headers.get("location") ?? "");
  return { code: location.searchParams.get("code") ?? "", state: location.searchParams.get("state") ?? "" };
}

/** The whole flow for one user: init, consent, callback with the right verifier. */
export async function grantMcpAccess(brokerUrl: string, userToken: string): Promise<McpGrant> {
  const init = await initOAuth(brokerUrl, userToken);
  const { code, state } = await authorizeCode(init.authorizationUrl, userToken);
  const callback = await postJson<{ mcp_config_id: string; access_token: string; refresh_token: string }>(
    brokerUrl,
    "/api/mcp/oauth/callback",
    { state, code, code_verifier: init.verifier },
    { token: userToken },
  );
  expect(callback.status).toBe(200);
  return {
    configId: callback.body.mcp_config_id,
    accessToken: callback.body.access_token,
    refreshToken: callback.body.refresh_token,
  };
}

export function initializeRequest(id: number | string = 1): Record<string, unknown> {
  return {
    jsonrpc: "2.0",
    id,
    method: "initialize",
    params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "broker-tests", version: "1.0.0" } },
  };
}

/** POST one JSON-RPC message to /mcp the way a plain HTTP client (k6) does. */
export function mcpPost(
  brokerUrl: string,
  accessToken: string,
  message: unknown,
  sessionId?: string,
): Promise<HttpResult> {
  const headers: Record<string, string> = { accept: MCP_ACCEPT };
  if (sessionId !== undefined) headers["mcp-session-id"] = sessionId;
  return postJson(brokerUrl, "/mcp", message, { token: accessToken, headers });
}

/** initialize + notifications/initialized; returns the session id. */
export async function openMcpSession(brokerUrl: string, accessToken: string): Promise<string> {
  const init = await mcpPost(brokerUrl, accessToken, initializeRequest());
  expect(init.status).toBe(200);
  const sessionId = init.headers.get("mcp-session-id");
  expect(sessionId).toBeTruthy();
  const initialized = await mcpPost(
    brokerUrl,
    accessToken,
    { jsonrpc: "2.0", method: "notifications/initialized" },
    sessionId ?? "",
  );
  expect(initialized.status).toBe(202);
  return sessionId ?? "";
}

export function deleteMcpSession(brokerUrl: string, accessToken: string, sessionId: string): Promise<Response> {
  return fetch(`${brokerUrl}/mcp`, {
    method: "DELETE",
    headers: { authorization: `Bearer ${accessToken}`, "mcp-session-id": sessionId },
  });
}

/** A problem+json answer with the given status. */
export function expectProblem(result: HttpResult, status: number, detail?: RegExp): void {
  expect(result.status).toBe(status);
  expect(result.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  expect(result.body).toMatchObject({ status, type: ANY_STRING, title: ANY_STRING });
  expect(typeof result.body.detail).toBe("string");
  if (detail !== undefined) expect(result.body.detail).toMatch(detail);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
