// The capacity search's plan: ONE run of stepped arrival rates for a mix of journeys, each step held long enough to
// be steady, its first part a warm-up the verdict leaves out. Pure (no k6 imports): k6 (main.ts), the capacity tool
// (tools/capacity) and the tests read the same plan from the same environment.
//
// Why arrival rates (an open model): "how much can it take" is asked in requests per second, and an arrival-rate
// executor keeps offering the step's load while the target slows down, so latency climbs past the SLO at the knee.
// VU steps (a closed model) slow down with the target — throughput flattens instead and the knee hides
// (coordinated omission); they answer "how many concurrent users", which this search does not.

import type { Config } from "../config";
import { parseDuration } from "../lib/duration";
import { PROMPT_THINK_SECONDS } from "../prompt-plan";
import { PROFILES, scaleSeconds, type RampingScenario } from "../profiles";
import { SCENARIO_EXEC, type ScenarioName } from "../names";

// What a VU needs of the plan at each iteration (its step and phase), and whether a run is a capacity run: steps.ts,
// re-exported here.
export { PHASE_TAG, STEP_TAG, stepAt, wantsCapacity, type StepPhase } from "./steps";
import { wantsCapacity } from "./steps";

/**
 * A journey's iteration at a healthy target, in seconds, think times included at their longest (THINK_TIME_SCALE
 * multiplies those): how long a VU is held per iteration, which sizes the VU pool and the steps' length.
 */
export const ITERATION_SECONDS: Readonly<Record<ScenarioName, { work: number; think: number }>> = {
  authentication: { work: 0.5, think: 5 },
  mcp_connection: { work: 1, think: 6 },
  tool_execution: { work: 3, think: PROMPT_THINK_SECONDS.tool_execution[1] },
  list_tools: { work: 0.5, think: 4 },
  disconnect: { work: 1, think: 6 },
  mixed_workload: { work: 1.5, think: PROMPT_THINK_SECONDS.mixed_workload[1] },
  agent_conversation: { work: 8, think: PROMPT_THINK_SECONDS.agent_conversation[1] + 4 },
  event_watchers: { work: 60, think: 3 },
};

export const CAPACITY_DEFAULTS = {
  /** Top rate of the mix, iterations/s, when CAPACITY_RATES is not given. */
  MAX_RATE: 50,
  STEPS: 10,
  /** A step: at least this long, and at least STEP_ITERATIONS of the mix's slowest iteration. */
  MIN_STEP_SECONDS: 30,
  DEFAULT_STEP_SECONDS: 90,
  STEP_ITERATIONS: 3,
  /** The warm-up: this fraction of each step (and at least one slowest iteration). */
  WARMUP_FRACTION: 1 / 3,
  /**
   * VU pool per scenario: its top rate × its iteration × this headroom. Slow answers hold VUs longer; above the
   * verdict's slowdown factor (2×, tools/capacity/verdict.ts) a dry pool is the target's doing, so the pool must last
   * past it.
   */
  VU_HEADROOM: 3,
  /** A rate is k6's integer target per timeUnit: per minute gives 1/60 iteration/s resolution. */
  TIME_UNIT_SECONDS: 60,
} as const;

/** A k6 `ramping-arrival-rate` scenario. */
export interface ArrivalScenario {
  executor: "ramping-arrival-rate";
  exec: string;
  startTime: string;
  startRate: number;
  timeUnit: string;
  preAllocatedVUs: number;
  maxVUs: number;
  stages: Array<{ duration: string; target: number }>;
  gracefulStop: string;
}

export interface CapacityStep {
  /** 1-based, the `step` tag's value. */
  index: number;
  /** Iterations/s of the whole mix. */
  rate: number;
  /** Seconds from the scenarios' start. */
  startS: number;
  steadyFromS: number;
  endS: number;
}

export interface CapacityPlan {
  mode: "rate";
  /** The mix: each scenario's share of every step's rate (sums to 1). */
  mix: Readonly<Partial<Record<ScenarioName, number>>>;
  steps: CapacityStep[];
  stepSeconds: number;
  warmupSeconds: number;
  /** The VU pool per scenario (k6 maxVUs; all pre-allocated, so no iteration is dropped while one is made). */
  maxVUs: Readonly<Partial<Record<ScenarioName, number>>>;
  /** The slowest iteration of the mix (s): what the step length and warm-up are sized by. */
  slowestIterationS: number;
  /** `options.scenarios`. */
  scenarios: Record<string, ArrivalScenario>;
  /** The same load as ramping-vus plans at their pool size: what sharing and prompt-budget rules read. */
  asRamping: Record<string, RampingScenario>;
}

type Env = Readonly<Record<string, string | undefined>>;

