// The capacity search's verdict, from the run's own samples in the metrics store: each step judged by the run's SLO
// rows (the threshold rows that apply to the mix, run-thresholds.ts) over that step's steady points only (tags
// step:<n>, phase:steady), and by the generator's headroom — did it start the iterations the step planned?
//
// Per step:
//   held              every row held (rows without a sample in the step are not judged) and the generator started
//                     ≥ 95 % of the planned iterations;
//   generator-limited the generator started < 95 % of them while iterations ran at the pace of the first step (≤ 2×
//                     its mean iteration duration): too few VUs (maxVUs) or too little CPU on the generator, so the
//                     step says nothing about the target at this load — whatever its rows say;
//   target-limited    a row breached, or the iterations slowed past 2× the first step's and the pool ran dry (an
//                     arrival-rate executor needs rate × iteration-duration VUs: slow answers hold them);
//   undecided         none breached but one straddles its limit at the store's resolution (Prometheus buckets).
// The search: the first step that is not "held" decides — target-limited: the knee (the highest held step is the
// step before it); generator-limited: no knee was found below the generator's own limit; all held: the target took
// the top step.
import type { CapacityPlan, CapacityStep } from "../../k6/src/capacity/plan";
import { PHASE_TAG, plannedSteadyIterations, STEP_TAG } from "../../k6/src/capacity/plan";
import type { ScenarioName } from "../../k6/src/names";
import type { ThresholdRow } from "../../k6/src/thresholds";
import type { KeyStats, RunSpan, RunStore } from "../store/types";
import { evaluateRun, type GlobalOutcome } from "../thresholds/evaluate";

/** The generator kept up when it started at least this share of a step's planned iterations. */
export const DELIVERY_FLOOR = 0.95;
/** Iterations this many times slower than the first step's: the target, not the generator, held the VUs. */
export const SLOWDOWN_FACTOR = 2;

export type StepVerdict = "held" | "target-limited" | "generator-limited" | "undecided" | "no samples";
export type SearchOutcome = "knee" | "all-held" | "generator-limited" | "undecided" | "no-samples";

/** Exit codes of `npm run capacity` (also in k6/README.md, "Capacity search"). */
export const EXIT = {
  /** A knee was found, or every step held. */
  found: 0,
  badInput: 2,
  /** The run has no step-tagged samples (not a capacity run, or nothing ran). */
  noSamples: 3,
  /** The generator ran out of headroom before any step broke: no knee below its limit. */
  generatorLimited: 4,
  /** The metrics store could not be read. */
  store: 5,
  /** k6 failed (other than setup's stop, which keeps k6's 108). */
  k6Failed: 6,
  /** The first step that was not held is undecided at the store's resolution (as `npm run thresholds`). */
  undecided: 97,
} as const;

export interface StepResult {
  step: number;
  /** Planned iterations/s of the mix. */
  rate: number;
  /** Iterations/s the generator started in the steady part. */
  startedRate: number;
  /** started / planned. */
  delivered: number;
  iterationMs: number | null;
  /** p95 / p99 of http_req_duration{kind:call}, error rate (http_req_failed), requests/s — null without samples. */
  p95Ms: number | null;
  p99Ms: number | null;
  errorRate: number | null;
  requestRate: number | null;
  verdict: StepVerdict;
  /** What broke the step: breached rows (`key expression observed`) or the generator's / throughput's shortfall. */
  broke: string[];
  outcomes: GlobalOutcome[];
}

/** The generator over the whole run (k6's own metrics, not step-tagged: no VU emits them). */
export interface GeneratorTotals {
  /** k6's dropped_iterations: due when no VU of the pool was idle. */
  droppedIterations: number;
  /** The most VUs k6 had (the `vus` gauge) against the pools' total (maxVUs). */
  vusMax: number | null;
  poolSize: number;
}

export interface CapacityResult {
  testid: string;
  /** epoch ms of the run's first sample (setup's, a moment before the scenarios start). */
  runStart: number;
  generator: GeneratorTotals;
  outcome: SearchOutcome;
  exitCode: number;
  /** The highest step before the first one that was not held (null: the first step already broke). */
  highestHeld: StepResult | null;
  /** The first step that was not held. */
  firstNotHeld: StepResult | null;
  steps: StepResult[];
  summary: string;
}

