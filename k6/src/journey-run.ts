// One iteration of a journey as k6 runs it: in a capacity run, the VU's tags first get the iteration's step
// (capacity/step-tags.ts); then the journey, built on its first call in this VU (journeys-load.ts); then what is
// counted once per iteration (lib/iteration.ts endIteration) — also when the journey throws.

import { capacity } from "./capacity/run-capacity";
import { tagStep } from "./capacity/step-tags";
import { endIteration } from "./lib/iteration";
import { loadJourney } from "./journeys-load";
import type { ScenarioName } from "./names";

export function runJourney(name: ScenarioName): void {
  if (capacity !== null) tagStep(capacity);
  try {
    loadJourney(name)();
  } finally {
    endIteration();
  }
}
