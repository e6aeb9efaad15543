// The prompt budget (MAX_PROMPTS) as each prompting journey meets it: an iteration may send its prompt only if the
// prompt's ordinal — run-wide in its scenario, derived from exec.scenario.iterationInTest — is below the scenario's
// share. k6 gives every iteration of a scenario its own iterationInTest, on every instance of a distributed run
// (execution segments stripe them), so no two prompts can take the same place and the run as a whole sends at most
// MAX_PROMPTS, without the instances talking to each other. A journey that may not prompt keeps reading.

import exec from "k6/execution";
import { metrics } from "./metrics";
import type { PromptingScenario } from "./names";
import { config } from "./run-config";
import { loadRunPlanModule } from "./run-plan-load";

// The VU's shares, worked out on its first prompt from the run's plan (built for that one call: run-plan-load.ts).
let shares: Readonly<Partial<Record<PromptingScenario, number>>> | null | undefined;

/** May the prompt with this ordinal (0-based, run-wide in the current scenario) be sent? Counts prompts_withheld. */
export function mayPrompt(ordinal: number): boolean {
  if (config.maxPrompts === null) return true;
  shares ??= loadRunPlanModule().promptShares();
  if (shares === null) return true;
  const share = shares[exec.scenario.name as PromptingScenario] ?? 0;
  if (ordinal < share) return true;
  metrics.promptsWithheld.add(1);
  return false;
}

/** The current iteration's number in its scenario, run-wide (the ordinal of journeys that prompt at most once each). */
export function scenarioIteration(): number {
  return exec.scenario.iterationInTest;
}
