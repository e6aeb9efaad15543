// `npm run thresholds -- --testid X [--instance K]`: the project's threshold table judged over all runners' samples
// of a run in InfluxDB (k6-operator judges each runner alone). Rows are selected as the run selected them, from the
// same environment (PROFILE, SCENARIOS, AGENT_ONLY, AGENT_BUDGET_SCALE, VUS_FACTOR and the targets, which tell whether
// VUs shared agents). Exits like k6: 0 every threshold held,
// 99 one was breached, 2 bad input (one line on stderr).
import { loadConfig, ConfigError } from "../../k6/src/config";
import { buildScenarios } from "../../k6/src/profiles";
import { runThresholds } from "../../k6/src/run-thresholds";
import { createInfluxReader, InfluxError } from "../influx/index";
import { evaluateRun, type GlobalOutcome } from "./evaluate";

const USAGE = "usage: npm run thresholds -- --testid <id> [--instance <k>]";
/** What selects, shapes and scales the rows: the profile and scenarios, and the targets (agents shared or not). */
const RUN_SETTINGS = [
  "PROFILE",
  "SCENARIOS",
  "AGENT_ONLY",
  "AGENT_BUDGET_SCALE",
  "CONFIRM_PRODUCTION",
  "VUS_FACTOR",
  "BASE_URL",
  "AGENTAPI_URL_TEMPLATE",
  "AGENTS",
  "AGENTAPI_URLS",
] as const;

function fail(message: string): never {
  process.stderr.write(`thresholds: ${message}\n`);
  process.exit(2);
}

function parseArgs(argv: string[]): { testid: string; instance?: string } {
  let testid: string | undefined;
  let instance: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = argv[i + 1];
    if ((arg === "--testid" || arg === "--instance") && (value === undefined || value.startsWith("--"))) {
      fail(`${arg} needs a value (${USAGE})`);
    }
    if (arg === "--testid") testid = argv[++i];
    else if (arg === "--instance") instance = argv[++i];
    else fail(`unknown argument "${arg}" (${USAGE})`);
  }
  if (testid === undefined) fail(`--testid is required (${USAGE})`);
  return instance === undefined ? { testid } : { testid, instance };
}

function render(outcomes: GlobalOutcome[], scope: string): string {
  const width = Math.max(...outcomes.map((o) => o.key.length), 10);
  const lines = outcomes.map((o) => {
    const mark = o.ok ? "✓" : "✗";
    const observed = o.samples === 0 ? "no samples" : o.observed.toFixed(2);
    return `  ${mark} ${o.key.padEnd(width)}  ${o.expression.padEnd(14)} ${observed} (${o.samples} samples)`;
  });
  const held = outcomes.filter((o) => o.ok).length;
  const verdict = held === outcomes.length ? "PASSED" : "FAILED";
  return [`agentapi-load ${verdict} (${scope}): ${held}/${outcomes.length} thresholds met`, ...lines].join("\n");
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  let rows;
  try {
    // Only what selects, shapes and scales the rows.
    const env = Object.fromEntries(RUN_SETTINGS.map((name) => [name, process.env[name]]));
    const config = loadConfig({ ...env, TESTID: args.testid });
    rows = runThresholds(config, buildScenarios(config.profile, config.scenarios, config.vusFactor)).rows;
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
  const reader = createInfluxReader();
  let outcomes: GlobalOutcome[];
  try {
    outcomes = await evaluateRun(reader, args.testid, rows, args);
  } catch (error) {
    if (error instanceof InfluxError) fail(error.message);
    throw error;
  }
  const scope = args.instance === undefined ? `all runners of ${args.testid}` : `runner ${args.instance} alone`;
  process.stdout.write(`${render(outcomes, scope)}\n`);
  process.exit(outcomes.every((o) => o.ok) ? 0 : 99);
}

main().catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)));