const stepTags = (step: CapacityStep): Record<string, string> => ({
  [STEP_TAG]: String(step.index),
  [PHASE_TAG]: "steady",
});

async function stat(
  store: RunStore,
  testid: string,
  info: RunSpan,
  metric: string,
  tags: Record<string, string>,
  statistics: string[] = [],
): Promise<KeyStats | undefined> {
  if (!info.measurements.includes(metric)) return undefined;
  const key = `${metric}{${Object.keys(tags).join(",")}}`;
  return (await store.keyStats(testid, metric, [{ key, tags }], info, { statistics, withSamples: false })).get(key);
}

const fmt = (n: number) => (Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(2));

async function judgeStep(
  store: RunStore,
  testid: string,
  info: RunSpan,
  rows: ReadonlyArray<ThresholdRow>,
  plan: CapacityPlan,
  step: CapacityStep,
  baselineIterationMs: number | null,
): Promise<StepResult> {
  const tags = stepTags(step);
  const steadyS = step.endS - step.steadyFromS;
  const outcomes = await evaluateRun(store, testid, rows, { tags, info });
  let started = 0;
  let planned = 0;
  for (const scenario of Object.keys(plan.mix) as ScenarioName[]) {
    planned += plannedSteadyIterations(plan, step, scenario);
    started += (await stat(store, testid, info, "iterations", { ...tags, scenario }))?.values.count ?? 0;
  }
  const iteration = await stat(store, testid, info, "iteration_duration", tags);
  const calls = await stat(store, testid, info, "http_req_duration", { ...tags, kind: "call" }, ["p(99)"]);
  const failed = await stat(store, testid, info, "http_req_failed", tags);
  const delivered = planned > 0 ? started / planned : 1;
  const iterationMs = iteration?.values.avg ?? null;
  const judged = outcomes.filter((o) => o.samples > 0 || Number.isNaN(o.samples));
  const breached = judged.filter((o) => o.verdict === "breached");
  const undecided = judged.filter((o) => o.verdict === "undecided");
  // One iteration short is the step's edge (a tick on its boundary lands on either side), not a shortfall.
  const keptUp = delivered >= DELIVERY_FLOOR || planned - started <= 1;
  const slowed =
    iterationMs !== null && baselineIterationMs !== null && iterationMs > SLOWDOWN_FACTOR * baselineIterationMs;
  const shortfall = `generator started ${(delivered * 100).toFixed(0)} % of the planned iterations`;
  let verdict: StepVerdict;
  const broke: string[] = [];
  if (started === 0 && judged.length === 0) verdict = "no samples";
  else if (!keptUp && !slowed) {
    verdict = "generator-limited";
    broke.push(`${shortfall} at the first step's pace (maxVUs ${describePools(plan)})`);
  } else if (breached.length > 0) {
    verdict = "target-limited";
    for (const o of breached) broke.push(`${o.key} ${o.expression} (${fmt(o.observed)})`);
    if (!keptUp) broke.push(`${shortfall}: iterations ${fmt((iterationMs ?? 0) / (baselineIterationMs ?? 1))}× slower`);
  } else if (!keptUp) {
    verdict = "target-limited";
    broke.push(`throughput: ${shortfall}, iterations ${fmt((iterationMs ?? 0) / (baselineIterationMs ?? 1))}× slower`);
  } else if (undecided.length > 0) {
    verdict = "undecided";
    for (const o of undecided) broke.push(`${o.key} ${o.expression} (undecided: ≈${fmt(o.observed)})`);
  } else verdict = "held";
  return {
    step: step.index,
    rate: step.rate,
    startedRate: steadyS > 0 ? started / steadyS : 0,
    delivered,
    iterationMs,
    p95Ms: calls?.values["p(95)"] ?? null,
    p99Ms: calls?.values["p(99)"] ?? null,
    errorRate: failed?.values.rate ?? null,
    requestRate: calls?.values.count === undefined || steadyS <= 0 ? null : calls.values.count / steadyS,
    verdict,
    broke,
    outcomes,
  };
}

