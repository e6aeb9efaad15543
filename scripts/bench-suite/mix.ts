// The local profile's mix of journeys, for costs measured per journey: each journey weighs what it sends at its
// peak — peak VUs × iterations per second of one VU — so "per request of the mix" means per request of a run of the
// full (`local`) profile. Shared by `npm run bench:suite` and tests/k6/cost.test.ts. Pure: no k6, no harness.
import { buildScenarios, PROFILES, peakVus, scheduleSeconds, vusAt, type RampingScenario } from "../../k6/src/profiles";
import { SCENARIO_NAMES, type ScenarioName } from "../../k6/src/names";

/**
 * How long one iteration of each journey lasts on the full profile (THINK_TIME_SCALE=1, the reference target with
 * upstream's timings): its think time's mean plus the time its requests take there. Requests are ms unless noted.
 */
export const NOMINAL_ITERATION_S: Readonly<Record<ScenarioName, { seconds: number; why: string }>> = {
  authentication: { seconds: 3.1, why: "think 1-5 s + six broker calls" },
  mcp_connection: { seconds: 4.1, why: "think 2-6 s + nine broker/MCP calls" },
  tool_execution: { seconds: 6.8, why: "think 3-8 s + tools/call (mean 0.18 s) + a prompt (≈ 1.1 s) when stable" },
  list_tools: { seconds: 2.6, why: "think 1-4 s + three reads" },
  disconnect: { seconds: 2.2, why: "think 1-3 s + ten broker/MCP calls" },
  mixed_workload: { seconds: 3.3, why: "think 1-5 s + one call, one in five a prompt (≈ 1.1 s)" },
  agent_conversation: { seconds: 14, why: "think 5-15 s + send ≈ 1.1 s + the agent's 0.3-1.5 s + 2 s still" },
  event_watchers: { seconds: 3, why: "think 1-3 s + a watch: at once on a stable agent, ≤ 60 s on a running one" },
};

const LOCAL: Readonly<Record<string, RampingScenario>> = buildScenarios(PROFILES.local, SCENARIO_NAMES, 1);

/** Iterations per second each journey runs at its peak on the local profile. */
export function peakIterationRate(name: ScenarioName): number {
  const scenario = LOCAL[name];
  return scenario ? peakVus(scenario) / NOMINAL_ITERATION_S[name].seconds : 0;
}

/** What one journey sent and recorded over a measured run. */
export interface JourneyCount {
  iterations: number;
  requests: number;
  /** Samples by metric name. */
  samples: Record<string, number>;
}

/**
 * Samples per HTTP request of the mix, for the metrics `pick` selects (all by default): Σ rate × samples per
 * iteration over Σ rate × requests per iteration, rate = the journey's peak iterations per second.
 */
export function mixPerRequest(
  counts: Partial<Record<ScenarioName, JourneyCount>>,
  pick: (metric: string) => boolean = () => true,
): number {
  let samples = 0;
  let requests = 0;
  for (const name of SCENARIO_NAMES) {
    const c = counts[name];
    if (!c || c.iterations === 0) continue;
    const rate = peakIterationRate(name) / c.iterations;
    for (const [metric, n] of Object.entries(c.samples)) if (pick(metric)) samples += rate * n;
    requests += rate * c.requests;
  }
  return requests === 0 ? 0 : samples / requests;
}

/**
 * Iterations one VU runs over the local profile, on average: the scenario's VU-seconds over its peak VUs, divided by
 * the iteration's length. The bench runs each VU for that many, so what grows per VU over a run — the conversation
 * of its own agent, which every GET /events replays — grows as much as in a real run.
 */
export function iterationsPerVu(name: ScenarioName): number {
  const s = LOCAL[name];
  if (!s) return 0;
  const end = scheduleSeconds({ [name]: s });
  let vuSeconds = 0;
  for (let t = 0; t < end; t++) vuSeconds += vusAt(s, t + 0.5);
  return vuSeconds / peakVus(s) / NOMINAL_ITERATION_S[name].seconds;
}

/** The local profile's busiest second: requests/s and samples (= InfluxDB points)/s, and when. */
export function busiestSecond(counts: Partial<Record<ScenarioName, JourneyCount>>): {
  atSeconds: number;
  requestsPerSecond: number;
  pointsPerSecond: number;
} {
  const end = scheduleSeconds(LOCAL);
  let best = { atSeconds: 0, requestsPerSecond: 0, pointsPerSecond: 0 };
  for (let t = 0; t <= end; t++) {
    let requests = 0;
    let points = 0;
    for (const name of SCENARIO_NAMES) {
      const c = counts[name];
      const s = LOCAL[name];
      if (!c || !s || c.iterations === 0) continue;
      const iterationsPerSecond = vusAt(s, t) / NOMINAL_ITERATION_S[name].seconds;
      requests += (iterationsPerSecond * c.requests) / c.iterations;
      points += (iterationsPerSecond * Object.values(c.samples).reduce((a, b) => a + b, 0)) / c.iterations;
    }
    if (points > best.pointsPerSecond) best = { atSeconds: t, requestsPerSecond: requests, pointsPerSecond: points };
  }
  return best;
}

/** Per-journey counts from a harness run's samples (samples outside any scenario — setup, teardown, vus — left out). */
export function countByJourney(
  samples: ReadonlyArray<{ metric: string; tags: Record<string, string> }>,
): Partial<Record<ScenarioName, JourneyCount>> {
  const out: Partial<Record<ScenarioName, JourneyCount>> = {};
  for (const s of samples) {
    const name = s.tags.scenario as ScenarioName | undefined;
    if (name === undefined || !SCENARIO_NAMES.includes(name)) continue;
    const c = (out[name] ??= { iterations: 0, requests: 0, samples: {} });
    c.samples[s.metric] = (c.samples[s.metric] ?? 0) + 1;
    if (s.metric === "iterations") c.iterations++;
    if (s.metric === "http_reqs") c.requests++;
  }
  return out;
}
