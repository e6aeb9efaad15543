// A fleet of real agentapi servers behind an authenticating proxy, as Coder Tasks exposes them (each workspace's
// agentapi through the workspace-app proxy, which wants a session token in `Coder-Session-Token`). The suite must
// send the credentials on every AgentAPI request (SSE included), stop in setup with one line when they are missing
// or wrong (k6 exits 108 on such an abort), and, with a budget, send at most MAX_PROMPTS prompts — counted at the
// servers, in their own message lists.
// Skips without an agentapi binary (fails under CI=true): see tests/support/real-agentapi.ts.
import { afterAll, beforeAll, expect, it } from "vitest";
import { freeLoopbackPort } from "../../infra/agentapi-real/launch";
import { evaluateThresholds, runJourneys, type JourneyRun } from "../k6/harness/index";
import { describeRealAgentApi, startRealAgentApi, type RealAgentApi } from "../support/real-agentapi";
import { startReverseProxy, type ReverseProxy } from "../support/reverse-proxy";

const TOKEN = "coder-session-9d1e7c2b5a804f36";
const SERVERS = 3;
const BUDGET = 4;

describeRealAgentApi("a fleet of real agentapi servers behind an authenticating proxy", () => {
  let servers: RealAgentApi[] = [];
  const proxies: ReverseProxy[] = [];
  const refused = { count: 0 };
  let nowhere: string;
  let budgeted: JourneyRun;

  /** User messages in a server's own history (what its agent was actually sent). */
  async function prompted(server: RealAgentApi): Promise<number> {
    const body = (await (await fetch(`${server.url}/messages`)).json()) as { messages: Array<{ role: string }> };
    return body.messages.filter((m) => m.role === "user").length;
  }

  const run = (env: Record<string, string>) =>
    runJourneys({
      agentApiUrl: proxies[0]!.url,
      brokerUrl: nowhere,
      scenarios: ["tool_execution", "mixed_workload", "agent_conversation", "event_watchers"],
      vus: { tool_execution: 1, mixed_workload: 1, agent_conversation: 1, event_watchers: 1 },
      iterationsByScenario: { tool_execution: 3, mixed_workload: 12, agent_conversation: 3, event_watchers: 2 },
      env: {
        AGENT_ONLY: "true",
        AGENTAPI_URLS: proxies.map((p) => p.url).join(","),
        THINK_TIME_SCALE: "0.2",
        TESTID: "fleet-auth",
        ...env,
      },
      timeoutMs: 90_000,
    });

  beforeAll(async () => {
    nowhere = `http://127.0.0.1:${await freeLoopbackPort()}`;
    servers = await Promise.all(Array.from({ length: SERVERS }, () => startRealAgentApi({ thinkMs: 300 })));
    for (const server of servers) {
      proxies.push(
        await startReverseProxy(server.url, (req, res, forward) => {
          if (req.headers["coder-session-token"] === TOKEN) return forward();
          refused.count++;
          res.writeHead(401, { "content-type": "application/json" }).end('{"message":"Unauthorized."}\n');
        }),
      );
    }
    budgeted = await run({
      AGENTAPI_HEADERS: JSON.stringify({ "Coder-Session-Token": TOKEN }),
      MAX_PROMPTS: String(BUDGET),
    });
  }, 120_000);

  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.close()));
    await Promise.all(servers.map((s) => s.close()));
  });

  it("with the session token: every request authenticated, no error, every threshold held (k6 would exit 0)", () => {
    expect(budgeted.errors).toEqual([]);
    expect(budgeted.failedChecks).toBe(0);
    expect(refused.count).toBe(0);
    const streams = budgeted.samples.filter((s) => s.metric === "http_reqs" && s.tags.endpoint === "events");
    expect(streams.length).toBeGreaterThan(0);
    const outcomes = evaluateThresholds(budgeted.samples, budgeted.options.thresholds ?? {}, budgeted.durationMs);
    expect(outcomes.filter((o) => !o.ok).map((o) => `${o.key} ${o.expression} ${o.observed}`)).toEqual([]);
  });

  it(`MAX_PROMPTS=${BUDGET}: the servers' own message lists hold at most ${BUDGET} prompts, all of them counted`, async () => {
    const atServers = (await Promise.all(servers.map(prompted))).reduce((a, b) => a + b, 0);
    const sent = budgeted.samples.filter((s) => s.metric === "prompts_sent").reduce((n, s) => n + s.value, 0);
    const busy = budgeted.samples.filter((s) => s.metric === "agent_busy_total").reduce((n, s) => n + s.value, 0);
    expect(atServers).toBeLessThanOrEqual(BUDGET);
    expect(sent).toBeLessThanOrEqual(BUDGET);
    // Every prompt sent reached an agent, except those refused as busy (upstream adds no message for them).
    expect(atServers).toBe(sent - busy);
    expect(budgeted.samples.filter((s) => s.metric === "prompts_withheld").length).toBeGreaterThan(0);
  });

  it("without the token, or with a wrong one, setup stops the run with one line: which server, which status, what to set", async () => {
    const before = await Promise.all(servers.map(prompted));
    const attempts: Array<Record<string, string>> = [
      { MAX_PROMPTS: "1" },
      { MAX_PROMPTS: "1", AGENTAPI_TOKEN: "wrong-token" },
    ];
    for (const env of attempts) {
      const error = await run(env).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(error?.message).toBe(
        `setup: AgentAPI at ${proxies[0]!.url} refused the request (401): set AGENTAPI_TOKEN (sent as Authorization: ` +
          `Bearer) or AGENTAPI_HEADERS (e.g. {"Coder-Session-Token":"…"}); credentials sent: ` +
          (env.AGENTAPI_TOKEN === undefined ? "none" : "AGENTAPI_TOKEN"),
      );
    }
    expect(await Promise.all(servers.map(prompted))).toEqual(before);
  });
});