export class CapacityPlanError extends Error {
  constructor(problems: ReadonlyArray<string>) {
    super(`invalid capacity plan: ${problems.join("; ")}`);
    this.name = "CapacityPlanError";
  }
}

function positive(env: Env, key: string, problems: string[], integer = false): number | undefined {
  const raw = (env[key] ?? "").trim();
  if (raw === "") return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    problems.push(`${key} must be a positive ${integer ? "whole number" : "number"} (got "${raw}")`);
    return undefined;
  }
  return n;
}

/** CAPACITY_RATES ("2,4,8": iterations/s of the mix per step, rising) or CAPACITY_MAX_RATE / CAPACITY_STEPS. */
function stepRates(env: Env, problems: string[]): number[] {
  const list = (env.CAPACITY_RATES ?? "").trim();
  if (list !== "") {
    const rates = list.split(",").map((r) => Number(r.trim()));
    if (rates.some((r) => !Number.isFinite(r) || r <= 0)) {
      problems.push(`CAPACITY_RATES must be positive numbers, comma-separated (got "${list}")`);
      return [];
    }
    if (rates.some((r, i) => i > 0 && r <= (rates[i - 1] as number))) {
      problems.push(`CAPACITY_RATES must rise from step to step (got "${list}")`);
    }
    return rates;
  }
  const top = positive(env, "CAPACITY_MAX_RATE", problems) ?? CAPACITY_DEFAULTS.MAX_RATE;
  const steps = positive(env, "CAPACITY_STEPS", problems, true) ?? CAPACITY_DEFAULTS.STEPS;
  return Array.from({ length: steps }, (_, i) => Math.round(((top * (i + 1)) / steps) * 100) / 100);
}

/**
 * Left out of the default mix when SCENARIOS does not name them: a watcher holds one stream for up to a minute, so its
 * load is concurrent streams (a VU count), not a rate — and its iteration would stretch every step to over 3 min.
 */
export const NOT_IN_DEFAULT_MIX: ReadonlyArray<ScenarioName> = ["event_watchers"];

/**
 * The mix: CAPACITY_MIX ("list_tools=3,tool_execution=1"), else the local profile's peak VUs per scenario of the run
 * (without NOT_IN_DEFAULT_MIX unless SCENARIOS names them).
 */
function mixOf(
  env: Env,
  scenarios: ReadonlyArray<ScenarioName>,
  problems: string[],
): Partial<Record<ScenarioName, number>> {
  const weights: Partial<Record<ScenarioName, number>> = {};
  const raw = (env.CAPACITY_MIX ?? "").trim();
  if (raw !== "") {
    for (const part of raw.split(",")) {
      const [name = "", weight = ""] = part.split("=").map((s) => s.trim());
      const w = Number(weight);
      if (!(scenarios as ReadonlyArray<string>).includes(name)) {
        problems.push(`CAPACITY_MIX names "${name}", not a scenario of this run (${scenarios.join(", ")})`);
      } else if (!Number.isFinite(w) || w < 0) {
        problems.push(`CAPACITY_MIX weight of ${name} must be a number ≥ 0 (got "${weight}")`);
      } else weights[name as ScenarioName] = w;
    }
  } else {
    const named = (env.SCENARIOS ?? "").trim() !== "";
    for (const name of scenarios.filter((n) => named || !NOT_IN_DEFAULT_MIX.includes(n))) {
      const plan = PROFILES.local.plans[name];
      weights[name] = Math.max(plan.startVUs, ...plan.stages.map((s) => s.target));
    }
  }
  const total = Object.values(weights).reduce((a, b) => a + (b ?? 0), 0);
  if (total <= 0) {
    if (problems.length === 0) problems.push("CAPACITY_MIX gives every scenario weight 0");
    return {};
  }
  const mix: Partial<Record<ScenarioName, number>> = {};
  for (const [name, w] of Object.entries(weights)) if ((w ?? 0) > 0) mix[name as ScenarioName] = (w ?? 0) / total;
  return mix;
}

const seconds = (s: number) => `${Math.round(s * 1000) / 1000}s`;

/**
 * The plan for this run, or null when the environment asks for none. Steps last max(30 s, 3 × the mix's slowest
 * iteration) — 90 s by default, so 10 steps fit 15 min — times TIME_SCALE; the first third of each (at least one
 * slowest iteration) is warm-up. Throws CapacityPlanError (one line) on bad input.
 */
