// The run's plan, worked out from its configuration on first use: the scenarios k6 runs, the threshold rows it is
// judged by (and whether its VUs share agents), and each prompting scenario's share of the prompt budget. Built
// where it is read — the options context (VU 0: options, setup, handleSummary) always, a VU only for its prompt
// share when MAX_PROMPTS is set — not by every VU's init (lib/lazy.ts).

import { capacity } from "./capacity/run-capacity";
import { once } from "./lib/lazy";
import { buildScenarios, PROFILES } from "./profiles";
import { splitPromptBudget } from "./prompt-plan";
import { config } from "./run-config";
import { runThresholds } from "./run-thresholds";

// A capacity run (capacity/plan.ts) is judged and budgeted as ramping plans at its VU pools' size.
export const scenarios = once(
  () =>
    capacity?.asRamping ??
    buildScenarios(PROFILES[config.profile.name], config.scenarios, config.vusFactor, config.timeScale),
);

export const judged = once(() => runThresholds(config, scenarios()));

/** MAX_PROMPTS shared between the prompting scenarios (prompt-plan.ts); null without a budget. */
export const promptShares = once(() =>
  config.maxPrompts === null ? null : splitPromptBudget(config.maxPrompts, scenarios()),
);
