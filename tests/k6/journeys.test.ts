// Every journey, run for several iterations by the harness (k6 modules doubled, real HTTP) against the real
// target in-process: no failed check, no exception, no failed request, and the metrics and tags the dashboards
// rely on.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { customMetrics } from "../../k6/src/metric-catalog";
import { ENDPOINTS, SCENARIO_NAMES } from "../../k6/src/names";
import { renderSummary, runJourneys, summarize, type JourneyRun, type MetricSample } from "./harness/index";
import { startTarget, type RunningStub } from "./helpers";

const HTTP_METRICS = ["http_reqs", "http_req_duration", "http_req_waiting", "http_req_failed"];
const K6_HTTP_TAGS = ["method", "status", "url", "name", "proto", "expected_response", "scenario", "group", "endpoint"];

function sum(samples: MetricSample[], metric: string, filter: (s: MetricSample) => boolean = () => true): number {
  return samples.filter((s) => s.metric === metric && filter(s)).reduce((n, s) => n + s.value, 0);
}

function passes(run: JourneyRun, check: string): number {
  return run.samples.filter((s) => s.metric === "checks" && s.tags.check === check && s.value === 1).length;
}

describe("journeys against the in-process target", () => {
  let stub: RunningStub;
  let run: JourneyRun;

  beforeAll(async () => {
    stub = await startTarget({ agents: 4 });
    run = await runJourneys({
      agentApiUrl: stub.agentApiUrl,
      brokerUrl: stub.brokerUrl,
      // VUs 1-10 in scenario order (authentication 1, mcp_connection 2, tool_execution 3-4, list_tools 5,
      // disconnect 6, mixed_workload 7-8, agent_conversation 9, event_watchers 10) on 4 agents, VU v on agent
      // ((v − 1) mod 4) + 1: tool_execution and mixed_workload share agents 3 and 4, so their prompts collide as they
      // do under load, while agent_conversation has agent 1 to itself (nothing else prompts it), so its turns are
      // never refused however the VUs interleave (no think times here).
      env: {
        TESTID: "journeys-test",
        AGENTAPI_URL_TEMPLATE: `${stub.agentApiUrl}/agents/{agent}`,
        AGENTS: "4",
      },
      iterations: 4,
      // The weighted mixed schedule repeats every 20 iterations: 20 runs every operation at least once.
      iterationsByScenario: { mixed_workload: 20 },
      vus: { tool_execution: 2, mixed_workload: 2 },
    });
  }, 60_000);

  afterAll(async () => {
    await stub.close();
  });

  it("runs all eight scenarios with zero failed checks, errors or failed requests", () => {
    expect(run.errors).toEqual([]);
    expect(run.failedChecks).toBe(0);
    expect(run.passedChecks).toBeGreaterThan(200);
    expect(sum(run.samples, "http_req_failed")).toBe(0);
    const iterations = Object.fromEntries(
      SCENARIO_NAMES.map((name) => [name, sum(run.samples, "iterations", (s) => s.tags.scenario === name)]),
    );
    expect(iterations).toEqual({
      authentication: 4,
      mcp_connection: 4,
      tool_execution: 8,
      list_tools: 4,
      disconnect: 4,
      mixed_workload: 40,
      agent_conversation: 4,
      event_watchers: 4,
    });
  });

  it("records agent turns: each accepted prompt of agent_conversation ends stable with its reply", () => {
    const turns = sum(run.samples, "agent_turns");
    const conversationPrompts = run.samples.filter(
      (s) => s.metric === "http_reqs" && s.tags.endpoint === "message" && s.tags.scenario === "agent_conversation",
    ).length;
    expect(turns).toBeGreaterThan(0);
    expect(turns).toBeLessThanOrEqual(conversationPrompts);
    expect(sum(run.samples, "agent_turn_failures")).toBe(0);
    const durations = run.samples.filter((s) => s.metric === "agent_turn_duration");
    expect(durations).toHaveLength(turns);
    const firstOutputs = run.samples.filter((s) => s.metric === "agent_first_output");
    expect(firstOutputs).toHaveLength(turns);
    for (const s of firstOutputs) expect(s.tags.observed_by).toBe("sse");
    // First output comes before the turn ends, for every turn.
    const maxFirst = Math.max(...firstOutputs.map((s) => s.value));
    expect(maxFirst).toBeLessThanOrEqual(Math.max(...durations.map((s) => s.value)));
  });

  it("tags every request with a known endpoint and k6's system tags; names stay few", () => {
    // setup()'s probes of every server carry kind:probe and no endpoint (they must not feed the endpoint rows).
    const probes = run.samples.filter((s) => HTTP_METRICS.includes(s.metric) && s.tags.kind === "probe");
    expect(probes.length).toBeGreaterThan(0);
    for (const s of probes)
      expect([s.tags.group, s.tags.endpoint, s.tags.name]).toEqual(["::setup", undefined, "setup: GET /status"]);
    const http = run.samples.filter((s) => HTTP_METRICS.includes(s.metric) && s.tags.kind !== "probe");
    expect(http.length).toBeGreaterThan(400);
    for (const s of http) {
      expect(ENDPOINTS, JSON.stringify(s.tags)).toContain(s.tags.endpoint);
      // xk6-sse tags its stream with the VU's tags, url and status only.
      const expectedTags = s.tags.endpoint === "events" ? ["url", "status", "group", "endpoint"] : K6_HTTP_TAGS;
      // setup and teardown run outside any scenario, in groups of their own (as in k6).
      const tags = s.tags.scenario === undefined ? expectedTags.filter((t) => t !== "scenario") : expectedTags;
      if (s.tags.scenario === undefined) expect(["::setup", "::teardown"]).toContain(s.tags.group);
      for (const tag of tags) expect(s.tags[tag], `${s.metric} ${tag}`).toBeDefined();
      expect(s.tags.testid).toBe("journeys-test");
    }
    const endpoints = new Set(http.map((s) => s.tags.endpoint));
    for (const e of ENDPOINTS.filter((e) => e !== "upload")) expect(endpoints.has(e), e).toBe(true);
    // URLs with ids/query strings carry a static name, so `name` has one value per endpoint at most.
    const names = new Set(http.filter((s) => s.metric === "http_reqs").map((s) => s.tags.name));
    expect(names.size).toBeLessThanOrEqual(ENDPOINTS.length);
    const authorize = http.find((s) => s.tags.endpoint === "oauth_authorize");
    expect(authorize?.tags.name).toMatch(/\/authorize\?state=\{state\}$/);
    expect(authorize?.tags.url).toMatch(/state=[^{]/);
  });

  it("records k6's built-in metrics with their usual tags", () => {
    const names = new Set(run.samples.map((s) => s.metric));
    for (const m of [
      "http_reqs",
      "http_req_duration",
      "http_req_failed",
      "http_req_waiting",
      "checks",
      "iterations",
      "iteration_duration",
      "vus",
      "data_sent",
      "data_received",
      "group_duration",
      "sse_event",
    ]) {
      expect(names.has(m), m).toBe(true);
    }
    const check = run.samples.find((s) => s.metric === "checks");
    expect(check?.tags.check).toBeTruthy();
    expect(check?.tags.scenario).toBeTruthy();
    const groups = new Set(run.samples.filter((s) => s.metric === "group_duration").map((s) => s.tags.group));
    for (const g of [
      "::user token",
      "::oauth init",
      "::authorize",
      "::callback",
      "::agent status",
      "::mcp initialize",
      "::mcp tools/call",
      "::revoke",
      "::revoked token refused",
      "::events",
      "::refresh",
    ]) {
      expect(groups.has(g), g).toBe(true);
    }
  });

  it("declares every custom metric as the catalog says and records them per scenario", () => {
    const declared = Object.fromEntries(run.declaredMetrics.map((m) => [m.name, m]));
    for (const spec of customMetrics()) {
      expect(declared[spec.name]?.type, spec.name).toBe(spec.type);
      expect(declared[spec.name]?.isTime, spec.name).toBe("isTime" in spec ? spec.isTime : false);
    }
    const expected: Record<string, string[]> = {
      auth_success_rate: ["authentication", "mcp_connection", "disconnect"],
      auth_duration: ["authentication"],
      mcp_connection_success_rate: ["mcp_connection", "tool_execution", "list_tools", "disconnect"],
      mcp_connection_duration: ["mcp_connection"],
      tool_execution_success_rate: ["tool_execution"],
      tool_execution_duration: ["tool_execution"],
      disconnect_success_rate: ["disconnect"],
      disconnect_duration: ["disconnect"],
      token_refresh_count: ["mixed_workload"],
      total_requests: [...SCENARIO_NAMES],
      active_connections: ["mcp_connection", "disconnect"],
      concurrent_users: [...SCENARIO_NAMES],
      sse_time_to_first_event: ["mixed_workload"],
    };
    for (const [metric, scenarios] of Object.entries(expected)) {
      const seen = new Set(run.samples.filter((s) => s.metric === metric).map((s) => s.tags.scenario));
      for (const scenario of scenarios) expect(seen.has(scenario), `${metric} in ${scenario}`).toBe(true);
    }
    for (const rate of [
      "auth_success_rate",
      "mcp_connection_success_rate",
      "tool_execution_success_rate",
      "disconnect_success_rate",
    ]) {
      const values = run.samples.filter((s) => s.metric === rate).map((s) => s.value);
      expect(values.length, rate).toBeGreaterThan(0);
      expect(
        values.every((v) => v === 1),
        rate,
      ).toBe(true);
    }
    const inScenario = (s: MetricSample) => s.tags.scenario !== undefined;
    expect(sum(run.samples, "total_requests", inScenario)).toBe(sum(run.samples, "http_reqs", inScenario));
  });

  it("disconnect revokes the config it created: that config's token is refused afterwards", () => {
    expect(passes(run, "revoke: revoked")).toBeGreaterThanOrEqual(4);
    expect(passes(run, "revoked token: refused with 401")).toBe(4);
    expect(passes(run, "revoked token: WWW-Authenticate Bearer")).toBe(4);
    // The refusal is an expected 401, not a failed request.
    const probes = run.samples.filter(
      (s) => s.metric === "http_req_failed" && s.tags.group === "::revoked token refused",
    );
    expect(probes).toHaveLength(4);
    expect(probes.every((s) => s.tags.status === "401" && s.value === 0)).toBe(true);
  });

  it("mixed_workload refreshes the VU's own config, rotating its refresh token", () => {
    const refreshes = sum(run.samples, "token_refresh_count", (s) => s.tags.scenario === "mixed_workload");
    expect(refreshes).toBeGreaterThanOrEqual(2);
    expect(passes(run, "refresh: refresh token rotated")).toBe(refreshes);
  });

  it("reads the SSE initial state and times the first event", () => {
    const ttfe = run.samples.filter((s) => s.metric === "sse_time_to_first_event");
    expect(ttfe.length).toBeGreaterThanOrEqual(2);
    for (const s of ttfe) expect(s.value).toBeGreaterThanOrEqual(0);
    expect(passes(run, "events: stream opened")).toBe(ttfe.length);
    expect(sum(run.samples, "timeout_count")).toBe(0);
  });

  it("prompts the agent; a busy agent is counted, never failed", () => {
    const prompts = run.samples.filter((s) => s.metric === "http_reqs" && s.tags.endpoint === "message");
    expect(prompts.length).toBeGreaterThan(0);
    const busy = sum(run.samples, "agent_busy_total");
    expect(prompts.filter((s) => s.tags.status === "500").length).toBe(busy);
    expect(passes(run, "message: accepted or agent busy")).toBe(prompts.length);
  });

  it("reports the testid the samples carry, even when handleSummary's own init would pick another", async () => {
    // k6 runs handleSummary in a fresh init context; without TESTID its default (from the clock) would differ.
    const out = await renderSummary(summarize(run), { ...run.env, TESTID: "another-init" });
    const junit = Object.entries(out).find(([path]) => path.endsWith("junit.xml"))?.[1] ?? "";
    expect(junit).toContain('<property name="testid" value="journeys-test"/>');
    expect(junit).not.toContain("another-init");
  });

  it("logs the run configuration in setup and the duration in teardown", () => {
    expect(run.logs.some((l) => /^agentapi-load: profile=local scenarios=authentication,/.test(l.text))).toBe(true);
    expect(run.logs.some((l) => /^agentapi-load: finished after /.test(l.text))).toBe(true);
  });
});