export function loadCapacityPlan(env: Env, config: Config): CapacityPlan | null {
  if (!wantsCapacity(env)) return null;
  const problems: string[] = [];
  const mode = (env.CAPACITY ?? "").trim() || "rate";
  if (mode !== "rate") problems.push(`CAPACITY must be "rate" (arrival-rate steps; got "${mode}")`);
  const rates = stepRates(env, problems);
  const mix = mixOf(env, config.scenarios, problems);
  const names = Object.keys(mix) as ScenarioName[];
  const iterationS = (name: ScenarioName) =>
    ITERATION_SECONDS[name].work + ITERATION_SECONDS[name].think * config.thinkTimeScale;
  const slowest = Math.max(0, ...names.map(iterationS));
  const scale = config.timeScale;
  const asked = positive(env, "CAPACITY_STEP_SECONDS", problems);
  const stepUnscaled =
    asked ??
    Math.max(
      CAPACITY_DEFAULTS.MIN_STEP_SECONDS,
      CAPACITY_DEFAULTS.DEFAULT_STEP_SECONDS,
      CAPACITY_DEFAULTS.STEP_ITERATIONS * slowest,
    );
  const stepSeconds = scaleSeconds(stepUnscaled, scale);
  const warmupSeconds = Math.min(
    stepSeconds - 1,
    Math.max(1, Math.round(stepSeconds * CAPACITY_DEFAULTS.WARMUP_FRACTION), Math.ceil(slowest * scale)),
  );
  if (stepSeconds < 2) problems.push(`a step must last at least 2 s (got ${stepSeconds} s after TIME_SCALE)`);
  const poolTotal = positive(env, "CAPACITY_MAX_VUS", problems, true);
  if (problems.length > 0) throw new CapacityPlanError(problems);

  const top = rates[rates.length - 1] ?? 0;
  const unit = CAPACITY_DEFAULTS.TIME_UNIT_SECONDS;
  const perUnit = (rate: number, share: number) => Math.max(1, Math.round(rate * share * unit));
  const steps: CapacityStep[] = rates.map((rate, i) => ({
    index: i + 1,
    rate,
    startS: i * stepSeconds,
    steadyFromS: i * stepSeconds + warmupSeconds,
    endS: (i + 1) * stepSeconds,
  }));
  const maxVUs: Partial<Record<ScenarioName, number>> = {};
  const scenarios: Record<string, ArrivalScenario> = {};
  const asRamping: Record<string, RampingScenario> = {};
  const gracefulStop = seconds(scaleSeconds(30, scale));
  for (const name of names) {
    const share = mix[name] ?? 0;
    const pool =
      poolTotal !== undefined
        ? Math.max(1, Math.round(poolTotal * share))
        : Math.max(2, Math.ceil(top * share * iterationS(name) * CAPACITY_DEFAULTS.VU_HEADROOM));
    maxVUs[name] = pool;
    // Each step: a 1 s ramp to its rate (inside its warm-up), then held; k6's targets are integers per timeUnit.
    const stages = steps.flatMap((step, i) =>
      i === 0
        ? [{ duration: seconds(stepSeconds), target: perUnit(step.rate, share) }]
        : [
            { duration: "1s", target: perUnit(step.rate, share) },
            { duration: seconds(stepSeconds - 1), target: perUnit(step.rate, share) },
          ],
    );
    scenarios[name] = {
      executor: "ramping-arrival-rate",
      exec: SCENARIO_EXEC[name],
      startTime: "0s",
      startRate: perUnit(rates[0] ?? 0, share),
      timeUnit: `${unit}s`,
      preAllocatedVUs: pool,
      maxVUs: pool,
      stages,
      gracefulStop,
    };
    asRamping[name] = {
      executor: "ramping-vus",
      exec: SCENARIO_EXEC[name],
      startTime: "0s",
      startVUs: pool,
      stages: [{ duration: seconds(stepSeconds * steps.length), target: pool }],
      gracefulRampDown: gracefulStop,
      gracefulStop,
    };
  }
  return {
    mode: "rate",
    mix,
    steps,
    stepSeconds,
    warmupSeconds,
    maxVUs,
    slowestIterationS: slowest,
    scenarios,
    asRamping,
  };
}

/** Planned iterations of a step's steady part, per scenario of the mix (what the generator should have started). */
export function plannedSteadyIterations(plan: CapacityPlan, step: CapacityStep, scenario: ScenarioName): number {
  const share = plan.mix[scenario] ?? 0;
  const perUnit = Math.max(1, Math.round(step.rate * share * CAPACITY_DEFAULTS.TIME_UNIT_SECONDS));
  return (perUnit / CAPACITY_DEFAULTS.TIME_UNIT_SECONDS) * (step.endS - step.steadyFromS);
}

/** Run length: every step plus the graceful stop. */
export function capacityRunSeconds(plan: CapacityPlan): number {
  return plan.stepSeconds * plan.steps.length + parseDuration(Object.values(plan.scenarios)[0]?.gracefulStop ?? "0s");
}
