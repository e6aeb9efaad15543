// The MCP server on the broker listener, driven by the SDK's own client and by plain JSON POSTs (as k6 does).
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadBrokerSettings } from "../../infra/agentapi-stub/src/broker/settings";
import { TOOL_NAMES } from "../../infra/agentapi-stub/src/mcp/tools";
import { startStub, type RunningStub } from "../../infra/agentapi-stub/src/stub";
import {
  MCP_ACCEPT,
  deleteMcpSession,
  expectProblem,
  getUserToken,
  grantMcpAccess,
  initializeRequest,
  mcpPost,
  openMcpSession,
  postJson,
  type McpGrant,
} from "./broker-helpers";

let stub: RunningStub;
let broker: string;
let grant: McpGrant;
let otherGrant: McpGrant;

beforeAll(async () => {
  stub = await startStub({
    agentApiPort: 0,
    brokerPort: 0,
    broker: loadBrokerSettings({ STUB_MCP_TOOL_LATENCY_SCALE: "0" }),
  });
  broker = stub.brokerUrl;
  grant = await grantMcpAccess(broker, await getUserToken(broker, "alice"));
  otherGrant = await grantMcpAccess(broker, await getUserToken(broker, "bob"));
});
afterAll(() => stub.close());

function textOf(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content ?? [];
  return content.map((item) => item.text ?? "").join("");
}

describe("through the SDK's own client", () => {
  it("initializes, lists and calls every tool, and ends the session with DELETE", async () => {
    const transport = new StreamableHTTPClientTransport(new URL(`${broker}/mcp`), {
      requestInit: { headers: { Authorization: `Bearer ${grant.accessToken}` } },
    });
    const client = new Client({ name: "mcp-tests", version: "1.0.0" });
    await client.connect(transport);
    const sessionId = transport.sessionId;
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(client.getServerVersion()).toMatchObject({ name: "agentapi-stub-mcp" });

    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual([...TOOL_NAMES].sort());

    expect(textOf(await client.callTool({ name: "echo", arguments: { text: "hello mcp" } }))).toBe("hello mcp");
    expect(textOf(await client.callTool({ name: "node_version", arguments: {} }))).toBe(process.version);
    expect(textOf(await client.callTool({ name: "list_files", arguments: { path: "src" } }))).toContain("index.ts");
    expect(textOf(await client.callTool({ name: "git_status", arguments: {} }))).toContain("On branch main");
    expect(textOf(await client.callTool({ name: "system_info", arguments: {} }))).toMatch(/^platform: /);
    expect(textOf(await client.callTool({ name: "run_tests", arguments: { pattern: "server" } }))).toContain(
      "6 passed",
    );

    const missing = await client.callTool({ name: "list_files", arguments: { path: "nope" } });
    expect(missing.isError).toBe(true);
    const invalid = await client.callTool({ name: "echo", arguments: {} });
    expect(invalid.isError).toBe(true);
    expect(textOf(invalid)).toMatch(/text/);

    await transport.terminateSession();
    expect(transport.sessionId).toBeUndefined();
    const after = await mcpPost(broker, grant.accessToken, { jsonrpc: "2.0", id: 9, method: "tools/list" }, sessionId);
    expectProblem(after, 404);
    await client.close();
  });

  it("surfaces 401 to the client when the token is wrong", async () => {
    const transport = new StreamableHTTPClientTransport(new URL(`${broker}/mcp`), {
      requestInit: { headers: { Authorization: "Bearer nope" } },
    });
    const client = new Client({ name: "mcp-tests", version: "1.0.0" });
    await expect(client.connect(transport)).rejects.toThrow(/401/);
  });
});

