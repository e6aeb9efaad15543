// MCP session lifecycle: the session cap (least recently used closes first), idle expiry, concurrent calls in one
// session, and a call in flight when its session ends.
import Fastify from "fastify";
import { afterAll, describe, expect, it, vi } from "vitest";
import type { McpAccess } from "../../infra/agentapi-stub/src/broker/auth";
import { loadBrokerSettings } from "../../infra/agentapi-stub/src/broker/settings";
import { McpSessions, type McpSession } from "../../infra/agentapi-stub/src/mcp/sessions";
import { TOOL_LATENCY_MS } from "../../infra/agentapi-stub/src/mcp/tools";
import { createMemoryStore, DEFAULT_STORE_CAPS } from "../../infra/agentapi-stub/src/store";
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
  sleep,
  type McpGrant,
} from "./broker-helpers";
import { until } from "../support/wait";

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
    // The busy session is used every ~20 ms, so only a stall of most of IDLE_MS could idle it out; the idle one is
    // probed once more than IDLE_MS has passed since its last use (a slow machine only lets more time pass).
    const IDLE_MS = 1_500;
    const { broker, grant } = await brokerWith({
      STUB_MCP_SESSION_IDLE_MS: String(IDLE_MS),
      STUB_STORE_SWEEP_MS: "50",
      STUB_MCP_TOOL_LATENCY_SCALE: "0",
    });
    const busy = await openMcpSession(broker, grant.accessToken);
    const idle = await openMcpSession(broker, grant.accessToken);
    const idleSince = Date.now();
    let uses = 0;
    while (Date.now() - idleSince <= IDLE_MS + 200) {
      const answer = await mcpPost(broker, grant.accessToken, toolsList(uses), busy);
      expect(answer.status, `use ${uses} of the busy session, ${Date.now() - idleSince} ms in`).toBe(200);
      uses++;
      await sleep(20);
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
    // At scale 20 run_tests takes at least 6 s: an answer sooner than that can only come from the session's end.
    const scale = 20;
    const { broker, grant } = await brokerWith({ STUB_MCP_TOOL_LATENCY_SCALE: String(scale) });
    const sessionId = await openMcpSession(broker, grant.accessToken);
    // The live session the call is routed to (the spy only watches), to see the call waiting in it.
    const find = vi.spyOn(McpSessions.prototype, "find");
    const routed = (): McpSession | undefined => {
      const first = find.mock.settledResults[0];
      return first?.type === "fulfilled" ? first.value : undefined;
    };
    try {
      const started = Date.now();
      const call = mcpPost(
        broker,
        grant.accessToken,
        { jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "run_tests", arguments: {} } },
        sessionId,
      );
      await until(() => routed()?.inFlight === 1, "the run_tests call waiting in its session");
      expect((await deleteMcpSession(broker, grant.accessToken, sessionId)).status).toBe(200);
      expectProblem(await call, 404, /unknown MCP session/);
      expect(Date.now() - started).toBeLessThan(TOOL_LATENCY_MS.run_tests.min * scale);
      expect(routed()?.inFlight).toBe(0);
    } finally {
      find.mockRestore();
    }
  });

  it("simulates each tool's latency, scaled by the setting", async () => {
    const scale = 0.5;
    const { broker, grant } = await brokerWith({ STUB_MCP_TOOL_LATENCY_SCALE: String(scale) });
    const sessionId = await openMcpSession(broker, grant.accessToken);
    const started = performance.now();
    const call = await mcpPost(
      broker,
      grant.accessToken,
      { jsonrpc: "2.0", id: 8, method: "tools/call", params: { name: "run_tests", arguments: {} } },
      sessionId,
    );
    const elapsed = performance.now() - started;
    expect(call.status).toBe(200);
    // The wait the tool drew and reports: run_tests is 300-1200 ms unscaled, 150-600 ms at 0.5 ...
    const text = (call.body as { result: { content: { text: string }[] } }).result.content[0]?.text ?? "";
    const drawn = Number(/Duration {2}(\d+)ms/.exec(text)?.[1]);
    const { min, max } = TOOL_LATENCY_MS.run_tests;
    expect(drawn, text).toBeGreaterThanOrEqual(Math.round(min * scale));
    expect(drawn, text).toBeLessThanOrEqual(Math.round(max * scale));
    // ... and the answer really waited for it (never sooner than the simulation).
    expect(elapsed).toBeGreaterThanOrEqual(drawn - 5);
    await deleteMcpSession(broker, grant.accessToken, sessionId);
  });

  it("tracks a waiting request only until it settles, so a busy long-lived session accumulates nothing", async () => {
    const store = createMemoryStore({ caps: { ...DEFAULT_STORE_CAPS }, sweepIntervalMs: 60_000 });
    const sessions = new McpSessions({
      cap: 10,
      idleMs: 60_000,
      sweepIntervalMs: 60_000,
      toolLatencyScale: 0,
      store,
      log: Fastify().log,
    });
    const access: McpAccess = { token: "t", userId: "alice", configId: "cfg", expiresAt: Date.now() / 1000 + 60 };
    try {
      const session = await sessions.open(access);
      const init = await session.transport.handleRequest(
        new Request("http://localhost/mcp", {
          method: "POST",
          headers: { accept: MCP_ACCEPT, "content-type": "application/json" },
        }),
        { parsedBody: initializeRequest() },
      );
      expect(init.status).toBe(200);
      for (let i = 0; i < 1_000; i++) expect(await session.unlessEnded(Promise.resolve(i))).toBe(i);
      await expect(session.unlessEnded(Promise.reject(new Error("tool failed")))).rejects.toThrow("tool failed");
      expect(session.inFlight).toBe(0);

      // A request still waiting when the session ends is answered at once: undefined, which the route turns into 404.
      const waiting = session.unlessEnded(new Promise<never>(() => undefined));
      expect(session.inFlight).toBe(1);
      await session.close();
      expect(await waiting).toBeUndefined();
      expect(session.inFlight).toBe(0);
      expect(await session.unlessEnded(Promise.resolve("late"))).toBeUndefined();
      expect(sessions.size).toBe(0);
    } finally {
      await sessions.closeAll();
      await store.close();
    }
  });
});
