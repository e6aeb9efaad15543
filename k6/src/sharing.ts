// Whether the run's VUs share agents — the topology the AgentAPI thresholds depend on. A real AgentAPI server drives
// one agent and holds its lock for a whole send (≈ 1.1 s by upstream's design), so where several VUs talk to one
// agent (one server for all, or a fleet smaller than the VU count) every read that meets another VU's send waits
// for it. Known from the configuration alone: the largest VU id against the number of agents.
// Pure (no k6 imports): tests and tools compute the same answer.

import { agentCount, type AgentTargets } from "./agent-urls";
import { peakVus, type RampingScenario } from "./profiles";

/** own: each VU has an agent to itself. shared: some agent serves several VUs. */
export type AgentSharing = "own" | "shared";

/**
 * The largest VU id of a run: k6 numbers VUs across all scenarios of a run, each holding its own peak. (Split into
 * execution segments k6 rounds each runner's share up, so ids can pass it a little: scripts/k8s-render.ts prints that.)
 */
export function largestVuId(scenarios: Readonly<Record<string, RampingScenario>>): number {
  return Object.values(scenarios).reduce((sum, scenario) => sum + peakVus(scenario), 0);
}

/** VU v talks to agent ((v − 1) mod agents) + 1: agents are shared as soon as there are more VUs than agents. */
export function agentSharing(scenarios: Readonly<Record<string, RampingScenario>>, agents: AgentTargets): AgentSharing {
  return largestVuId(scenarios) > agentCount(agents) ? "shared" : "own";
}