describe("through plain JSON POSTs", () => {
  it("runs initialize → initialized → tools/list → tools/call → DELETE", async () => {
    const init = await mcpPost(broker, grant.accessToken, initializeRequest());
    expect(init.status).toBe(200);
    expect(init.headers.get("content-type")).toMatch(/^application\/json/);
    expect(init.body).toMatchObject({
      jsonrpc: "2.0",
      id: 1,
      result: { serverInfo: { name: "agentapi-stub-mcp" }, capabilities: { tools: {} } },
    });
    const sessionId = init.headers.get("mcp-session-id") ?? "";
    expect(sessionId).not.toBe("");

    const initialized = await mcpPost(
      broker,
      grant.accessToken,
      { jsonrpc: "2.0", method: "notifications/initialized" },
      sessionId,
    );
    expect(initialized.status).toBe(202);

    const list = await mcpPost(broker, grant.accessToken, { jsonrpc: "2.0", id: 2, method: "tools/list" }, sessionId);
    expect(list.status).toBe(200);
    const tools = (list.body.result as { tools: { name: string; inputSchema: unknown }[] }).tools;
    expect(tools.map((tool) => tool.name).sort()).toEqual([...TOOL_NAMES].sort());
    expect(tools.find((tool) => tool.name === "echo")?.inputSchema).toMatchObject({ required: ["text"] });

    const call = await mcpPost(
      broker,
      grant.accessToken,
      { jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "echo", arguments: { text: "ping" } } },
      sessionId,
    );
    expect(call.status).toBe(200);
    expect(call.body).toEqual({ jsonrpc: "2.0", id: 3, result: { content: [{ type: "text", text: "ping" }] } });

    expect((await deleteMcpSession(broker, grant.accessToken, sessionId)).status).toBe(200);
    const again = await deleteMcpSession(broker, grant.accessToken, sessionId);
    expect(again.status).toBe(404);
    expect(again.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  });

  it("answers an unknown tool with a JSON-RPC error, not an HTTP error", async () => {
    const sessionId = await openMcpSession(broker, grant.accessToken);
    const call = await mcpPost(
      broker,
      grant.accessToken,
      { jsonrpc: "2.0", id: 4, method: "tools/call", params: { name: "rm_rf", arguments: {} } },
      sessionId,
    );
    expect(call.status).toBe(200);
    expect(JSON.stringify(call.body)).toMatch(/rm_rf/);
    await deleteMcpSession(broker, grant.accessToken, sessionId);
  });

  it("requires the bearer access token: 401 + WWW-Authenticate", async () => {
    const response = await postJson(broker, "/mcp", initializeRequest(), { headers: { accept: MCP_ACCEPT } });
    expectProblem(response, 401);
    expect(response.headers.get("www-authenticate")).toBe('Bearer realm="agentapi-stub"');
  });

  it("hides a session from another config's token (404) and refuses unknown sessions (404)", async () => {
    const sessionId = await openMcpSession(broker, grant.accessToken);
    const list = { jsonrpc: "2.0", id: 5, method: "tools/list" };
    expectProblem(await mcpPost(broker, otherGrant.accessToken, list, sessionId), 404);
    expectProblem(await mcpPost(broker, grant.accessToken, list, "no-such-session"), 404, /unknown MCP session/);
    expect((await deleteMcpSession(broker, otherGrant.accessToken, sessionId)).status).toBe(404);
    expect((await mcpPost(broker, grant.accessToken, list, sessionId)).status).toBe(200);
    await deleteMcpSession(broker, grant.accessToken, sessionId);
  });

  it("turns protocol refusals into problem+json and never a 5xx", async () => {
    const token = grant.accessToken;
    const sessionId = await openMcpSession(broker, token);
    const list = { jsonrpc: "2.0", id: 6, method: "tools/list" };

    expectProblem(await mcpPost(broker, token, list), 400, /Mcp-Session-Id/);
    expectProblem(await mcpPost(broker, token, { hello: "world" }, sessionId), 400, /JSON-RPC/);
    expectProblem(await mcpPost(broker, token, [], sessionId), 400);
    expectProblem(await mcpPost(broker, token, initializeRequest(), sessionId), 400, /already initialized/);
    expectProblem(
      await postJson(broker, "/mcp", list, {
        token,
        headers: { accept: "application/json", "mcp-session-id": sessionId },
      }),
      406,
    );
    expectProblem(
      await postJson(broker, "/mcp", list, {
        token,
        headers: { accept: MCP_ACCEPT, "mcp-session-id": sessionId, "mcp-protocol-version": "1999-01-01" },
      }),
      400,
      /protocol version/,
    );

    const raw = (body: string, contentType: string) =>
      fetch(`${broker}/mcp`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${token}`,
          accept: MCP_ACCEPT,
          "content-type": contentType,
          "mcp-session-id": sessionId,
        },
        body,
      });
    const badJson = await raw("{not json", "application/json");
    expect(badJson.status).toBe(400);
    expect(badJson.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    const textPlain = await raw(JSON.stringify(list), "text/plain");
    expect(textPlain.status).toBe(415);
    expect(textPlain.headers.get("content-type")).toMatch(/^application\/problem\+json/);

    const malformedHeader = await mcpPost(broker, token, list, "has space");
    expectProblem(malformedHeader, 400);

    // The session survived all of that.
    expect((await mcpPost(broker, token, list, sessionId)).status).toBe(200);
    await deleteMcpSession(broker, token, sessionId);
  });

  it("ends a session on DELETE with Content-Type: application/json and no body (as clients send it)", async () => {
    const framings: Record<string, string>[] = [{}, { "content-length": "0" }];
    for (const extra of framings) {
      const sessionId = await openMcpSession(broker, grant.accessToken);
      const response = await fetch(`${broker}/mcp`, {
        method: "DELETE",
        headers: {
          authorization: `Bearer ${grant.accessToken}`,
          "content-type": "application/json",
          "mcp-session-id": sessionId,
          ...extra,
        },
      });
      expect(response.status, await response.text()).toBe(200);
      expect((await deleteMcpSession(broker, grant.accessToken, sessionId)).status).toBe(404);
    }
  });

  it("answers GET /mcp with 405 (no SSE stream with JSON responses) and DELETE without a session with 400", async () => {
    const get = await fetch(`${broker}/mcp`, { headers: { accept: "text/event-stream" } });
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST, DELETE");
    expect(get.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    const del = await fetch(`${broker}/mcp`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${grant.accessToken}` },
    });
    expect(del.status).toBe(400);
  });
});
