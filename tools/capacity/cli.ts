// `npm run capacity` / `make capacity`: how much can the deployment take, in one command. One k6 run of stepped
// arrival rates for the chosen mix (run-tests.sh, so the stack, --docker, METRICS and the targets work as for
// `make load`), every sample tagged with its step; then each step judged from the run's own samples in the metrics
// store (tools/capacity/verdict.ts); reports/<testid>/capacity.json and a table on stdout.
//
//   npm run capacity -- [--local] [--store influxdb|prometheus|both]   run, then judge
//   npm run capacity -- --testid <id> [--store …]                       judge a run made before (same CAPACITY_* settings)
//   … --annotate                                                         also post the judged steps to Grafana
//                                                                          (GRAFANA_URL, default the stack's; annotate.ts)
//
// Settings from the environment (k6/README.md, "Capacity search"): CAPACITY_RATES or CAPACITY_MAX_RATE +
// CAPACITY_STEPS, CAPACITY_STEP_SECONDS, CAPACITY_MIX, CAPACITY_MAX_VUS, TIME_SCALE, and every `make load` knob.
// Exit: 0 a knee found or every step held; 2 bad input; 3 no step-tagged samples; 4 generator-limited before any
// step broke; 5 the store could not be read; 6 k6 failed; 97 undecided at the store's resolution; 108 k6's setup
// stopped the run (as k6).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../../k6/src/config";
import { CapacityPlanError } from "../../k6/src/capacity/plan";
import { REPO_ROOT } from "../influx/index";
import { createStore, STORE_CHOICES, StoreError } from "../store/index";
import { grafanaTarget, postAnnotations, stepAnnotations } from "./annotate";
import { capacityJson, capacityTable } from "./report";
import { capacityHtml, type CapacityDocument } from "./report-html";
import { asInDocker, capacitySettings, settingsOf, type CapacitySettings } from "./settings";
import { EXIT, judgeCapacity } from "./verdict";

const USAGE = `usage: npm run capacity -- [--testid <id>] [--local] [--store ${STORE_CHOICES}] [--annotate]`;
const K6_SETUP_STOPPED = 108;

function fail(message: string, code: number = EXIT.badInput): never {
  process.stderr.write(`capacity: ${message}\n`);
  process.exit(code);
}

interface Args {
  testid?: string;
  store?: string;
  local: boolean;
  annotate: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { local: false, annotate: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--local" || arg === "--annotate") {
      if (arg === "--local") args.local = true;
      else args.annotate = true;
      continue;
    }
    const value = argv[i + 1];
    if (arg !== "--testid" && arg !== "--store") fail(`unknown argument "${arg}" (${USAGE})`);
    if (value === undefined || value.startsWith("--")) fail(`${arg} needs a value (${USAGE})`);
    i++;
    if (arg === "--testid") args.testid = value;
    else args.store = value;
  }
  if (args.store !== undefined && !STORE_CHOICES.split("|").includes(args.store)) {
    fail(`--store must be ${STORE_CHOICES} (got "${args.store}")`);
  }
  if (args.testid !== undefined && !/^[A-Za-z0-9._-]{1,80}$/.test(args.testid)) {
    fail(`--testid may only hold letters, digits, '.', '_' and '-' (got "${args.testid}")`);
  }
  return args;
}

function newTestId(): string {
  const out = spawnSync(join(REPO_ROOT, "scripts/new-testid.sh"), { encoding: "utf8" });
  const id = out.stdout.trim();
  if (out.status !== 0 || id === "") fail("scripts/new-testid.sh gave no testid", EXIT.k6Failed);
  return `capacity-${id}`;
}

