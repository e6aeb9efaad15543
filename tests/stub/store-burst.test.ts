// A long burst through the real broker and MCP routes keeps the store, and the live MCP sessions, within their caps.
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { McpAccess } from "../../infra/agentapi-stub/src/broker/auth";
import { registerBroker } from "../../infra/agentapi-stub/src/broker/index";
import { loadBrokerSettings } from "../../infra/agentapi-stub/src/broker/settings";
import { registerMcp } from "../../infra/agentapi-stub/src/mcp/index";
import { McpSessions } from "../../infra/agentapi-stub/src/mcp/sessions";
import { installProblemHandling } from "../../infra/agentapi-stub/src/problem";
import { createMemoryStore, STORE_KINDS, type MemoryStore } from "../../infra/agentapi-stub/src/store";
import {
  MCP_ACCEPT,
  deleteMcpSession,
  getUserToken,
  grantMcpAccess,
  initializeRequest,
  initOAuth,
  mcpPost,
  postJson,
} from "./broker-helpers";

const CAP = 50;
const capEnv = Object.fromEntries(
  ["USERS", "OAUTH_STATES", "OAUTH_CODES", "MCP_CONFIGS", "REFRESH_TOKENS", "REVOCATIONS", "MCP_SESSIONS"].map(
    (kind) => [`STUB_STORE_MAX_${kind}`, String(CAP)],
  ),
);
const settings = loadBrokerSettings({ ...capEnv, STUB_MCP_TOOL_LATENCY_SCALE: "0" });

let app: FastifyInstance;
let store: MemoryStore;
let broker: string;

beforeAll(async () => {
  // The broker's own plugins on a bare app, so the test can read the store it uses.
  app = Fastify();
  installProblemHandling(app, { validationStatus: 400 });
  store = createMemoryStore(settings.store);
  await registerBroker(app, { settings, store, log: app.log });
  await registerMcp(app, { settings, store, log: app.log });
  broker = await app.listen({ host: "127.0.0.1", port: 0 });
});
afterAll(async () => {
  await app.close();
  await store.close();
});

/** Run `task` for 0..count-1 with a fixed number of workers. */
async function inParallel(count: number, workers: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

describe("burst through the broker", () => {
  it("keeps every kind of record within its cap over 300 full OAuth + MCP journeys", async () => {
    const journeys = 300;
    // One long-lived user keeps using its tokens through the burst: the caps must evict idle records, not hers.
    const aliceToken = await getUserToken(broker, "alice");
    const alice = await grantMcpAccess(broker, aliceToken);

    await inParallel(journeys, 8, async (i) => {
      const userToken = await getUserToken(broker, `user-${i}`);
      const grant = await grantMcpAccess(broker, userToken);
      const refreshed = await postJson<{ access_token: string }>(
        broker,
        "/api/mcp/oauth/refresh",
        { mcp_config_id: grant.configId, refresh_token: grant.refreshToken },
        { token: userToken },
      );
      expect(refreshed.status).toBe(200);
      const init = await mcpPost(broker, refreshed.body.access_token, initializeRequest());
      expect(init.status).toBe(200);
      // Every other session is left open, so the session cap has to do its work.
      if (i % 2 === 0) {
        const sessionId = init.headers.get("mcp-session-id") ?? "";
        expect((await deleteMcpSession(broker, refreshed.body.access_token, sessionId)).status).toBe(200);
      }
      if (i % 3 === 0) {
        await postJson(broker, "/api/mcp/oauth/revoke", { mcp_config_id: grant.configId }, { token: userToken });
      }
      if (i % 10 === 0) {
        expect((await initOAuth(broker, aliceToken)).configId).toBeTruthy();
        expect((await mcpPost(broker, alice.accessToken, initializeRequest())).status).toBe(200);
      }
    });
    const stats = await store.stats();
    for (const kind of STORE_KINDS) expect(stats[kind].size, kind).toBeLessThanOrEqual(CAP);
    expect(stats.users.evicted).toBeGreaterThanOrEqual(journeys + 1 - CAP);
    expect(stats.mcpConfigs.evicted).toBeGreaterThan(0);
    expect(stats.refreshTokens.evicted).toBeGreaterThan(0);
    // The live-session map enforces the same cap first (deleting the record), so the store never has to evict here.
    expect(stats.mcpSessions.size).toBeGreaterThan(CAP / 2);

    // Alice's user, config and refresh token were in use, so they survived.
    const refreshed = await postJson(
      broker,
      "/api/mcp/oauth/refresh",
      { mcp_config_id: alice.configId, refresh_token: alice.refreshToken },
      { token: aliceToken },
    );
    expect(refreshed.status).toBe(200);
    // And a newcomer gets served normally at the caps.
    const token = await getUserToken(broker, "after-burst");
    const grant = await grantMcpAccess(broker, token);
    expect((await mcpPost(broker, grant.accessToken, initializeRequest())).status).toBe(200);
  });
});

describe("live MCP sessions", () => {
  it("holds at most the cap of McpServer+transport pairs through 300 initializes", async () => {
    const sessionStore = createMemoryStore(settings.store);
    const sessions = new McpSessions({
      cap: 20,
      idleMs: 60_000,
      sweepIntervalMs: 60_000,
      toolLatencyScale: 0,
      store: sessionStore,
      log: app.log,
    });
    const access: McpAccess = { token: "t", userId: "alice", configId: "cfg", expiresAt: Date.now() / 1000 + 60 };
    for (let i = 0; i < 300; i++) {
      const session = await sessions.open(access);
      const response = await session.transport.handleRequest(
        new Request("http://localhost/mcp", {
          method: "POST",
          headers: { accept: MCP_ACCEPT, "content-type": "application/json" },
        }),
        { parsedBody: initializeRequest(i) },
      );
      expect(response.status).toBe(200);
    }
    expect(sessions.stats()).toEqual({ size: 20, cap: 20, evicted: 280, expired: 0 });
    expect((await sessionStore.stats()).mcpSessions.size).toBe(20);
    await sessions.closeAll();
    expect(sessions.size).toBe(0);
    expect((await sessionStore.stats()).mcpSessions.size).toBe(0);
    await sessionStore.close();
  });
});
