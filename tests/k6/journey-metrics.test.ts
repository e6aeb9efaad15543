// A VU declares only the custom metrics its run's journeys record (k6/src/journey-metrics.ts): each journey's list
// is what the modules it reaches record, and each journey run alone — in full and in agent-only runs — records
// nothing it did not declare (the harness's k6/metrics, like k6, refuses a metric declared after init, and
// metrics.ts's placeholder throws on add).
import { build } from "esbuild";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JOURNEYS } from "../../k6/lazy-modules.mjs";
import { journeyMetrics } from "../../k6/src/journey-metrics";
import { customMetrics } from "../../k6/src/metric-catalog";
import { AGENT_ONLY_SCENARIOS, SCENARIO_NAMES, type ScenarioName } from "../../k6/src/names";
import { runJourneys } from "./harness/index";
import { startTarget, type RunningStub } from "./helpers";

const SRC = join(__dirname, "../../k6/src");
const METRICS_TS = join(SRC, "metrics.ts");

/** `metrics.<member>` → metric name, from metrics.ts (`member: trend("name")`, and total_requests' two members). */
function metricNamesByMember(): Map<string, string> {
  const source = readFileSync(METRICS_TS, "utf8");
  const byMember = new Map<string, string>([
    ["totalRequests", "total_requests"],
    ["flushRequestCounts", "total_requests"],
  ]);
  for (const m of source.matchAll(/^\s+(\w+): (?:counter|gauge|rate|trend)\("(\w+)"\),$/gm)) {
    byMember.set(m[1] as string, m[2] as string);
  }
  return byMember;
}

/** A journey's module, as the k6 build bundles it (k6/lazy-modules.mjs). */
function entryOf(scenario: ScenarioName): string {
  const journey = JOURNEYS.find((j) => j.key === scenario);
  if (journey === undefined) throw new Error(`k6/lazy-modules.mjs builds no journey ${scenario}`);
  return journey.entry;
}

/** The metric names a journey's reachable modules record into (its broker steps' too: broker-steps.ts). */
async function recordedBy(scenario: ScenarioName, byMember: Map<string, string>): Promise<string[]> {
  const result = await build({
    entryPoints: [entryOf(scenario)],
    bundle: true,
    write: false,
    metafile: true,
    format: "esm",
    platform: "neutral",
    external: ["k6", "k6/*"],
    logLevel: "silent",
  });
  const names = new Set<string>();
  for (const input of Object.keys(result.metafile.inputs)) {
    const path = join(process.cwd(), input);
    if (path === METRICS_TS) continue;
    for (const m of readFileSync(path, "utf8").matchAll(/\bmetrics\.(\w+)/g)) {
      const name = byMember.get(m[1] as string);
      if (name !== undefined) names.add(name);
    }
  }
  return [...names].sort();
}

describe("journey-metrics", () => {
  it("reads every custom metric's member from metrics.ts", () => {
    const names = [...new Set(metricNamesByMember().values())].sort();
    expect(names).toEqual(
      customMetrics()
        .map((m) => m.name)
        .sort(),
    );
  });

  // Modules, not calls: list_tools and mixed_workload reach broker-steps.ts, whose tools/call step only
  // tool_execution runs; the table may leave out what a journey cannot call (the runs below prove it).
  it.each(SCENARIO_NAMES)("%s declares what the modules it reaches record", async (scenario) => {
    const recorded = await recordedBy(scenario, metricNamesByMember());
    const declared = new Set<string>(journeyMetrics([scenario], false));
    const toolCall = ["tool_execution_duration", "tool_execution_success_rate"];
    const missing = recorded.filter((name) => !declared.has(name));
    expect(missing.filter((name) => scenario === "tool_execution" || !toolCall.includes(name))).toEqual([]);
    expect([...declared].filter((name) => !recorded.includes(name))).toEqual([]);
  });

  it("an agent-only run declares fewer: no broker or MCP metric", () => {
    const full = journeyMetrics(["list_tools"], false);
    const agentOnly = journeyMetrics(["list_tools"], true);
    expect(agentOnly.length).toBeLessThan(full.length);
    for (const name of agentOnly) expect(full).toContain(name);
    expect([...agentOnly].filter((n) => /^(auth|mcp)_|token_refresh|active_connections/.test(n))).toEqual([]);
  });
});

describe("each journey alone records only what its VUs declared", () => {
  let stub: RunningStub;

  beforeAll(async () => {
    stub = await startTarget({ agents: 2 });
  });

  afterAll(async () => {
    await stub.close();
  });

  const cases = [
    ...SCENARIO_NAMES.map((scenario) => ({ scenario, agentOnly: false })),
    ...AGENT_ONLY_SCENARIOS.map((scenario) => ({ scenario, agentOnly: true })),
  ];

  it.each(cases)(
    "$scenario (agent-only: $agentOnly)",
    async ({ scenario, agentOnly }) => {
      const run = await runJourneys({
        agentApiUrl: stub.agentApiUrl,
        brokerUrl: stub.brokerUrl,
        env: {
          SCENARIOS: scenario,
          AGENTAPI_URL_TEMPLATE: `${stub.agentApiUrl}/agents/{agent}`,
          AGENTS: "2",
          ...(agentOnly ? { AGENT_ONLY: "true" } : {}),
        },
        scenarios: [scenario],
        iterations: scenario === "mixed_workload" ? 20 : 3,
      });
      expect(run.errors).toEqual([]);
      const custom = new Set<string>(customMetrics().map((m) => m.name));
      const declared = new Set<string>(journeyMetrics([scenario], agentOnly));
      const recorded = new Set(run.samples.map((s) => s.metric).filter((name) => custom.has(name)));
      expect([...recorded].filter((name) => !declared.has(name))).toEqual([]);
      expect(recorded.size).toBeGreaterThan(0);
    },
    60_000,
  );
});
