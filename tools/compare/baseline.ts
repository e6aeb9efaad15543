// npm run baseline -- <testid | report folder | summary.json>  (make baseline TESTID=…)
// Records a run as its profile's baseline: baselines/<profile>.json holds the testid (so `compare` reads its samples
// from InfluxDB while InfluxDB keeps them, for noise-aware verdicts) and the run's summary numbers (so the
// comparison still works, aggregate-only, after the retention period or `make clean`). The folder is git-ignored:
// numbers measured on one machine are no reference for another (see tools/compare/README.md).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { SummaryData, SummaryMetric } from "../../k6/src/reports/summary-data";
import { REPO_ROOT } from "../influx/index";
import { createStore, StoreError, type RunStore } from "../store/index";
import { fromStore, parseConfigLine } from "./run-data";
import { BadInput, BASELINE_KIND, type BaselineFile } from "./sources";

export const BASELINE_USAGE = `Usage: npm run baseline -- <testid | report folder | summary.json> [--profile NAME] [--dir DIR]
       make baseline TESTID=<testid>

Writes DIR/<profile>.json (default baselines/): the run's testid and its summary numbers. make load then ends with a
comparison against it (run-tests.sh), and npm run compare -- baselines/<profile>.json <run> compares by hand.
A testid without a summary.json (a distributed run: each runner wrote its own) is read from the metrics store
(METRICS: InfluxDB by default, or Prometheus at PROMETHEUS_URL), every runner together.
Exit status: 0 written, 2 bad input.`;

/** Where no summary.json is: the summary numbers of a run read from the store (tools/store), every runner together. */
export async function summaryFromStore(store: RunStore, testid: string): Promise<SummaryData> {
  const run = await fromStore(store, testid, testid);
  const metrics: Record<string, SummaryMetric> = {};
  for (const [key, stats] of run.metrics) {
    metrics[key] = { type: stats.type, contains: stats.isTime ? "time" : "default", values: { ...stats.values } };
  }
  const config = run.profile ? `profile=${run.profile} testid=${testid} source=${store.kind}` : null;
  return {
    metrics,
    root_group: { name: "", path: "", groups: [], checks: [] },
    state: { testRunDurationMs: run.durationMs ?? 0 },
    setup_data: { config, testId: testid },
  };
}

export function recordBaseline(
  input: string,
  options: { root?: string; dir?: string; profile?: string; now?: Date; summary?: SummaryData } = {},
): { path: string; baseline: BaselineFile } {
  const root = options.root ?? REPO_ROOT;
  const candidates = [input, join(input, "summary.json"), join(root, "reports", input, "summary.json")];
  const path = options.summary ? "(metrics store)" : candidates.find((p) => existsSync(p) && p.endsWith(".json"));
  if (!path) {
    throw new BadInput(
      `no summary.json for "${input}" (looked in ${relative(process.cwd(), join(root, "reports", input)) || "."}/): ` +
        "make load writes one per run; pass a testid, a report folder or a summary.json",
    );
  }
  let summary: SummaryData;
  try {
    summary = options.summary ?? (JSON.parse(readFileSync(path, "utf8")) as SummaryData);
  } catch (error) {
    throw new BadInput(`${path} is not JSON (${(error as Error).message.split("\n")[0]})`);
  }
  if (typeof summary !== "object" || summary === null || typeof summary.metrics !== "object") {
    throw new BadInput(`${path} is not a k6 summary.json`);
  }
  const setup = (summary.setup_data ?? {}) as { config?: unknown; testId?: unknown };
  const config = typeof setup.config === "string" ? setup.config : null;
  const profile = options.profile ?? parseConfigLine(config).profile;
  if (!profile) throw new BadInput(`${path} does not say its profile (no setup_data.config): pass --profile NAME`);
  if (!/^[A-Za-z0-9._-]+$/.test(profile)) throw new BadInput(`profile "${profile}" is not a file name`);
  const testid = typeof setup.testId === "string" ? setup.testId : null;
  const baseline: BaselineFile = {
    kind: BASELINE_KIND,
    version: 1,
    profile,
    testid,
    recordedAt: (options.now ?? new Date()).toISOString(),
    config,
    // The checks tree is not compared; the rest is the summary as k6 (and the reports) wrote it.
    summary: {
      metrics: summary.metrics,
      root_group: { name: "", path: "", groups: [], checks: [] },
      state: summary.state,
      ...(summary.setup_data !== undefined ? { setup_data: summary.setup_data } : {}),
    },
  };
  const dir = resolve(root, options.dir ?? "baselines");
  mkdirSync(dir, { recursive: true });
  const out = join(dir, `${profile}.json`);
  writeFileSync(out, `${JSON.stringify(baseline, null, 2)}\n`);
  return { path: out, baseline };
}

/** A bare testid (no file, no folder, no report) is read from the store. */
const TESTID = /^[A-Za-z0-9._-]+$/;

async function main(argv: string[]): Promise<number> {
  let input: string | undefined;
  const options: { profile?: string; dir?: string } = {};
  try {
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i] as string;
      if (arg === "-h" || arg === "--help") {
        process.stdout.write(`${BASELINE_USAGE}\n`);
        return 0;
      }
      if (arg === "--profile" || arg === "--dir") {
        const value = argv[++i];
        if (!value) throw new BadInput(`${arg} needs a value`);
        if (arg === "--profile") options.profile = value;
        else options.dir = value;
      } else if (arg.startsWith("-")) throw new BadInput(`unknown option ${arg} (see --help)`);
      else if (input === undefined) input = arg;
      else throw new BadInput(`one run only, got "${input}" and "${arg}"`);
    }
    if (input === undefined || input === "") throw new BadInput("which run? pass a testid (make baseline TESTID=…)");
    const root = REPO_ROOT;
    const local = [input, join(input, "summary.json"), join(root, "reports", input, "summary.json")];
    let summary: SummaryData | undefined;
    if (!local.some((p) => existsSync(p) && p.endsWith(".json")) && TESTID.test(input)) {
      summary = await summaryFromStore(createStore({ envFile: join(root, ".env") }), input).catch((error: unknown) => {
        if (error instanceof StoreError) throw new BadInput(`no summary.json for "${input}" and ${error.message}`);
        throw error;
      });
    }
    const { path, baseline } = recordBaseline(input, { ...options, ...(summary ? { summary } : {}) });
    process.stdout.write(
      `baseline:  ${relative(process.cwd(), path)} ← ${baseline.testid ?? input} (profile ${baseline.profile})\n`,
    );
    return 0;
  } catch (error) {
    if (error instanceof BadInput || error instanceof StoreError) {
      process.stderr.write(`baseline: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (status) => {
      process.exitCode = status;
    },
    (error: unknown) => {
      process.stderr.write(`baseline: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 2;
    },
  );
}
