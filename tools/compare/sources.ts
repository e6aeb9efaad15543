// What a side of `npm run compare` may be, and how it is read:
//   a report folder (reports/<testid>/, its summary.json) · a summary.json · a baseline file (baselines/<profile>.json)
//   · a testid (read from the metrics store: its samples from InfluxDB, or its series from Prometheus).
// A summary-based side that names its testid is read from InfluxDB instead when both sides can be (so a baseline
// recorded with `make baseline` is compared noise-aware while InfluxDB still holds it), unless --aggregate-only.
// Prometheus keeps no samples, so a summary (k6's exact numbers) stays a summary there.
import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { SummaryData } from "../../k6/src/reports/summary-data";
import { StoreError, type RunStore } from "../store/types";
import { fromStore, fromSummary, type RunData, type StoreLoadOptions } from "./run-data";

/** Bad input (exit 2): the message is the one line the CLI prints. */
export class BadInput extends Error {}

export const BASELINE_KIND = "agentapi-load-baseline";

export interface BaselineFile {
  kind: typeof BASELINE_KIND;
  version: 1;
  profile: string;
  testid: string | null;
  recordedAt: string;
  /** The run's configuration line (summary.json setup_data.config). */
  config: string | null;
  /** The run's summary.json (metrics, state, setup_data; the checks tree left out). */
  summary: SummaryData;
}

const TESTID = /^[A-Za-z0-9._-]+$/;

type Input =
  | { kind: "summary"; input: string; data: SummaryData; label: string; path: string }
  | { kind: "testid"; input: string; testid: string };

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new BadInput(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new BadInput(`${path} is not JSON (${(error as Error).message.split("\n")[0]})`);
  }
}

function isSummary(value: unknown): value is SummaryData {
  return typeof value === "object" && value !== null && typeof (value as { metrics?: unknown }).metrics === "object";
}

function classify(input: string): Input {
  if (existsSync(input)) {
    const isDir = statSync(input).isDirectory();
    const path = isDir ? join(input, "summary.json") : input;
    if (isDir && !existsSync(path)) throw new BadInput(`${input} is a folder without a summary.json`);
    const data = readJson(path);
    const folderName = basename(isDir ? input : dirname(input)) || basename(input);
    if (typeof data === "object" && data !== null && (data as { kind?: unknown }).kind === BASELINE_KIND) {
      const baseline = data as BaselineFile;
      if (!isSummary(baseline.summary)) throw new BadInput(`${path}: baseline file without a summary`);
      const summary: SummaryData = {
        ...baseline.summary,
        setup_data: baseline.summary.setup_data ?? { config: baseline.config, testId: baseline.testid },
      };
      return { kind: "summary", input, data: summary, label: baseline.testid ?? `baseline-${baseline.profile}`, path };
    }
    if (!isSummary(data)) throw new BadInput(`${path} is neither a k6 summary.json nor a baseline file`);
    return { kind: "summary", input, data, label: folderName, path };
  }
  if (input.includes("/") || input.endsWith(".json"))
    throw new BadInput(`cannot read ${input}: no such file or folder`);
  if (!TESTID.test(input)) throw new BadInput(`"${input}" is neither a file, a report folder nor a testid`);
  return { kind: "testid", input, testid: input };
}

export interface ResolveOptions {
  /** The metrics store (created on first use, so summary-only comparisons need none). */
  store: () => RunStore;
  /** Where `make load` writes reports: a testid side takes its profile from reports/<testid>/summary.json. */
  reportsDir: string;
  aggregateOnly: boolean;
  allowProfileMismatch: boolean;
  load?: StoreLoadOptions;
}

function asBadInput(error: unknown): never {
  if (error instanceof StoreError) throw new BadInput(error.message);
  throw error;
}

/** A report folder's summary for a testid, when there is one (profile and configuration come from it). */
function localSummary(reportsDir: string, testid: string): SummaryData | undefined {
  const path = join(reportsDir, testid, "summary.json");
  if (!existsSync(path)) return undefined;
  try {
    const data = JSON.parse(readFileSync(path, "utf8")) as unknown;
    return isSummary(data) ? data : undefined;
  } catch {
    return undefined;
  }
}

/** The summary's own description of the run (profile, config, threshold verdicts) on top of the store's numbers. */
function merged(stored: RunData, summary: RunData): RunData {
  return {
    ...stored,
    input: summary.input,
    profile: summary.profile ?? stored.profile,
    config: summary.config,
    thresholds: summary.thresholds.length > 0 ? summary.thresholds : stored.thresholds,
  };
}

export async function resolveSides(
  baselineInput: string,
  candidateInput: string,
  options: ResolveOptions,
): Promise<{ baseline: RunData; candidate: RunData; notes: string[] }> {
  const inputs = [classify(baselineInput), classify(candidateInput)] as const;
  const notes: string[] = [];
  const sides: RunData[] = [];
  for (const input of inputs) {
    if (input.kind === "summary") {
      sides.push(fromSummary(input.data, input.input, input.label));
      continue;
    }
    try {
      const run = await fromStore(options.store(), input.testid, input.input, options.load);
      const local = localSummary(options.reportsDir, input.testid);
      sides.push(local ? merged(run, fromSummary(local, input.input, input.testid)) : run);
    } catch (error) {
      const local = localSummary(options.reportsDir, input.testid);
      if (error instanceof StoreError && error.kind === "unknown-testid" && local) {
        notes.push(
          `${input.testid}: not in ${options.store().description} (${error.message}); ` +
            `using ${options.reportsDir}/${input.testid}/summary.json`,
        );
        sides.push(fromSummary(local, input.input, input.testid));
        continue;
      }
      asBadInput(error);
    }
  }
  let [baseline, candidate] = sides as [RunData, RunData];

  // Summaries that name their testid: use the samples when both sides can have them (a store that keeps samples).
  const canUpgrade = (run: RunData) => run.source === "influx" || run.testid !== null;
  const sampled = () => baseline.source === "influx" || candidate.source === "influx" || options.store().keepsSamples;
  if (!options.aggregateOnly && canUpgrade(baseline) && canUpgrade(candidate) && sampled()) {
    if (baseline.source === "summary" || candidate.source === "summary") {
      try {
        const upgrade = async (run: RunData) =>
          run.source === "influx"
            ? run
            : merged(await fromStore(options.store(), run.testid as string, run.input, options.load), run);
        const [a, b] = [await upgrade(baseline), await upgrade(candidate)];
        [baseline, candidate] = [a, b];
      } catch (error) {
        if (!(error instanceof StoreError)) throw error;
        notes.push(`samples not used (${error.message})`);
      }
    }
  }

  if (baseline.profile && candidate.profile && baseline.profile !== candidate.profile) {
    if (!options.allowProfileMismatch) {
      throw new BadInput(
        `profiles differ: baseline ${baseline.label} ran "${baseline.profile}", candidate ${candidate.label} ran ` +
          `"${candidate.profile}" (compare runs of one profile, or pass --allow-profile-mismatch)`,
      );
    }
    notes.push(`profiles differ (${baseline.profile} vs ${candidate.profile}), allowed by --allow-profile-mismatch`);
  }
  for (const run of [baseline, candidate]) {
    if (!run.profile) notes.push(`${run.label}: profile unknown (no summary.json, no profile tag), not checked`);
  }
  return { baseline, candidate, notes };
}
