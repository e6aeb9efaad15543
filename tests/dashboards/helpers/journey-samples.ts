// Real k6 samples for the dashboard tests: the suite's journeys run by the k6 engineer's Node harness against the
// in-process target, tagged with a testid exactly as `k6 run --tag testid=…` (TESTID) tags them.
import { closedPortUrl, startTarget } from "../../k6/helpers";
import { runJourneys, type JourneyRun, type MetricSample } from "../../k6/harness/index";
import { startFlakyProxy } from "./flaky-proxy";

export type { MetricSample } from "../../k6/harness/index";

function assertClean(run: JourneyRun, what: string): void {
  if (run.errors.length > 0) throw new Error(`${what}: journeys threw: ${run.errors.join("; ")}`);
}

/**
 * One test run as the dashboard sees it: every journey against a healthy target (two VUs sharing the agent in
 * tool_execution and mixed_workload, so prompts collide as under load; 20 mixed iterations walk its whole
 * operation schedule, SSE and token refresh included), then the same testid against a struggling target (SSE
 * streams that end early, injected 503s, an MCP server that refuses connections, an agent slow enough that the
 * mixed workload's back-to-back prompts find it busy) — so the error panels have something to show too.
 */
export async function recordRun(testid: string): Promise<MetricSample[]> {
  const healthy = await startTarget();
  let samples: MetricSample[];
  try {
    const run = await runJourneys({
      agentApiUrl: healthy.agentApiUrl,
      brokerUrl: healthy.brokerUrl,
      env: { TESTID: testid },
      iterations: 2,
      iterationsByScenario: { mixed_workload: 20 },
      vus: { tool_execution: 2, mixed_workload: 2 },
    });
    assertClean(run, "healthy run");
    samples = run.samples;
  } finally {
    await healthy.close();
  }

  // No think time in the harness, so the next prompt of the schedule arrives well within the agent's 800 ms.
  const struggling = await startTarget({ thinkMs: { min: 800, max: 1000 } });
  const proxy = await startFlakyProxy(struggling.agentApiUrl);
  try {
    const run = await runJourneys({
      agentApiUrl: proxy.url,
      brokerUrl: struggling.brokerUrl,
      env: { TESTID: testid, MCP_URL: `${await closedPortUrl()}/mcp` },
      scenarios: ["mixed_workload", "mcp_connection"],
      iterations: 1,
      iterationsByScenario: { mixed_workload: 20 },
    });
    assertClean(run, "struggling run");
    return [...samples, ...run.samples];
  } finally {
    await proxy.close();
    await struggling.close();
  }
}

/**
 * A second, small run (one journey) to share the database with the first. `transport: "acp"` runs it against the
 * target in upstream's ACP mode with AGENTAPI_TRANSPORT=acp, so its samples carry `transport=acp` as a real ACP run's.
 */
export async function recordSmallRun(
  testid: string,
  { transport = "pty" }: { transport?: "pty" | "acp" } = {},
): Promise<MetricSample[]> {
  const target = await startTarget({ transport });
  try {
    const run = await runJourneys({
      agentApiUrl: target.agentApiUrl,
      brokerUrl: target.brokerUrl,
      env: { TESTID: testid, AGENTAPI_TRANSPORT: transport },
      scenarios: ["list_tools"],
      iterations: 1,
    });
    assertClean(run, "small run");
    return run.samples;
  } finally {
    await target.close();
  }
}
