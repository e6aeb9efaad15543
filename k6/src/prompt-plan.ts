// The prompts a run may send to its agents, as numbers known before it starts: how fast each prompting journey can
// prompt at most (its think times), the worst case over the profile, and how a budget (MAX_PROMPTS) is shared
// between the prompting scenarios. Pure: setup() prints it, tests and tools compute the same.

import { PROMPTING_SCENARIOS, type PromptingScenario } from "./names";
import { parseDuration } from "./lib/duration";
import { peakVus, type RampingScenario } from "./profiles";
import { mixedSchedule } from "./scenarios/mixed-schedule";

/** Each prompting journey's think time after an iteration that may prompt, in seconds (× THINK_TIME_SCALE). */
export const PROMPT_THINK_SECONDS: Readonly<Record<PromptingScenario, readonly [min: number, max: number]>> = {
  tool_execution: [3, 8],
  mixed_workload: [1, 5],
  /** Reading the reply and deciding what to ask next. */
  agent_conversation: [5, 15],
};

/** Prompts per iteration at most: one for tool_execution and agent_conversation, mixed_workload's share of sends. */
function promptsPerIteration(scenario: PromptingScenario, agentOnly: boolean): number {
  if (scenario !== "mixed_workload") return 1;
  const schedule = mixedSchedule(agentOnly);
  return schedule.promptsPerCycle / schedule.cycle.length;
}

/** VU-seconds of a ramping-vus scenario: the area under its VU curve (linear ramps, as k6 ramps them). */
export function vuSeconds(scenario: RampingScenario): number {
  let from = scenario.startVUs;
  let area = 0;
  for (const stage of scenario.stages) {
    area += ((from + stage.target) / 2) * parseDuration(stage.duration);
    from = stage.target;
  }
  return area;
}

/**
 * The most prompts the run's schedule lets its journeys send: each VU-second of a prompting scenario, divided by the
 * shortest think time of one of its iterations, times its prompts per iteration. Requests themselves take time too,
 * so a real run sends fewer. Infinity without think times (THINK_TIME_SCALE=0).
 */
export function worstCasePrompts(
  scenarios: Readonly<Record<string, RampingScenario>>,
  thinkTimeScale: number,
  agentOnly: boolean,
): number {
  let total = 0;
  for (const name of PROMPTING_SCENARIOS) {
    const scenario = scenarios[name];
    if (scenario === undefined) continue;
    const seconds = vuSeconds(scenario);
    if (seconds === 0) continue;
    if (thinkTimeScale === 0) return Infinity;
    total += (seconds / (PROMPT_THINK_SECONDS[name][0] * thinkTimeScale)) * promptsPerIteration(name, agentOnly);
  }
  return Math.ceil(total);
}

/**
 * A budget shared between the prompting scenarios the run has, in proportion to their peak VUs (largest remainder,
 * ties in PROMPTING_SCENARIOS order): each scenario may send at most its share, so the run sends at most `budget`.
 */
export function splitPromptBudget(
  budget: number,
  scenarios: Readonly<Record<string, RampingScenario>>,
): Partial<Record<PromptingScenario, number>> {
  const peaks = PROMPTING_SCENARIOS.filter((name) => scenarios[name] !== undefined).map((name) => ({
    name,
    peak: peakVus(scenarios[name] as RampingScenario),
  }));
  const totalPeak = peaks.reduce((sum, p) => sum + p.peak, 0);
  const shares: Partial<Record<PromptingScenario, number>> = {};
  if (totalPeak === 0) return shares;
  const exact = peaks.map((p) => ({ name: p.name, value: (budget * p.peak) / totalPeak }));
  let left = budget;
  for (const e of exact) {
    shares[e.name] = Math.floor(e.value);
    left -= Math.floor(e.value);
  }
  const byRemainder = [...exact].sort((a, b) => b.value - Math.floor(b.value) - (a.value - Math.floor(a.value)));
  for (const e of byRemainder) {
    if (left <= 0) break;
    shares[e.name] = (shares[e.name] ?? 0) + 1;
    left--;
  }
  return shares;
}
