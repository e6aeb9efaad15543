// Load profiles as named data. `local` is the seed's full schedule; the others derive from it or stand alone.
// Pure (no k6 imports): Node tests and tools read the same data k6 runs.

import { formatDuration, parseDuration } from "./lib/duration";
import { SCENARIO_EXEC, SCENARIO_NAMES, type ScenarioName } from "./names";
import { lazyRecord, once } from "./lib/lazy";

export const PROFILE_NAMES = ["smoke", "local", "staging", "production"] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

export interface Stage {
  readonly duration: string;
  readonly target: number;
}

/** How one scenario ramps: a `ramping-vus` executor's settings. */
export interface ScenarioPlan {
  readonly startTime: string;
  readonly startVUs: number;
  readonly stages: ReadonlyArray<Stage>;
  readonly gracefulRampDown: string;
  readonly gracefulStop: string;
}

export interface Profile {
  readonly name: ProfileName;
  readonly description: string;
  readonly plans: Readonly<Record<ScenarioName, ScenarioPlan>>;
  /** Threshold metrics that stop the run as soon as they fail (k6 `abortOnFail`). */
  readonly abortOnFail: ReadonlyArray<string>;
  /** Refuse to start unless CONFIRM_PRODUCTION=yes. */
  readonly requiresConfirmation: boolean;
}

function plan(startTime: string, stages: ReadonlyArray<[string, number]>, gracefulRampDown = "30s"): ScenarioPlan {
  return {
    startTime,
    startVUs: 0,
    stages: stages.map(([duration, target]) => ({ duration, target })),
    gracefulRampDown,
    gracefulStop: "30s",
  };
}

/** The seed's schedule: peaks 100/50/200/150/50/300 VUs, staggered starts, about 20 minutes end to end. */
const localPlans = once((): Readonly<Record<ScenarioName, ScenarioPlan>> => ({
  authentication: plan("0s", [
    ["1m", 20],
    ["1m", 50],
    ["2m", 100],
    ["3m", 100],
    ["2m", 0],
  ]),
  mcp_connection: plan("2m", [
    ["1m", 10],
    ["1m", 25],
    ["1m", 50],
    ["3m", 50],
    ["2m", 0],
  ]),
  tool_execution: plan("3m", [
    ["1m", 50],
    ["1m", 100],
    ["2m", 200],
    ["3m", 200],
    ["2m", 0],
  ]),
  list_tools: plan("4m", [
    ["1m", 30],
    ["1m", 75],
    ["1m", 150],
    ["3m", 150],
    ["2m", 0],
  ]),
  disconnect: plan("5m", [
    ["1m", 10],
    ["1m", 25],
    ["1m", 50],
    ["2m", 50],
    ["2m", 0],
  ]),
  mixed_workload: plan(
    "6m",
    [
      ["2m", 75],
      ["2m", 150],
      ["2m", 300],
      ["4m", 300],
      ["3m", 0],
    ],
    "1m",
  ),
  // People in a conversation with their own agent (one agent per VU): a turn takes think + 2 s of stability plus
  // upstream's ≈ 1.1 s send, then the user reads for 5-15 s.
  agent_conversation: plan(
    "2m",
    [
      ["1m", 25],
      ["2m", 50],
      ["2m", 100],
      ["6m", 100],
      ["2m", 0],
    ],
    "1m",
  ),
  // Browser tabs held on working agents; each watch lasts until the agent is stable (at most a minute).
  event_watchers: plan(
    "3m",
    [
      ["2m", 10],
      ["2m", 25],
      ["6m", 50],
      ["2m", 0],
    ],
    "1m",
  ),
}));

/** One VU per scenario, all at once, 40 s of steady load: a quick end-to-end check under a minute. */
const SMOKE_PLAN: ScenarioPlan = {
  startTime: "0s",
  startVUs: 1,
  stages: [{ duration: "40s", target: 1 }],
  gracefulRampDown: "5s",
  gracefulStop: "10s",
};

/** Scale VU targets; a non-zero target never drops below 1 VU (a ramp-down to 0 stays 0). */
export function scaleTarget(target: number, factor: number): number {
  if (target <= 0) return 0;
  return Math.max(1, Math.round(target * factor));
}

function scalePlans(
  plans: Readonly<Record<ScenarioName, ScenarioPlan>>,
  factor: number,
): Record<ScenarioName, ScenarioPlan> {
  const scaled = {} as Record<ScenarioName, ScenarioPlan>;
  for (const name of SCENARIO_NAMES) {
    const p = plans[name];
    scaled[name] = {
      ...p,
      startVUs: scaleTarget(p.startVUs, factor),
      stages: p.stages.map((s) => ({ duration: s.duration, target: scaleTarget(s.target, factor) })),
    };
  }
  return scaled;
}

function uniform(p: ScenarioPlan): Record<ScenarioName, ScenarioPlan> {
  const plans = {} as Record<ScenarioName, ScenarioPlan>;
  for (const name of SCENARIO_NAMES) plans[name] = p;
  return plans;
}

/** A profile whose plans are built when first read (config.ts reads a VU's profile; only VU 0 reads its plans). */
function profile(info: Omit<Profile, "plans">, plans: () => Readonly<Record<ScenarioName, ScenarioPlan>>): Profile {
  const built = once(plans);
  return {
    ...info,
    get plans() {
      return built();
    },
  };
}

