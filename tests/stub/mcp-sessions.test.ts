// MCP session lifecycle: the session cap (least recently used closes first), idle expiry, concurrent calls in one
// session, and a call in flight when its session ends.
import { afterAll, describe, expect, it } from "vitest";
import { loadBrokerSettings } from "../../infra/agentapi-stub/src/broker/settings";
import { startStub, type RunningStub } from "../../infra/agentapi-stub/src/stub";
import {
  deleteMcpSession,
  expectProblem,
  getUserToken,
  grantMcpAccess,
  mcpPost,
  openMcpSession,
  sleep,
  type McpGrant,
} from "./broker-helpers";

const stubs: RunningStub[] = [];
afterAll(() => Promise.all(stubs.map((stub) => stub.close())));

async function brokerWith(env: Record<string, string>): Promise<{ broker: string; grant: McpGrant }> {
  const stub = await startStub({ agentApiPort: 0, brokerPort: 0, broker: loadBrokerSettings(env) });
  stubs.push(stub);
  const grant = await grantMcpAccess(stub.brokerUrl, await getUserToken(stub.brokerUrl, "alice"));
  return { broker: stub.brokerUrl, grant };
}

const toolsList = (id: number) => ({ jsonrpc: "2.0", id, method: "tools/list" });

describe("MCP sessions", () => {
  it("keeps at most the cap, closing the least recently used session", async () => {
    const { broker, grant } = await brokerWith({ STUB_STORE_MAX_MCP_SESSIONS: "3", STUB_MCP_TOOL_LATENCY_SCALE: "0" });
    const status = async (sessionId: string) =>
      (await mcpPost(broker, grant.accessToken, toolsList(1), sessionId)).status;

    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await openMcpSession(broker, grant.accessToken));
    const [s1, s2, s3, s4, s5] = ids as [string, string, string, string, string];
    expect(await status(s1)).toBe(404);
    expect(await status(s2)).toBe(404);
    // Using s3 makes it the most recent; the next session must evict s4 instead.
    expect(await status(s3)).toBe(200);
    const s6 = await openMcpSession(broker, grant.accessToken);
    expect(await status(s4)).toBe(404);
    expect(await status(s3)).toBe(200);
    expect(await status(s5)).toBe(200);
    expect(await status(s6)).toBe(200);
  });

  it("closes a session left idle, but not one in use", async () => {
    const { broker, grant } = await brokerWith({
      STUB_MCP_SESSION_IDLE_MS: "300",
      STUB_STORE_SWEEP_MS: "50",
      STUB_MCP_TOOL_LATENCY_SCALE: "0",
    });
    const busy = await openMcpSession(broker, grant.accessToken);
    const idle = await openMcpSession(broker, grant.accessToken);
    for (let i = 0; i < 5; i++) {
      await sleep(100);
      expect((await mcpPost(broker, grant.accessToken, toolsList(i), busy)).status).toBe(200);
    }
    expectProblem(await mcpPost(broker, grant.accessToken, toolsList(9), idle), 404);
  });

  it("answers concurrent calls in one session each with its own result", async () => {
    const { broker, grant } = await brokerWith({ STUB_MCP_TOOL_LATENCY_SCALE: "1" });
    const sessionId = await openMcpSession(broker, grant.accessToken);
    const calls = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        mcpPost(
          broker,
          grant.accessToken,
          { jsonrpc: "2.0", id: 100 + i, method: "tools/call", params: { name: "echo", arguments: { text: `n${i}` } } },
          sessionId,
        ),
      ),
    );
    calls.forEach((call, i) => {
      expect(call.status).toBe(200);
      expect(call.body).toEqual({
        jsonrpc: "2.0",
        id: 100 + i,
        result: { content: [{ type: "text", text: `n${i}` }] },
      });
    });
    await deleteMcpSession(broker, grant.accessToken, sessionId);
  });

  it("answers a call in flight with 404 when its session is deleted, instead of hanging", async () => {
    const { broker, grant } = await brokerWith({ STUB_MCP_TOOL_LATENCY_SCALE: "1" });
    const sessionId = await openMcpSession(broker, grant.accessToken);
    const started = Date.now();
    // run_tests takes 300-1200 ms at scale 1.
    const call = mcpPost(
      broker,
      grant.accessToken,
      { jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "run_tests", arguments: {} } },
      sessionId,
    );
    await sleep(50);
    expect((await deleteMcpSession(broker, grant.accessToken, sessionId)).status).toBe(200);
    expectProblem(await call, 404, /unknown MCP session/);
    expect(Date.now() - started).toBeLessThan(300);
  });

  it("simulates each tool's latency, scaled by the setting", async () => {
    const { broker, grant } = await brokerWith({ STUB_MCP_TOOL_LATENCY_SCALE: "0.5" });
    const sessionId = await openMcpSession(broker, grant.accessToken);
    const started = Date.now();
    const call = await mcpPost(
      broker,
      grant.accessToken,
      { jsonrpc: "2.0", id: 8, method: "tools/call", params: { name: "run_tests", arguments: {} } },
      sessionId,
    );
    const elapsed = Date.now() - started;
    expect(call.status).toBe(200);
    // run_tests is 300-1200 ms unscaled: 150-600 ms at 0.5.
    expect(elapsed).toBeGreaterThanOrEqual(145);
    expect(elapsed).toBeLessThan(2000);
    expect(JSON.stringify(call.body)).toMatch(/Duration {2}\d+ms/);
    await deleteMcpSession(broker, grant.accessToken, sessionId);
  });
});
