// The k6 suite's seed agent-only journeys (AGENT_ONLY=true: tool_execution, list_tools, mixed_workload) through the
// harness against the REAL coder/agentapi driving the fake agent, in two shapes:
//   1. one server, one VU per scenario (a user pointing BASE_URL at one agentapi), both transports (xk6-sse and the
//      stock bundle's polling), each run on its own server: the VUs share the one agent, so prompts collide and the
//      agent's "busy" refusals are expected (counted in agent_busy_total, never a failed check or request);
//   2. a fleet, one real agentapi per VU (AGENTAPI_URLS=u1,u2,u3): every VU has its own agent, and the think time is
//      long enough for that agent to settle between the VU's own prompts, so nothing is ever refused as busy.
// The three runs go concurrently (separate servers); each prints one summary line for the CI log.
// The agent journeys (agent_conversation, event_watchers) have their own file: k6-agent-turns.test.ts.
// Skips without an agentapi binary (fails under CI=true): see tests/support/real-agentapi.ts.
import { afterAll, beforeAll, expect, it } from "vitest";
import { freeLoopbackPort } from "../../infra/agentapi-real/launch";
import { AGENTAPI_ENDPOINTS } from "../../k6/src/names";
import { mixedSchedule } from "../../k6/src/scenarios/mixed-schedule";
import { percentile, runJourneys, type EventsTransport, type JourneyRun, type MetricSample } from "../k6/harness/index";
import { describeRealAgentApi, startRealAgentApi, type RealAgentApi } from "../support/real-agentapi";
import { until } from "../support/wait";

/** How long the fake agent thinks per prompt. The agent is `stable` again ≈ this + 2 s after POST /message returns. */
const AGENT_THINK_MS = 100;
/**
 * The fleet's pauses are sized from how long an agent takes to settle in this very run (POST returned → stable, one
 * probe turn on the fleet's first server while the other runs load the machine), times this margin: a busy machine
 * slows the agents and lengthens the pauses alike, instead of eating a fixed slack.
 */
const SETTLE_MARGIN = 1.5;

/** mixed_workload runs first, so its VU is VU 1 (agent 1 in the fleet). */
const SCENARIOS = ["mixed_workload", "tool_execution", "list_tools"];

/**
 * mixed_workload prompts without asking /status first, on a fixed cycle walked by its run-wide iteration number
 * (k6/src/scenarios/mixed-schedule.ts): agent-only, one VU does cycle[0], cycle[1], … — prompts 3, 5, 3 and 4
 * iterations apart, the SSE step after the first two prompts.
 */
const CYCLE = mixedSchedule(true).cycle;
const PROMPTS_AT = CYCLE.flatMap((op, i) => (op === "send message" ? [i] : []));
const MIN_PROMPT_GAP = Math.min(...PROMPTS_AT.slice(1).map((at, i) => at - (PROMPTS_AT[i] ?? 0)));
const SCHEDULE_LENGTH = CYCLE.length;
/** The fleet's mixed_workload VU runs up to and including the SSE step: the first two prompts, then the stream. */
const FLEET_MIXED_ITERATIONS = CYCLE.indexOf("events") + 1;
const FLEET_MIXED_PROMPTS = PROMPTS_AT.filter((at) => at < FLEET_MIXED_ITERATIONS).length;
/** mixed_workload thinks 1-5 s per iteration (tool_execution 3-8 s), times THINK_TIME_SCALE. */
const MIXED_MIN_THINK_MS = 1000;
/**
 * The fleet's think-time scale: a VU's own agent is stable again before that VU's next prompt (MIN_PROMPT_GAP pauses
 * of at least MIXED_MIN_THINK_MS × scale each; tool_execution's 3 s minimum is longer), with SETTLE_MARGIN to spare.
 */
const fleetThinkScale = (settleMs: number): number =>
  Math.ceil(((settleMs * SETTLE_MARGIN) / (MIN_PROMPT_GAP * MIXED_MIN_THINK_MS)) * 10) / 10;

/** One prompt on `url`: milliseconds from POST /message returning to GET /status saying `stable`. */
async function settleTime(url: string): Promise<number> {
  const sent = await fetch(`${url}/message`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ content: "settle probe", type: "user" }),
  });
  if (sent.status !== 200) throw new Error(`settle probe: POST /message answered ${sent.status}`);
  const returned = performance.now();
  await until(
    async () => ((await (await fetch(`${url}/status`)).json()) as { status: string }).status === "stable",
    `${url} stable after the settle probe`,
    30_000,
  );
  return performance.now() - returned;
}

const HTTP_METRICS = ["http_reqs", "http_req_duration", "http_req_waiting", "http_req_failed"];

const sum = (samples: MetricSample[], metric: string, filter: (s: MetricSample) => boolean = () => true): number =>
  samples.filter((s) => s.metric === metric && filter(s)).reduce((n, s) => n + s.value, 0);

