// Every sample of a capacity run says which step it belongs to: at the start of each iteration the VU's tags
// (exec.vu.metrics.tags, k6 ≥ v0.42) get `step` and `phase` from the time since the scenario started, so the
// iteration's requests, checks, custom metrics and k6's own iteration_duration / iterations carry them. An
// iteration belongs to the step it started in; steps last several iterations and the warm-up leaves out the start
// of each, so an iteration that spills into the next step counts where its load was offered.

import exec from "k6/execution";
import { PHASE_TAG, STEP_TAG, stepAt, type StepSpan } from "./steps";

/** Tags the VU with the step and phase the iteration starting now belongs to (journey-run.ts). */
export function tagStep(plan: { readonly steps: ReadonlyArray<StepSpan> }): void {
  const elapsedS = (Date.now() - exec.scenario.startTime) / 1000;
  const { step, phase } = stepAt(plan, elapsedS);
  exec.vu.metrics.tags[STEP_TAG] = String(step);
  exec.vu.metrics.tags[PHASE_TAG] = phase;
}
