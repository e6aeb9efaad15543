// The agent journeys (agent_conversation, event_watchers) through the harness against a fleet of REAL coder/agentapi
// servers driving the fake agent: every accepted prompt is a full turn — upstream's ≈ 1.1 s send, the fake agent's
// think time, then 2 s of a still screen — so agent_turn_duration (timed from the prompt's send) must be at least
// send + think + 2 s, every turn must
// end stable with its reply in /messages, and with one agent per conversation VU nothing is refused as busy.
// Skips without an agentapi binary (fails under CI=true): see tests/support/real-agentapi.ts.
import { afterAll, beforeAll, expect, it } from "vitest";
import { freeLoopbackPort } from "../../infra/agentapi-real/launch";
import { percentile, runJourneys, type JourneyRun, type MetricSample } from "../k6/harness/index";
import { describeRealAgentApi, startRealAgentApi, type RealAgentApi } from "../support/real-agentapi";

const THINK_MS = 1000;
const STABILITY_MS = 2000;
/** Upstream's send waits at least the first echo poll (50 ms) and 1 s of a still screen. */
const SEND_MIN_MS = 1050;
const CONVERSATION_VUS = 2;
const TURNS_PER_VU = 2;

const values = (samples: MetricSample[], metric: string): number[] =>
  samples
    .filter((s) => s.metric === metric)
    .map((s) => s.value)
    .sort((a, b) => a - b);
const total = (samples: MetricSample[], metric: string): number =>
  samples.filter((s) => s.metric === metric).reduce((n, s) => n + s.value, 0);

describeRealAgentApi("the agent journeys against a fleet of real agentapi servers", () => {
  let servers: RealAgentApi[] = [];
  let run: JourneyRun;

  beforeAll(async () => {
    servers = await Promise.all(
      Array.from({ length: CONVERSATION_VUS }, () => startRealAgentApi({ thinkMs: THINK_MS })),
    );
    const nowhere = `http://127.0.0.1:${await freeLoopbackPort()}`;
    run = await runJourneys({
      agentApiUrl: servers[0]!.url,
      brokerUrl: nowhere,
      scenarios: ["agent_conversation", "event_watchers"],
      // VUs 1..2 converse, each with its own server; VU 3 watches (it maps to server 1 and never prompts).
      vus: { agent_conversation: CONVERSATION_VUS, event_watchers: 1 },
      iterationsByScenario: { agent_conversation: TURNS_PER_VU, event_watchers: 3 },
      env: {
        AGENT_ONLY: "true",
        AGENTAPI_URLS: servers.map((s) => s.url).join(","),
        THINK_TIME_SCALE: "0.1",
        // The fake agent costs nothing per prompt.
        CONFIRM_PROMPTS: "yes",
        TESTID: "real-agent-turns",
      },
      timeoutMs: 50_000,
    });
    const turns = values(run.samples, "agent_turn_duration");
    console.log(
      `k6 agent journeys vs real agentapi [fleet of ${servers.length}, think ${THINK_MS} ms]: ` +
        `${total(run.samples, "agent_turns")} turns, agent_turn_duration p50 ${Math.round(percentile(turns, 0.5))} ms ` +
        `max ${Math.round(turns.at(-1) ?? NaN)} ms, agent_first_output max ` +
        `${Math.round(values(run.samples, "agent_first_output").at(-1) ?? NaN)} ms, watcher events ` +
        `${total(run.samples, "watcher_events")}, checks ${run.passedChecks}/${run.passedChecks + run.failedChecks}`,
    );
  }, 90_000);

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  it("runs without errors, failed checks or failed requests", () => {
    expect(run.errors).toEqual([]);
    expect(run.failedChecks).toBe(0);
    expect(run.passedChecks).toBeGreaterThan(10);
    expect(run.samples.filter((s) => s.metric === "http_req_failed" && s.value !== 0)).toEqual([]);
  });

  it("every turn takes upstream's send, the agent's think time and upstream's 2 s stability, and ends stable", () => {
    const turns = values(run.samples, "agent_turn_duration");
    expect(total(run.samples, "agent_turns")).toBe(CONVERSATION_VUS * TURNS_PER_VU);
    expect(turns).toHaveLength(CONVERSATION_VUS * TURNS_PER_VU);
    for (const ms of turns) expect(ms).toBeGreaterThanOrEqual(SEND_MIN_MS + THINK_MS + STABILITY_MS);
    expect(total(run.samples, "agent_turn_failures")).toBe(0);
    const firstOutputs = run.samples.filter((s) => s.metric === "agent_first_output");
    expect(firstOutputs).toHaveLength(CONVERSATION_VUS * TURNS_PER_VU);
    for (const s of firstOutputs) {
      expect(s.tags.observed_by).toBe("sse");
      // The reply shows once the send returned (≥ its echo wait), long before the turn ends.
      expect(s.value).toBeGreaterThanOrEqual(SEND_MIN_MS);
      expect(s.value).toBeLessThan(SEND_MIN_MS + THINK_MS + STABILITY_MS);
    }
  });

  it("gives each conversation its own agent: no prompt was refused as busy", () => {
    expect(total(run.samples, "agent_busy_total")).toBe(0);
    const agentsOf = new Set(
      run.samples
        .filter((s) => s.metric === "http_reqs" && s.tags.scenario === "agent_conversation")
        .map((s) => new URL(s.tags.url ?? "").origin),
    );
    expect(agentsOf.size).toBe(CONVERSATION_VUS);
  });

  it("watchers held streams on the working agents without drops", () => {
    expect(run.samples.some((s) => s.metric === "checks" && s.tags.check === "watch: stream opened")).toBe(true);
    expect(total(run.samples, "sse_streams_dropped")).toBe(0);
  });
});
