// A fleet at scale: the agent journeys drive 50 agents of the faithful target (upstream's timings, STUB_AGENTS)
// at once, each conversation VU with its own agent — as a real deployment runs one AgentAPI server per workspace.
// No prompt may meet a busy agent, every turn must end stable with its reply, and the agent metrics must be there
// for the dashboards and thresholds.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../infra/agentapi-stub/src/config";
import { startStub, type RunningStub } from "../../infra/agentapi-stub/src/stub";
import { selectThresholds, thresholdKey } from "../../k6/src/thresholds";
import { evaluateThresholds, runJourneys, type JourneyRun, type MetricSample } from "./harness/index";

const CONVERSATIONS = 44;
const WATCHERS = 6;
const AGENTS = CONVERSATIONS + WATCHERS;

const total = (samples: MetricSample[], metric: string): number =>
  samples.filter((s) => s.metric === metric).reduce((n, s) => n + s.value, 0);

describe(`a fleet of ${AGENTS} agents on the faithful target`, () => {
  let stub: RunningStub;
  let run: JourneyRun;

  beforeAll(async () => {
    // `npm run stub`'s defaults (upstream's timings, agent thinks 300-1500 ms) with a fleet.
    stub = await startStub({
      ...loadConfig({ STUB_LOG_LEVEL: "silent", STUB_AGENTS: String(AGENTS) }),
      agentApiPort: 0,
      brokerPort: 0,
    });
    await stub.agentsStable();
    run = await runJourneys({
      agentApiUrl: stub.agentApiUrl,
      brokerUrl: stub.brokerUrl,
      scenarios: ["agent_conversation", "event_watchers"],
      vus: { agent_conversation: CONVERSATIONS, event_watchers: WATCHERS },
      iterationsByScenario: { agent_conversation: 2, event_watchers: 2 },
      env: {
        PROFILE: "local",
        TIME_SCALE: "0.1",
        THINK_TIME_SCALE: "0.05",
        AGENT_ONLY: "true",
        AGENTAPI_URL_TEMPLATE: `${stub.agentApiUrl}/agents/{agent}`,
        AGENTS: String(AGENTS),
        TESTID: "fleet-check",
      },
      timeoutMs: 90_000,
    });
  }, 150_000);

  afterAll(async () => {
    await stub?.close();
  });

  it("runs every VU without errors or failed checks", () => {
    expect(run.errors).toEqual([]);
    expect(run.failedChecks).toBe(0);
    expect(run.samples.filter((s) => s.metric === "http_req_failed" && s.value !== 0)).toEqual([]);
  });

  it(`gives every conversation its own agent: no busy refusal, ${CONVERSATIONS} agents prompted`, () => {
    expect(total(run.samples, "agent_busy_total")).toBe(0);
    const prompted = new Set(
      run.samples
        .filter((s) => s.metric === "http_reqs" && s.tags.endpoint === "message")
        .map((s) => /\/agents\/(\d+)\//.exec(s.tags.url ?? "")?.[1]),
    );
    expect(prompted.size).toBeGreaterThanOrEqual(CONVERSATIONS);
  });

  it("records the agent metrics, and the agent threshold rows hold", () => {
    const turns = total(run.samples, "agent_turns");
    expect(turns).toBeGreaterThanOrEqual(CONVERSATIONS);
    expect(run.samples.filter((s) => s.metric === "agent_turn_duration")).toHaveLength(turns);
    expect(run.samples.filter((s) => s.metric === "agent_first_output")).toHaveLength(turns);
    expect(total(run.samples, "agent_turn_failures")).toBe(0);
    // Upstream's send (≥ 1.05 s) + the agent's think (≥ 300 ms) + 2 s of stillness, for every turn.
    for (const s of run.samples.filter((x) => x.metric === "agent_turn_duration"))
      expect(s.value).toBeGreaterThan(3350);
    const agentRows = selectThresholds(["agent_conversation", "event_watchers"], true).filter((r) =>
      ["agent_turn_duration", "agent_first_output", "agent_turn_failures", "sse_streams_dropped"].includes(r.metric),
    );
    const keys = new Set(agentRows.map(thresholdKey));
    const outcomes = evaluateThresholds(run.samples, run.options.thresholds ?? {}, run.durationMs).filter((o) =>
      keys.has(o.key),
    );
    expect(outcomes.length).toBeGreaterThanOrEqual(4);
    expect(outcomes.filter((o) => !o.ok).map((o) => `${o.key} ${o.expression} ${o.observed}`)).toEqual([]);
  });
});
