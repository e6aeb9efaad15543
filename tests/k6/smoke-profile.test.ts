// Would `PROFILE=smoke` against `npm run stub` pass its thresholds in real k6? No k6 here, so: run the smoke
// profile's scenarios through the harness against the stub with its default timings (upstream's waits, agent
// thinks 300-1500 ms, MCP tools at full latency) serving a fleet of one agent per VU, as a real deployment runs
// one AgentAPI server per workspace; about as many iterations per VU as 40 s of smoke gives in k6, with think
// times shortened 20x; then judge the script's own options.thresholds over the samples with k6's arithmetic, and
// feed the result through handleSummary.
import { XMLParser } from "fast-xml-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../infra/agentapi-stub/src/config";
import { startStub } from "../../infra/agentapi-stub/src/stub";
import { AGENT_ONLY_SCENARIOS, SCENARIO_NAMES } from "../../k6/src/names";
import { evaluateThresholds, renderSummary, runJourneys, summarize, type JourneyRun } from "./harness/index";
import type { RunningStub } from "./helpers";

/** Iterations one VU completes in the smoke profile's 40 s, from each journey's think time (mean) plus requests. */
const SMOKE_ITERATIONS = {
  authentication: 12,
  mcp_connection: 9,
  tool_execution: 7,
  list_tools: 15,
  disconnect: 18,
  mixed_workload: 20,
  // A turn takes ≈ 1.1 s (send) + think + 2 s stability, then 5-15 s of reading: about 3 turns in 40 s.
  agent_conversation: 3,
  // A watch lasts until the watched agent is stable again (or at once if it is idle).
  event_watchers: 10,
};

describe("PROFILE=smoke against the stub's defaults", () => {
  let stub: RunningStub;
  let run: JourneyRun;
  const agents = SCENARIO_NAMES.length; // smoke: 1 VU per scenario
  let env: Record<string, string>;

  beforeAll(async () => {
    // `npm run stub`'s configuration (config defaults) with STUB_AGENTS, on random ports.
    stub = await startStub({
      ...loadConfig({ STUB_LOG_LEVEL: "silent", STUB_AGENTS: String(agents) }),
      agentApiPort: 0,
      brokerPort: 0,
    });
    await stub.agentsStable();
    env = {
      PROFILE: "smoke",
      THINK_TIME_SCALE: "0.05",
      REPORT_DIR: "out/smoke",
      TESTID: "smoke-check",
      AGENTAPI_URL_TEMPLATE: `${stub.agentApiUrl}/agents/{agent}`,
      AGENTS: String(agents),
    };
    run = await runJourneys({
      agentApiUrl: stub.agentApiUrl,
      brokerUrl: stub.brokerUrl,
      env,
      iterationsByScenario: SMOKE_ITERATIONS,
    });
  }, 90_000);

  afterAll(async () => {
    await stub.close();
  });

  it("runs every scenario at 1 VU with no failed check", () => {
    expect(Object.keys(run.options.scenarios ?? {})).toEqual([...SCENARIO_NAMES]);
    expect(run.errors).toEqual([]);
    expect(run.failedChecks).toBe(0);
    // Each VU talked to its own agent of the fleet (setup checks the first and the last), never to the root path.
    const agentApiRequests = run.requested.filter((r) => r.includes(stub.agentApiUrl));
    expect(agentApiRequests.filter((r) => !r.includes("/agents/"))).toEqual([]);
    const agentsUsed = new Set(agentApiRequests.map((r) => /\/agents\/(\d+)\//.exec(r)?.[1]));
    expect(agentsUsed.size).toBeGreaterThanOrEqual(AGENT_ONLY_SCENARIOS.length);
  });

  it("meets every threshold in the script's options, judged as k6 judges them", () => {
    const outcomes = evaluateThresholds(run.samples, run.options.thresholds ?? {}, run.durationMs);
    expect(outcomes.length).toBeGreaterThanOrEqual(30);
    const failed = outcomes
      .filter((o) => !o.ok)
      .map((o) => `${o.key} ${o.expression} (observed ${o.observed.toFixed(3)}, ${o.samples} samples)`);
    expect(failed).toEqual([]);
    // Rate thresholds were fed, not passed vacuously.
    for (const o of outcomes.filter((x) => x.expression.startsWith("rate")))
      expect(o.samples, o.key).toBeGreaterThan(0);
  });

  it("handleSummary writes passing reports to REPORT_DIR and a PASSED line on stdout", async () => {
    const out = await renderSummary(summarize(run), env);
    expect(Object.keys(out).sort()).toEqual([
      "out/smoke/junit.xml",
      "out/smoke/summary.html",
      "out/smoke/summary.json",
      "stdout",
    ]);
    expect(out.stdout).toMatch(/agentapi-load PASSED: (\d+)\/\1 thresholds met \(profile smoke/);
    const junit = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "" }).parse(
      out["out/smoke/junit.xml"] ?? "",
    ) as {
      testsuites: { tests: string; failures: string };
    };
    expect(Number(junit.testsuites.tests)).toBeGreaterThanOrEqual(30);
    expect(junit.testsuites.failures).toBe("0");
    const html = out["out/smoke/summary.html"] ?? "";
    expect(html).toContain("PASS —");
    for (const key of Object.keys(run.options.thresholds ?? {})) {
      if ((run.options.thresholds?.[key]?.length ?? 0) > 0) expect(html).toContain(key);
    }
  });
});