function p95(run: JourneyRun, endpoint: string): string {
  const values = run.samples
    .filter((s) => s.metric === "http_req_duration" && s.tags.endpoint === endpoint)
    .map((s) => s.value)
    .sort((a, b) => a - b);
  return values.length === 0 ? "-" : `${Math.round(percentile(values, 0.95))}ms`;
}

/** One line per run for the CI log. */
function summaryLine(label: string, run: JourneyRun): string {
  const requests = sum(run.samples, "http_reqs");
  const busy = sum(run.samples, "agent_busy_total");
  return (
    `k6 agent-only vs real agentapi [${label}]: ${requests} requests, checks ${run.passedChecks} passed / ` +
    `${run.failedChecks} failed, agent busy ${busy}, p95 message ${p95(run, "message")} status ` +
    `${p95(run, "status")} messages ${p95(run, "messages")}, ${(run.durationMs / 1000).toFixed(1)} s`
  );
}

/** Names of the checks that failed, with counts (for assertion messages). */
function failedCheckNames(run: JourneyRun): Record<string, number> {
  const failed: Record<string, number> = {};
  for (const s of run.samples) {
    if (s.metric === "checks" && s.value === 0) failed[s.tags.check ?? "?"] = (failed[s.tags.check ?? "?"] ?? 0) + 1;
  }
  return failed;
}

/** What every agent-only run against the real server must show. */
function expectHealthyRun(run: JourneyRun, transport: EventsTransport): void {
  expect(run.errors).toEqual([]);
  const checks = run.passedChecks + run.failedChecks;
  expect(checks).toBeGreaterThan(20);
  expect(run.passedChecks / checks, JSON.stringify(failedCheckNames(run))).toBeGreaterThanOrEqual(0.99);

  // No failed request: http_req_failed is a rate of 0 over every request.
  const failed = run.samples.filter((s) => s.metric === "http_req_failed");
  expect(failed.length).toBeGreaterThan(20);
  expect(failed.filter((s) => s.value !== 0).map((s) => `${s.tags.method} ${s.tags.name} ${s.tags.status}`)).toEqual(
    [],
  );

  // Every request carries a known AgentAPI endpoint tag; /events only where xk6-sse streams it. setup()'s probe of
  // each server is tagged kind:probe instead, so it feeds no endpoint threshold.
  const http = run.samples.filter((s) => HTTP_METRICS.includes(s.metric) && s.tags.kind !== "probe");
  for (const s of http) expect(AGENTAPI_ENDPOINTS, JSON.stringify(s.tags)).toContain(s.tags.endpoint);
  const endpoints = new Set(http.map((s) => s.tags.endpoint));
  for (const e of ["status", "messages", "message"]) expect(endpoints.has(e), e).toBe(true);
  expect(endpoints.has("events")).toBe(transport === "xk6-sse");
  const stateRead = run.samples.filter((s) => s.metric === "checks" && s.tags.check === "events: stream opened");
  expect(stateRead.length).toBeGreaterThanOrEqual(1);

  // A busy agent is counted in agent_busy_total and is neither a failed check nor a failed request.
  const prompts = run.samples.filter((s) => s.metric === "http_reqs" && s.tags.endpoint === "message");
  const busy = sum(run.samples, "agent_busy_total");
  const refused = run.samples.filter(
    (s) => s.metric === "http_req_failed" && s.tags.endpoint === "message" && s.tags.status === "500",
  );
  expect(refused).toHaveLength(busy);
  expect(refused.every((s) => s.value === 0 && s.tags.expected_response === "true")).toBe(true);
  const answered = run.samples.filter(
    (s) => s.metric === "checks" && s.tags.check === "message: accepted or agent busy" && s.value === 1,
  );
  expect(answered).toHaveLength(prompts.length);
  expect(prompts.filter((s) => s.tags.status === "200").length).toBeGreaterThanOrEqual(1);

  for (const scenario of SCENARIOS) {
    expect(
      sum(run.samples, "iterations", (s) => s.tags.scenario === scenario),
      scenario,
    ).toBeGreaterThan(0);
  }
}

type Shape = "one server, xk6-sse" | "one server, polling" | "fleet";