function describePools(plan: CapacityPlan): string {
  return Object.entries(plan.maxVUs)
    .map(([name, n]) => `${name} ${n}`)
    .join(", ");
}

/** Every step of the run judged, and the search's outcome. */
export async function judgeCapacity(
  store: RunStore,
  testid: string,
  rows: ReadonlyArray<ThresholdRow>,
  plan: CapacityPlan,
): Promise<CapacityResult> {
  const info = await store.runInfo(testid);
  const generator: GeneratorTotals = {
    droppedIterations: (await stat(store, testid, info, "dropped_iterations", {}))?.values.count ?? 0,
    vusMax: (await stat(store, testid, info, "vus", {}))?.values.max ?? null,
    poolSize: Object.values(plan.maxVUs).reduce((a, b) => a + (b ?? 0), 0),
  };
  const steps: StepResult[] = [];
  let baseline: number | null = null;
  for (const step of plan.steps) {
    const result = await judgeStep(store, testid, info, rows, plan, step, baseline);
    baseline ??= result.iterationMs;
    steps.push(result);
  }
  return { testid, runStart: info.start, generator, steps, ...searchOutcome(testid, steps) };
}

/** The search's outcome from its judged steps: the first step not held decides (k6/README.md "Capacity search"). */
function searchOutcome(
  testid: string,
  steps: readonly StepResult[],
): Pick<CapacityResult, "outcome" | "exitCode" | "highestHeld" | "firstNotHeld" | "summary"> {
  const withSamples = steps.filter((s) => s.outcomes.some((o) => o.samples > 0) || s.startedRate > 0);
  if (withSamples.length === 0) {
    return {
      outcome: "no-samples",
      exitCode: EXIT.noSamples,
      highestHeld: null,
      firstNotHeld: null,
      summary: `no step-tagged samples for testid ${testid}: not a capacity run, or nothing ran`,
    };
  }
  const firstIndex = steps.findIndex((s) => s.verdict !== "held");
  const firstNotHeld = firstIndex < 0 ? null : (steps[firstIndex] as StepResult);
  const highestHeld = firstIndex < 0 ? (steps[steps.length - 1] ?? null) : (steps[firstIndex - 1] ?? null);
  const held =
    highestHeld === null ? "no step held" : `highest step held: ${highestHeld.step} (${fmt(highestHeld.rate)} it/s)`;
  const outcome = (
    name: SearchOutcome,
    exitCode: number,
    summary: string,
  ): Pick<CapacityResult, "outcome" | "exitCode" | "highestHeld" | "firstNotHeld" | "summary"> => ({
    outcome: name,
    exitCode,
    highestHeld,
    firstNotHeld,
    summary,
  });
  if (firstNotHeld === null) {
    return outcome(
      "all-held",
      EXIT.found,
      `every step held: the target took the top step, ${fmt(highestHeld?.rate ?? 0)} it/s; raise CAPACITY_MAX_RATE to find its knee`,
    );
  }
  const at = `step ${firstNotHeld.step} (${fmt(firstNotHeld.rate)} it/s)`;
  const broke = firstNotHeld.broke.join("; ");
  switch (firstNotHeld.verdict) {
    case "target-limited":
      return outcome("knee", EXIT.found, `knee: ${held}; first broken: ${at} by ${broke}`);
    case "generator-limited":
      return outcome(
        "generator-limited",
        EXIT.generatorLimited,
        `generator-limited at ${at} before any step broke: ${broke}; ${held} ` +
          "(a lower bound on the target's capacity): raise CAPACITY_MAX_VUS or add generators",
      );
    case "no samples":
      return outcome(
        "no-samples",
        EXIT.noSamples,
        `${at} has no samples: the run ended early or nothing ran then; ${held}`,
      );
    default:
      return outcome(
        "undecided",
        EXIT.undecided,
        `undecided at ${at}: ${broke} (read the run from InfluxDB, METRICS=both); ${held}`,
      );
  }
}