/** The one k6 run, through run-tests.sh (--docker --monitor, or a local k6 with --local). */
function runK6(testid: string, env: NodeJS.ProcessEnv, local: boolean): void {
  const flags = local ? ["--monitor"] : ["--docker", "--monitor"];
  const run = spawnSync(join(REPO_ROOT, "run-tests.sh"), flags, {
    cwd: REPO_ROOT,
    env: { ...env, TESTID: testid },
    stdio: "inherit",
  });
  const status = run.status ?? 1;
  if (status === K6_SETUP_STOPPED) fail("k6 stopped in setup (exit 108): see the run's first lines", K6_SETUP_STOPPED);
  // 99 cannot come from a capacity run's own thresholds (it sets none); any other status is a failed run.
  if (status !== 0 && status !== 99) fail(`the k6 run failed (run-tests.sh exit ${status})`, EXIT.k6Failed);
}

/** reports/<testid>/capacity-settings.json: the settings the run was made with (written before it starts). */
const settingsFile = (testid: string) => join(REPO_ROOT, "reports", testid, "capacity-settings.json");

/**
 * The settings to judge with: a run this tool made is judged with the settings it saved; otherwise the environment,
 * as the k6 container gets it under --docker (the stub's fleet by default).
 */
function judgedEnv(args: Args, env: NodeJS.ProcessEnv): Record<string, string | undefined> {
  if (args.testid !== undefined && existsSync(settingsFile(args.testid))) {
    const saved = JSON.parse(readFileSync(settingsFile(args.testid), "utf8")) as Record<string, string>;
    return { ...env, ...Object.fromEntries(Object.keys(settingsOf(env)).map((k) => [k, undefined])), ...saved };
  }
  return args.local ? { ...env } : asInDocker(env);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const env: NodeJS.ProcessEnv = { ...process.env, CAPACITY: (process.env.CAPACITY ?? "").trim() || "rate" };
  let settings: CapacitySettings;
  const judgeWith = judgedEnv(args, env);
  try {
    settings = capacitySettings(judgeWith);
  } catch (error) {
    if (error instanceof ConfigError || error instanceof CapacityPlanError) fail(error.message);
    throw error;
  }
  const { plan, rows } = settings;
  const testid = args.testid ?? newTestId();
  if (args.testid === undefined) {
    const minutes = (plan.stepSeconds * plan.steps.length) / 60;
    process.stdout.write(
      `capacity: ${plan.steps.length} steps of ${plan.stepSeconds} s (≈ ${minutes.toFixed(1)} min), ` +
        `${plan.steps.map((s) => s.rate).join(" → ")} iterations/s; testid ${testid}\n`,
    );
    mkdirSync(join(REPO_ROOT, "reports", testid), { recursive: true });
    writeFileSync(settingsFile(testid), `${JSON.stringify(settingsOf(judgeWith), null, 2)}\n`);
    runK6(testid, env, args.local);
  }
  try {
    const store = createStore({ ...(args.store === undefined ? {} : { choice: args.store }), env });
    const result = await judgeCapacity(store, testid, rows, plan);
    const dir = join(REPO_ROOT, "reports", testid);
    mkdirSync(dir, { recursive: true });
    const json = capacityJson(result, plan, store.description);
    writeFileSync(join(dir, "capacity.json"), json);
    writeFileSync(join(dir, "capacity.html"), capacityHtml(JSON.parse(json) as CapacityDocument));
    process.stdout.write(capacityTable(result, plan));
    process.stdout.write(`report: reports/${testid}/capacity.json, capacity.html\n`);
    if (args.annotate && result.outcome !== "no-samples") {
      // A Grafana that cannot take them costs the annotations only: the verdict and its exit code stand.
      const outcome = await postAnnotations(grafanaTarget({ env }), stepAnnotations(result, plan));
      process.stdout.write(`grafana: ${outcome.message}\n`);
    }
    process.exit(result.exitCode);
  } catch (error) {
    if (error instanceof StoreError) {
      fail(error.message, error.kind === "unknown-testid" ? EXIT.noSamples : EXIT.store);
    }
    throw error;
  }
}

// Anything else is a bug: one line, exit 1.
main().catch((error: unknown) => fail(error instanceof Error ? error.message : String(error), 1));
