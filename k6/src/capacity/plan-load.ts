// Where run-capacity.ts gets the plan's parser (plan.ts), built for one call in VU 0 in a capacity run, whose result
// the VUs receive through a SharedArray (k6/lazy-modules.mjs; see config-load.ts). As written here it imports plan.ts
// eagerly.

import * as module from "./plan";

export function loadCapacityModule(): typeof module {
  return module;
}
