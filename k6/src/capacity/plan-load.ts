// Where run-capacity.ts gets the plan's parser (plan.ts), built and let go once per VU in a capacity run
// (k6/lazy-modules.mjs; see config-load.ts). As written here it imports plan.ts eagerly.

import * as module from "./plan";

export function loadCapacityModule(): typeof module {
  return module;
}