describeRealAgentApi("the k6 agent-only journeys against the real agentapi", () => {
  const servers: RealAgentApi[] = [];
  const runs = new Map<Shape, Promise<JourneyRun>>();
  let nowhere: string;
  let fleetUrls: string[];

  /** The run of a shape, its summary line printed (in the test that reads it) before anything is asserted. */
  async function finished(shape: Shape): Promise<JourneyRun> {
    const pending = runs.get(shape);
    if (pending === undefined) throw new Error(`${shape}: not started (see beforeAll)`);
    const run = await pending;
    const label = shape === "fleet" ? `fleet of ${fleetUrls.length}, xk6-sse` : shape;
    console.log(summaryLine(`${label}, THINK_TIME_SCALE=${run.env.THINK_TIME_SCALE}`, run));
    expect(run.requested.filter((r) => r.includes(nowhere))).toEqual([]);
    return run;
  }

  beforeAll(async () => {
    // Broker URLs point where nothing listens: an agent-only run must never need them.
    nowhere = `http://127.0.0.1:${await freeLoopbackPort()}`;
    // Two single servers (one per transport) and a fleet of three, booted together (each takes 2-3 s).
    const started = await Promise.allSettled(
      Array.from({ length: 5 }, () => startRealAgentApi({ thinkMs: AGENT_THINK_MS })),
    );
    for (const s of started) if (s.status === "fulfilled") servers.push(s.value);
    const failure = started.find((s): s is PromiseRejectedResult => s.status === "rejected");
    if (failure) throw failure.reason;
    const [one, other, ...fleet] = servers as [RealAgentApi, RealAgentApi, ...RealAgentApi[]];
    fleetUrls = fleet.map((a) => a.url);

    // The three runs go concurrently, each against its own servers.
    const base = { brokerUrl: nowhere, scenarios: SCENARIOS, timeoutMs: 50_000 };
    // The fake agent costs nothing per prompt.
    const confirmed = { AGENT_ONLY: "true", CONFIRM_PROMPTS: "yes" };
    // One server shared by the three VUs, short pauses: mixed_workload prompts again before the agent settled.
    const single = (server: RealAgentApi, transport: EventsTransport): Promise<JourneyRun> =>
      runJourneys({
        ...base,
        agentApiUrl: server.url,
        env: { ...confirmed, THINK_TIME_SCALE: "0.1", TESTID: `real-single-${transport}` },
        iterationsByScenario: { mixed_workload: SCHEDULE_LENGTH, tool_execution: 4, list_tools: 4 },
        transport,
      });
    runs.set("one server, xk6-sse", single(one, "xk6-sse"));
    runs.set("one server, polling", single(other, "polling"));
    // The pauses of the fleet's VUs come from an agent's settle time measured now, under the two runs above.
    const settleMs = await settleTime(fleetUrls[0]!);
    runs.set(
      "fleet",
      runJourneys({
        ...base,
        agentApiUrl: fleetUrls[0]!,
        env: {
          ...confirmed,
          AGENTAPI_URLS: fleetUrls.join(","),
          THINK_TIME_SCALE: String(fleetThinkScale(settleMs)),
          TESTID: "real-fleet",
        },
        // mixed_workload (VU 1): two prompts at least MIN_PROMPT_GAP pauses apart, then the SSE step.
        iterationsByScenario: { mixed_workload: FLEET_MIXED_ITERATIONS, tool_execution: 3, list_tools: 3 },
      }),
    );
    for (const run of runs.values()) run.catch(() => undefined); // reported by the test that awaits it
  }, 30_000);

  afterAll(async () => {
    await Promise.allSettled(runs.values());
    await Promise.all(servers.map((s) => s.close()));
  }, 60_000);

  for (const transport of ["xk6-sse", "polling"] as const) {
    it(`one server, one VU per scenario (${transport}): busy refusals are counted, never failures`, async () => {
      const run = await finished(`one server, ${transport}`);
      expectHealthyRun(run, transport);
      // mixed_workload prompts again ≈ 1 s after a prompt it got in; the agent is stable again only ≈ 2.1 s later.
      const busy = sum(run.samples, "agent_busy_total", (s) => s.tags.scenario === "mixed_workload");
      expect(busy).toBeGreaterThanOrEqual(1);
    }, 50_000);
  }

  it("a fleet, one server per VU: each VU its own agent, and the pauses let it settle, so nothing is busy", async () => {
    const run = await finished("fleet");
    expectHealthyRun(run, "xk6-sse");
    // Each scenario's VU talked to one agent of the fleet, and no two VUs to the same one.
    const agentsOf = (scenario: string): string[] => [
      ...new Set(
        run.samples
          .filter((s) => s.metric === "http_reqs" && s.tags.scenario === scenario)
          .map((s) => new URL(s.tags.url ?? "").origin),
      ),
    ];
    expect(SCENARIOS.map(agentsOf)).toEqual(fleetUrls.map((u) => [u]));
    expect(sum(run.samples, "agent_busy_total")).toBe(0);
    const prompts = (scenario: string): string[] =>
      run.samples
        .filter((s) => s.metric === "http_reqs" && s.tags.endpoint === "message" && s.tags.scenario === scenario)
        .map((s) => s.tags.status ?? "");
    // mixed_workload's prompts were all taken.
    expect(FLEET_MIXED_PROMPTS).toBe(2);
    expect(prompts("mixed_workload")).toEqual(["200", "200"]);
    // tool_execution found its agent stable at every iteration, prompted it, and read the prompt back.
    expect(prompts("tool_execution")).toEqual(["200", "200", "200"]);
    const readBack = run.samples.filter(
      (s) => s.metric === "checks" && s.tags.check === "messages: contains the prompt just sent" && s.value === 1,
    );
    expect(readBack).toHaveLength(3);
  }, 50_000);
});