/** The profiles by name, each built on first read (lib/lazy.ts: a VU reads one profile's name and flags). */
export const PROFILES: Readonly<Record<ProfileName, Profile>> = lazyRecord<ProfileName, Profile>({
  smoke: () =>
    profile(
      {
        name: "smoke",
        description: "every scenario at 1 VU for 40 s (under a minute), same thresholds",
        abortOnFail: [],
        requiresConfirmation: false,
      },
      () => uniform(SMOKE_PLAN),
    ),
  local: () =>
    profile(
      {
        name: "local",
        description: "the full schedule: peaks 100/50/200/150/50/300 VUs, about 20 minutes",
        abortOnFail: [],
        requiresConfirmation: false,
      },
      () => localPlans(),
    ),
  staging: () =>
    profile(
      {
        name: "staging",
        description: "the local schedule at half load",
        abortOnFail: [],
        requiresConfirmation: false,
      },
      () => scalePlans(localPlans(), 0.5),
    ),
  production: () =>
    profile(
      {
        name: "production",
        description: "the local schedule at one tenth of the load; aborts as soon as the error rate fails",
        abortOnFail: ["http_req_failed"],
        requiresConfirmation: true,
      },
      () => scalePlans(localPlans(), 0.1),
    ),
});

/**
 * VUs of a ramping-vus plan (or scenario) `t` seconds into the run, as k6 ramps them: 0 before its startTime, then
 * linear from the previous target to each stage's, 0 once the last stage is over. For benchmarks and datasets that
 * follow a profile's load over time.
 */
export function vusAt(plan: Pick<ScenarioPlan, "startTime" | "startVUs" | "stages">, t: number): number {
  let at = parseDuration(plan.startTime);
  if (t < at) return 0;
  let from = plan.startVUs;
  for (const stage of plan.stages) {
    const length = parseDuration(stage.duration);
    if (t <= at + length) return length === 0 ? stage.target : from + ((stage.target - from) * (t - at)) / length;
    at += length;
    from = stage.target;
  }
  return 0;
}

/** A k6 `ramping-vus` scenario, as `options.scenarios` takes it. */
export interface RampingScenario {
  executor: "ramping-vus";
  exec: string;
  startTime: string;
  startVUs: number;
  stages: Stage[];
  gracefulRampDown: string;
  gracefulStop: string;
}

/**
 * A duration times TIME_SCALE, in whole seconds; a non-zero duration never drops below 1 s (0 stays 0), so every
 * stage still runs and k6 accepts it.
 */
export function scaleSeconds(seconds: number, timeScale: number): number {
  if (seconds <= 0) return 0;
  return Math.max(1, Math.round(seconds * timeScale));
}

/**
 * The `options.scenarios` for a run: the profile's plans for the selected scenarios, VU targets scaled by
 * `vusFactor`, and start times shifted so the earliest selected scenario starts at 0 (running one scenario
 * alone does not idle through the others' offsets). `timeScale` (TIME_SCALE, in (0, 1]) multiplies every duration
 * of the plan — start times, stage durations, gracefulRampDown, gracefulStop — for the same shape in less time;
 * think times are not durations of the plan (THINK_TIME_SCALE governs them).
 */
export function buildScenarios(
  profile: Profile,
  selected: ReadonlyArray<ScenarioName>,
  vusFactor: number,
  timeScale = 1,
): Record<string, RampingScenario> {
  const plans = scalePlans(profile.plans, vusFactor);
  const earliest = Math.min(...selected.map((name) => parseDuration(plans[name].startTime)));
  // At 1 the plan's own duration strings pass through untouched.
  const scaled = (text: string) =>
    timeScale === 1 ? text : formatDuration(scaleSeconds(parseDuration(text), timeScale));
  const scenarios: Record<string, RampingScenario> = {};
  for (const name of selected) {
    const p = plans[name];
    scenarios[name] = {
      executor: "ramping-vus",
      exec: SCENARIO_EXEC[name],
      startTime: formatDuration(scaleSeconds(parseDuration(p.startTime) - earliest, timeScale)),
      startVUs: p.startVUs,
      stages: p.stages.map((s) => ({ duration: scaled(s.duration), target: s.target })),
      gracefulRampDown: scaled(p.gracefulRampDown),
      gracefulStop: scaled(p.gracefulStop),
    };
  }
  return scenarios;
}

/** Seconds from test start until the last scenario's last stage ends (graceful stops not included). */
export function scheduleSeconds(scenarios: Readonly<Record<string, RampingScenario>>): number {
  let end = 0;
  for (const s of Object.values(scenarios)) {
    const stages = s.stages.reduce((sum, stage) => sum + parseDuration(stage.duration), 0);
    end = Math.max(end, parseDuration(s.startTime) + stages);
  }
  return end;
}

/** Upper bound on the run's length: the schedule plus the longest graceful stop. */
export function maxRunSeconds(scenarios: Readonly<Record<string, RampingScenario>>): number {
  const stops = Object.values(scenarios).map((s) => parseDuration(s.gracefulStop));
  return scheduleSeconds(scenarios) + Math.max(0, ...stops);
}

/** Highest VU target per scenario (startVUs included). */
export function peakVus(scenario: RampingScenario): number {
  return Math.max(scenario.startVUs, ...scenario.stages.map((s) => s.target));
}
