// A capacity run's settings from the environment, read as k6 read them: the configuration (config.ts), the plan
// (capacity/plan.ts) and the SLO rows that apply to the mix (run-thresholds.ts: selected for its scenarios, shaped
// for its topology, agent budgets scaled) — one source for k6, the CLI and the tests.
import { loadConfig, type Config } from "../../k6/src/config";
import { loadCapacityPlan, type CapacityPlan } from "../../k6/src/capacity/plan";
import { runThresholds } from "../../k6/src/run-thresholds";
import type { ThresholdRow } from "../../k6/src/thresholds";

export interface CapacitySettings {
  config: Config;
  plan: CapacityPlan;
  rows: ThresholdRow[];
}

/** Throws ConfigError or CapacityPlanError (one line each) on bad input; CAPACITY defaults to "rate". */
export function capacitySettings(env: Readonly<Record<string, string | undefined>>): CapacitySettings {
  const withMode = { ...env, CAPACITY: (env.CAPACITY ?? "").trim() || "rate" };
  const config = loadConfig(withMode);
  const plan = loadCapacityPlan(withMode, config) as CapacityPlan;
  return { config, plan, rows: runThresholds(config, plan.asRamping).rows };
}

/** What shapes the plan and the rows: saved beside the run's reports, so `--testid` judges it as it was run. */
export const SETTINGS_KEYS = [
  "CAPACITY",
  "CAPACITY_RATES",
  "CAPACITY_MAX_RATE",
  "CAPACITY_STEPS",
  "CAPACITY_STEP_SECONDS",
  "CAPACITY_MIX",
  "CAPACITY_MAX_VUS",
  "PROFILE",
  "SCENARIOS",
  "AGENT_ONLY",
  "AGENT_BUDGET_SCALE",
  "CONFIRM_PRODUCTION",
  "TIME_SCALE",
  "THINK_TIME_SCALE",
  "VUS_FACTOR",
  "BASE_URL",
  "AGENTAPI_URL_TEMPLATE",
  "AGENTS",
  "AGENTAPI_URLS",
  "AGENTAPI_TRANSPORT",
] as const;

/** The settings part of an environment (unset keys left out). */
export function settingsOf(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of SETTINGS_KEYS) {
    const value = env[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/**
 * The environment the k6 container gets under `--docker` (docker-compose.yml): without BASE_URL or a fleet of the
 * caller's, the stub's fleet — one agent per VU up to 1000 — which decides whether the rows are judged as shared agents.
 */
export function asInDocker(env: Readonly<Record<string, string | undefined>>): Record<string, string | undefined> {
  const own = ["BASE_URL", "AGENTAPI_URL_TEMPLATE", "AGENTAPI_URLS"].some((k) => (env[k] ?? "") !== "");
  if (own) return { ...env };
  return {
    ...env,
    BASE_URL: "http://agentapi-stub:3284",
    AGENTAPI_URL_TEMPLATE: "http://agentapi-stub:3284/agents/{agent}",
    AGENTS: env.AGENTS ?? "1000",
  };
}
