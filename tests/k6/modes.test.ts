// Run modes and refusals: agent-only against the AgentAPI surface alone, the stock-k6 build's polling fallback,
// a busy agent, and the one-line failures (unreachable target in setup, invalid configuration).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AGENTAPI_ENDPOINTS, AGENT_ONLY_SCENARIOS } from "../../k6/src/names";
import { runJourneys, type MetricSample } from "./harness/index";
import { closedPortUrl, startTarget, type RunningStub } from "./helpers";

const sum = (samples: MetricSample[], metric: string) =>
  samples.filter((s) => s.metric === metric).reduce((n, s) => n + s.value, 0);

describe("run modes", () => {
  let stub: RunningStub;
  let closed: string;

  beforeAll(async () => {
    stub = await startTarget();
    closed = await closedPortUrl();
  });

  afterAll(async () => {
    await stub.close();
  });

  it("AGENT_ONLY=true drives the AgentAPI surface alone: the broker is never contacted", async () => {
    const run = await runJourneys({
      agentApiUrl: stub.agentApiUrl,
      // Broker URLs point at a port nothing listens on: any broker call would fail its checks.
      brokerUrl: closed,
      env: { AGENT_ONLY: "true" },
      iterations: 4,
      iterationsByScenario: { mixed_workload: 15 },
    });
    expect(Object.keys(run.options.scenarios ?? {})).toEqual([...AGENT_ONLY_SCENARIOS]);
    expect(run.errors).toEqual([]);
    expect(run.failedChecks).toBe(0);
    expect(run.passedChecks).toBeGreaterThan(30);
    expect(run.requested.length).toBeGreaterThan(30);
    expect(run.requested.filter((r) => r.includes(closed))).toEqual([]);
    const endpoints = new Set(
      run.samples.filter((s) => s.metric === "http_reqs" && s.tags.kind !== "probe").map((s) => s.tags.endpoint),
    );
    for (const e of endpoints) expect(AGENTAPI_ENDPOINTS).toContain(e);
    expect(endpoints.has("events")).toBe(true);
    expect(sum(run.samples, "http_req_failed")).toBe(0);
    // Its thresholds name no broker metric (they could never be fed).
    const keys = Object.keys(run.options.thresholds ?? {});
    expect(
      keys.some((k) => /auth_|oauth|mcp_|disconnect/.test(k) && (run.options.thresholds?.[k]?.length ?? 0) > 0),
    ).toBe(false);
  }, 30_000);

  it("the stock-k6 build polls /messages and /status instead of subscribing to /events", async () => {
    const run = await runJourneys({
      agentApiUrl: stub.agentApiUrl,
      brokerUrl: stub.brokerUrl,
      scenarios: ["mixed_workload"],
      iterations: 20,
      transport: "polling",
    });
    expect(run.errors).toEqual([]);
    expect(run.failedChecks).toBe(0);
    const endpoints = run.samples.filter((s) => s.metric === "http_reqs").map((s) => s.tags.endpoint);
    expect(endpoints).not.toContain("events");
    expect(run.samples.some((s) => s.metric === "sse_time_to_first_event")).toBe(false);
    expect(run.samples.some((s) => s.metric === "checks" && s.tags.group === "::events" && s.value === 1)).toBe(true);
  }, 30_000);

  it("setup stops the run with one line when the AgentAPI target is unreachable", async () => {
    await expect(runJourneys({ agentApiUrl: closed, brokerUrl: stub.brokerUrl, iterations: 1 })).rejects.toThrow(
      new RegExp(`^setup: AgentAPI at ${closed} is unreachable \\(.*connection refused\\); start it or set BASE_URL$`),
    );
  });

  it("setup stops the run when the broker is unreachable (and agent-only is off)", async () => {
    await expect(runJourneys({ agentApiUrl: stub.agentApiUrl, brokerUrl: closed, iterations: 1 })).rejects.toThrow(
      /^setup: broker at .* is unreachable .*AGENT_ONLY=true$/,
    );
  });

  it("an invalid configuration fails in the init context with one readable line", async () => {
    const attempt = runJourneys({
      agentApiUrl: stub.agentApiUrl,
      brokerUrl: stub.brokerUrl,
      env: { PROFILE: "production" },
    });
    await expect(attempt).rejects.toThrow(
      /^invalid configuration: PROFILE=production sends real load; set CONFIRM_PRODUCTION=yes to confirm$/,
    );
  });
});

describe("a busy agent", () => {
  let stub: RunningStub;

  beforeAll(async () => {
    // A slow agent: once prompted it stays running for 2-3 s.
    stub = await startTarget({ thinkMs: { min: 2000, max: 3000 } });
  });

  afterAll(async () => {
    await stub.close();
  });

  it("is counted in agent_busy_total, passes the checks and is not a failed request", async () => {
    const prompt = await fetch(`${stub.agentApiUrl}/message`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ content: "keep busy", type: "user" }),
    });
    expect(prompt.status).toBe(200);
    const run = await runJourneys({
      agentApiUrl: stub.agentApiUrl,
      brokerUrl: stub.brokerUrl,
      scenarios: ["mixed_workload", "tool_execution"],
      iterations: 20,
    });
    expect(run.errors).toEqual([]);
    expect(run.failedChecks).toBe(0);
    const busy = sum(run.samples, "agent_busy_total");
    expect(busy).toBeGreaterThanOrEqual(1);
    const busyRequests = run.samples.filter(
      (s) => s.metric === "http_req_failed" && s.tags.endpoint === "message" && s.tags.status === "500",
    );
    expect(busyRequests).toHaveLength(busy);
    expect(busyRequests.every((s) => s.value === 0 && s.tags.expected_response === "true")).toBe(true);
    // tool_execution only prompts a stable agent, so it never meets the busy answer.
    expect(run.samples.filter((s) => s.metric === "agent_busy_total" && s.tags.scenario === "tool_execution")).toEqual(
      [],
    );
  }, 30_000);
});
