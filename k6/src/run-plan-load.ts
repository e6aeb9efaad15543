// Where a VU gets the run's plan (run-plan.ts) when it needs its prompt share: built, read and let go once per VU,
// only under MAX_PROMPTS (k6/lazy-modules.mjs; see config-load.ts). As written here it imports run-plan.ts eagerly.

import * as module from "./run-plan";

export function loadRunPlanModule(): typeof module {
  return module;
}
