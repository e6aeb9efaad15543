// The part of a capacity plan a VU reads at every iteration: the step tags and which step and phase a moment of the
// run is in; and whether the environment asks for a capacity run. Apart from plan.ts so a VU keeps these and not the
// plan's parser (lib/lazy.ts).

/** The tags every sample of a capacity run carries (set per iteration through exec.vu.metrics.tags). */
export const STEP_TAG = "step";
export const PHASE_TAG = "phase";
export type StepPhase = "warmup" | "steady";

/** A step's place in the run, seconds from the scenarios' start (plan.ts CapacityStep). */
export interface StepSpan {
  index: number;
  steadyFromS: number;
  endS: number;
}

type Env = Readonly<Record<string, string | undefined>>;

/** True when the environment asks for a capacity run (CAPACITY=rate, or any CAPACITY_* setting). */
export function wantsCapacity(env: Env): boolean {
  return ["CAPACITY", "CAPACITY_RATES", "CAPACITY_MAX_RATE"].some((k) => (env[k] ?? "").trim() !== "");
}

/** The step and phase at `elapsedS` seconds from the scenarios' start (after the last step: the last one). */
export function stepAt(
  plan: { readonly steps: ReadonlyArray<StepSpan> },
  elapsedS: number,
): { step: number; phase: StepPhase } {
  const last = plan.steps[plan.steps.length - 1];
  const step = plan.steps.find((s) => elapsedS < s.endS) ?? last;
  if (step === undefined) return { step: 0, phase: "warmup" };
  return { step: step.index, phase: elapsedS >= step.steadyFromS && elapsedS < step.endS ? "steady" : "warmup" };
}
