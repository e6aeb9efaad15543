// Real runs for the comparison tests: the suite's journeys through the Node harness against the in-process target
// (FAST timings), tagged with a testid, written to InfluxDB in xk6-output-influxdb's schema and, like k6's
// handleSummary does, to reports/<testid>/summary.json.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { SCENARIO_NAMES, type ScenarioName } from "../../../k6/src/names";
import { toLineProtocol } from "../../dashboards/helpers/line-protocol";
import type { RunningInfluxd } from "../../dashboards/helpers/influxd";
import { startReverseProxy, type ReverseProxy } from "../../support/reverse-proxy";
import { renderSummary, runJourneys, summarize, type JourneyRun } from "../../k6/harness/index";

/**
 * The journeys each run executes: the six seed journeys cover every AgentAPI and broker endpoint; the two agent
 * journeys (multi-second turns, 60 s watches) would only make each run slower.
 */
export const RUN_SCENARIOS: ScenarioName[] = SCENARIO_NAMES.filter(
  (name) => name !== "agent_conversation" && name !== "event_watchers",
);

export async function recordRun(agentApiUrl: string, brokerUrl: string, testid: string): Promise<JourneyRun> {
  const run = await runJourneys({
    agentApiUrl,
    brokerUrl,
    env: { TESTID: testid },
    scenarios: RUN_SCENARIOS,
    // Two VUs per journey (one VU's run-level luck averages out a little), few iterations each; list_tools and
    // mixed_workload repeat enough for ~30 GET /messages per run. COMPARE_VUS etc. change it for measurements.
    vus: Number(process.env.COMPARE_VUS ?? 2),
    iterations: Number(process.env.COMPARE_ITERATIONS ?? 4),
    iterationsByScenario: {
      list_tools: Number(process.env.COMPARE_LIST_ITERATIONS ?? 13),
      mixed_workload: Number(process.env.COMPARE_MIXED_ITERATIONS ?? 15),
    },
  });
  if (run.errors.length > 0) throw new Error(`run ${testid}: journeys threw: ${run.errors.join("; ")}`);
  return run;
}

export async function writeToInflux(influx: RunningInfluxd, run: JourneyRun): Promise<void> {
  const lines = run.samples.map(toLineProtocol);
  for (let i = 0; i < lines.length; i += 5000) await influx.write(lines.slice(i, i + 5000), "k6", "autogen");
}

/** reports/<testid>/summary.json under root, as the script's handleSummary renders it. */
export async function writeReport(root: string, run: JourneyRun, testid: string): Promise<string> {
  const reportDir = join(root, "reports", testid);
  const out = await renderSummary(summarize(run), { ...run.env, TESTID: testid, REPORT_DIR: reportDir });
  // Where handleSummary puts it follows REPORT_DIR (and the run's setup data); the content is what matters here.
  const key = Object.keys(out).find((k) => k.endsWith("summary.json"));
  const json = key === undefined ? undefined : out[key];
  if (json === undefined) throw new Error(`handleSummary wrote no summary.json (keys: ${Object.keys(out).join(", ")})`);
  const path = join(reportDir, "summary.json");
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, json);
  return reportDir;
}

/**
 * A loopback proxy in front of the target's AgentAPI listener that slows ONE endpoint: requests with this method
 * and path get the target's own fault header `X-Fault-Delay-Ms`, so the target waits that long before handling
 * them; everything else passes unchanged.
 */
export function startDelayProxy(
  targetUrl: string,
  delayed: { method: string; path: string; delayMs: number },
): Promise<ReverseProxy> {
  return startReverseProxy(targetUrl, (req, _res, forward) => {
    const path = (req.url ?? "/").split("?")[0];
    const slow = req.method === delayed.method && path === delayed.path;
    forward(slow ? { "x-fault-delay-ms": String(delayed.delayMs) } : {});
  });
}
