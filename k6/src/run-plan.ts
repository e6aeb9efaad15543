// The run's plan, worked out once per VU in the init context from its configuration: the scenarios k6 runs, the
// threshold rows it is judged by (and whether its VUs share agents), and each prompting scenario's share of the
// prompt budget.

import { capacity } from "./capacity/run-capacity";
import { buildScenarios } from "./profiles";
import { splitPromptBudget } from "./prompt-plan";
import { config } from "./run-config";
import { runThresholds } from "./run-thresholds";

// A capacity run (capacity/plan.ts) is judged and budgeted as ramping plans at its VU pools' size.
export const scenarios =
  capacity?.asRamping ?? buildScenarios(config.profile, config.scenarios, config.vusFactor, config.timeScale);

export const judged = runThresholds(config, scenarios);

/** MAX_PROMPTS shared between the prompting scenarios (prompt-plan.ts); null without a budget. */
export const promptShares = config.maxPrompts === null ? null : splitPromptBudget(config.maxPrompts, scenarios);
