// `npm run thresholds -- --testid X [--instance K] [--store influxdb|prometheus]`: the project's threshold table
// judged over all runners' points of a run in the metrics store (k6-operator judges each runner alone). Rows are selected as the run selected them, from the
// same environment (PROFILE, SCENARIOS, AGENT_ONLY, AGENT_BUDGET_SCALE, VUS_FACTOR and the targets, which tell whether
// VUs shared agents). Exits like k6: 0 every threshold held, 99 one was breached, 2 bad input (one line on stderr);
// and 97 when none was breached but one is undecided at the store's resolution (Prometheus: an interval straddling
// its limit — read the run from InfluxDB for k6's exact verdict).
import { loadConfig, ConfigError } from "../../k6/src/config";
import { buildScenarios } from "../../k6/src/profiles";
import { runThresholds } from "../../k6/src/run-thresholds";
import { createStore, STORE_CHOICES, StoreError } from "../store/index";
import { evaluateRun, type GlobalOutcome } from "./evaluate";

const USAGE = `usage: npm run thresholds -- --testid <id> [--instance <k>] [--store ${STORE_CHOICES}]`;
/** None breached, some undecided at the store's resolution. */
const EXIT_UNDECIDED = 97;
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

interface Args {
  testid: string;
  instance?: string;
  store?: string;
}

function parseArgs(argv: string[]): Args {
  let testid: string | undefined;
  let instance: string | undefined;
  let store: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = argv[i + 1];
    if (["--testid", "--instance", "--store"].includes(arg ?? "") && (value === undefined || value.startsWith("--"))) {
      fail(`${arg} needs a value (${USAGE})`);
    }
    if (arg === "--testid") testid = argv[++i];
    else if (arg === "--instance") instance = argv[++i];
    else if (arg === "--store") store = argv[++i];
    else fail(`unknown argument "${arg}" (${USAGE})`);
  }
  if (testid === undefined) fail(`--testid is required (${USAGE})`);
  if (store !== undefined && !STORE_CHOICES.split("|").includes(store)) fail(`--store must be ${STORE_CHOICES}`);
  return { testid, ...(instance === undefined ? {} : { instance }), ...(store === undefined ? {} : { store }) };
}

const MARKS = { held: "✓", breached: "✗", undecided: "?" } as const;

function observedText(o: GlobalOutcome): string {
  if (o.samples === 0) return "no samples";
  const count = Number.isNaN(o.samples) ? "series only" : `${o.samples} samples`;
  if (o.bounds === undefined) return `${o.observed.toFixed(2)} (${count})`;
  const [low, high] = o.bounds;
  return `≈${o.observed.toFixed(2)}, exact in [${low.toFixed(2)}, ${high.toFixed(2)}] (${count})`;
}

function render(outcomes: GlobalOutcome[], scope: string, source: string): string {
  const width = Math.max(...outcomes.map((o) => o.key.length), 10);
  const lines = outcomes.map(
    (o) => `  ${MARKS[o.verdict]} ${o.key.padEnd(width)}  ${o.expression.padEnd(14)} ${observedText(o)}`,
  );
  const held = outcomes.filter((o) => o.ok).length;
  const undecided = outcomes.filter((o) => o.verdict === "undecided").length;
  const breached = outcomes.filter((o) => o.verdict === "breached").length;
  const verdict = breached > 0 ? "FAILED" : undecided > 0 ? "UNDECIDED" : "PASSED";
  const more = undecided > 0 ? `, ${undecided} undecided at ${source}'s resolution` : "";
  return [`agentapi-load ${verdict} (${scope}): ${held}/${outcomes.length} thresholds met${more}`, ...lines].join("\n");
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
  let outcomes: GlobalOutcome[];
  let source: string;
  try {
    const store = createStore({ choice: args.store });
    source = store.description;
    outcomes = await evaluateRun(store, args.testid, rows, args);
  } catch (error) {
    if (error instanceof StoreError) fail(error.message);
    throw error;
  }
  const scope = args.instance === undefined ? `all runners of ${args.testid}` : `runner ${args.instance} alone`;
  process.stdout.write(`${render(outcomes, scope, source)}\n`);
  const breached = outcomes.some((o) => o.verdict === "breached");
  process.exit(breached ? 99 : outcomes.every((o) => o.ok) ? 0 : EXIT_UNDECIDED);
}

main().catch((error: unknown) => fail(error instanceof Error ? error.message : String(error)));
