// npm run compare -- <baseline> <candidate> [options]: compares two runs and writes compare.json / .md / .html.
// Exit status: 0 nothing regressed, 1 at least one row regressed, 2 bad input (one line on stderr).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { REPO_ROOT } from "../influx/index";
import { createStore, STORE_CHOICES, StoreError, type RunStore } from "../store/index";
import { compareRuns, DEFAULT_OPTIONS, type CompareOptions, type Comparison } from "./compare";
import { renderHtml, renderMarkdown, renderText, toJson, verdictLine } from "./render";
import { BadInput, resolveSides } from "./sources";
import { parseToleranceOption, parseToleranceSpec, ToleranceError, type ToleranceSpec } from "./tolerance";

export const USAGE = `Usage: npm run compare -- <baseline> <candidate> [options]
       npm run compare -- --list

Each side is a report folder (reports/<testid>/), a summary.json, a baseline file (baselines/<profile>.json) or a
testid (read from the metrics store: InfluxDB's samples — INFLUXDB_URL, INFLUXDB_TOKEN — or, with METRICS=prometheus
or --store prometheus, Prometheus' native histograms — PROMETHEUS_URL; defaults from .env). A folder, summary or
baseline that names its testid is read from InfluxDB when both sides can be (noise-aware verdicts); otherwise the
verdicts are aggregate-only (tolerance rule alone; Prometheus keeps no samples, so its sides always are).

Options:
  --out DIR                  write compare.json, compare.md, compare.html there (default reports/compare-<A>-vs-<B>/)
  --tolerance SEL=SPEC       e.g. http_req_duration=15%,10ms or checks=10%,1pp; repeatable. SEL: default, a metric
                             name, or a metric key such as http_req_duration{endpoint:messages}. Default: 10% and
                             5 ms for latencies, 10% and 0.5pp for rates; both parts must be exceeded
  --config FILE              JSON: {"tolerance": {"SEL": "SPEC"}, "alpha": 0.01, "resamples": 2000, "seed": 1,
                             "statistic": "p(95)", "minSamples": 20, "bootstrap": "block", "blocks": 20};
                             flags win over it
  --alpha A                  1 - confidence level of the intervals (default 0.01: 99 %)
  --resamples N              bootstrap resamples per row (default 2000)
  --bootstrap block|iid      block (default): resample stretches of time, the same ones on both sides, so clustered
                             slow samples count as what they are; iid: every sample on its own
  --blocks N                 blocks per run for the block bootstrap (default 20)
  --seed N                   PRNG seed (default 1): same inputs, same verdicts
  --stat STAT                latency statistic of the endpoint/scenario/metric rows: p(95) (default), p(99), med, avg
  --min-samples N            rows with fewer values on a side are not judged (default 20)
  --aggregate-only           never read samples for a folder/summary/baseline side
  --allow-profile-mismatch   compare runs of different profiles (else exit 2)
  --quiet                    print only the verdict line and the output folder
  --store influxdb|prometheus where testids are read (default: METRICS from the environment or .env, else influxdb)
  --list                     list the testids the store holds
  -h, --help                 this help

Exit status: 0 nothing regressed, 1 something regressed, 2 bad input (unknown testid, unreadable file, InfluxDB
or Prometheus unreachable or refusing the token, different profiles, bad option).`;

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  env?: Record<string, string | undefined>;
  /** The repository root: reports/ and .env are found there. */
  root?: string;
}

interface Parsed {
  positional: string[];
  out?: string;
  tolerances: Array<[string, ToleranceSpec]>;
  config?: string;
  options: Partial<CompareOptions>;
  aggregateOnly: boolean;
  allowProfileMismatch: boolean;
  quiet: boolean;
  list: boolean;
  help: boolean;
  store?: string;
}

function numberOption(flag: string, value: string, check: (n: number) => boolean, what: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || !check(n))
    throw new BadInput(`${flag} must be ${what} (got "${value}")`);
  return n;
}

const STATISTIC = /^(p\(\d+(\.\d+)?\)|med|avg)$/;

function setOption(parsed: Parsed, key: string, raw: unknown, source: string): void {
  const value = String(raw);
  switch (key) {
    case "alpha":
      parsed.options.alpha = numberOption(source, value, (n) => n > 0 && n < 0.5, "a number in (0, 0.5)");
      return;
    case "resamples":
      parsed.options.resamples = numberOption(
        source,
        value,
        (n) => Number.isInteger(n) && n >= 100,
        "an integer ≥ 100",
      );
      return;
    case "seed":
      parsed.options.seed = numberOption(source, value, Number.isInteger, "an integer");
      return;
    case "blocks":
      parsed.options.blocks = numberOption(source, value, (n) => Number.isInteger(n) && n >= 1, "an integer ≥ 1");
      return;
    case "bootstrap":
      if (value !== "block" && value !== "iid") throw new BadInput(`${source} must be block or iid (got "${value}")`);
      parsed.options.bootstrap = value;
      return;
    case "minSamples":
      parsed.options.minSamples = numberOption(source, value, (n) => Number.isInteger(n) && n >= 1, "an integer ≥ 1");
      return;
    case "statistic":
      if (!STATISTIC.test(value)) throw new BadInput(`${source} must be p(N), med or avg (got "${value}")`);
      parsed.options.statistic = value;
      return;
    default:
      throw new BadInput(`${source}: unknown setting "${key}"`);
  }
}

function parseArgs(argv: string[]): Parsed {
  const parsed: Parsed = {
    positional: [],
    tolerances: [],
    options: {},
    aggregateOnly: false,
    allowProfileMismatch: false,
    quiet: false,
    list: false,
    help: false,
  };
  const flagSettings: Record<string, string> = {
    "--alpha": "alpha",
    "--resamples": "resamples",
    "--seed": "seed",
    "--stat": "statistic",
    "--min-samples": "minSamples",
    "--bootstrap": "bootstrap",
    "--blocks": "blocks",
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [flag, inline] =
      arg.startsWith("--") && arg.includes("=")
        ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)]
        : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === "") throw new BadInput(`${flag} needs a value (see --help)`);
      return v;
    };
    if (flag === "-h" || flag === "--help") parsed.help = true;
    else if (flag === "--list") parsed.list = true;
    else if (flag === "--quiet") parsed.quiet = true;
    else if (flag === "--aggregate-only") parsed.aggregateOnly = true;
    else if (flag === "--allow-profile-mismatch") parsed.allowProfileMismatch = true;
    else if (flag === "--out") parsed.out = value();
    else if (flag === "--config") parsed.config = value();
    else if (flag === "--store") parsed.store = value();
    else if (flag === "--tolerance") parsed.tolerances.push(parseToleranceOption(value()));
    else if (flag in flagSettings) setOption(parsed, flagSettings[flag] as string, value(), flag);
    else if (flag.startsWith("-") && flag !== "-") throw new BadInput(`unknown option ${flag} (see --help)`);
    else parsed.positional.push(arg);
  }
  return parsed;
}

/** Settings from a --config file; flags given on the command line win. */
function applyConfig(parsed: Parsed, path: string): Map<string, ToleranceSpec> {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, "utf8")) as unknown;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new BadInput(`--config ${path}: ${code ?? (error as Error).message.split("\n")[0]}`);
  }
  if (typeof data !== "object" || data === null || Array.isArray(data))
    throw new BadInput(`--config ${path}: not a JSON object`);
  const table = new Map<string, ToleranceSpec>();
  const fromFlags = { ...parsed.options };
  for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
    if (key === "tolerance") {
      if (typeof value !== "object" || value === null)
        throw new BadInput(`--config ${path}: "tolerance" must be an object`);
      for (const [sel, spec] of Object.entries(value as Record<string, unknown>))
        table.set(sel, parseToleranceSpec(String(spec)));
    } else if (key !== "$comment") {
      setOption(parsed, key, value, `--config ${path}: ${key}`);
    }
  }
  Object.assign(parsed.options, fromFlags);
  return table;
}

const safe = (label: string): string => label.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 80);

export interface RunResult {
  status: number;
  comparison?: Comparison;
  outDir?: string;
}

export async function runCli(argv: string[], io: Io): Promise<RunResult> {
  const root = io.root ?? REPO_ROOT;
  const env = io.env ?? process.env;
  let store: RunStore | undefined;
  let choice: string | undefined;
  const getStore = () => (store ??= createStore({ env, envFile: join(root, ".env"), choice }));
  try {
    const parsed = parseArgs(argv);
    choice = parsed.store;
    // A bad METRICS or --store is bad input before anything is read.
    if (parsed.store !== undefined && !STORE_CHOICES.split("|").includes(parsed.store))
      throw new BadInput(`--store must be ${STORE_CHOICES} (got "${parsed.store}")`);
    if (parsed.help) {
      io.out(USAGE);
      return { status: 0 };
    }
    if (parsed.list) {
      const ids = await getStore().listTestIds();
      io.out(ids.length > 0 ? ids.join("\n") : `no runs in ${getStore().description}`);
      return { status: 0 };
    }
    if (parsed.positional.length !== 2) {
      throw new BadInput(`needs a baseline and a candidate, got ${parsed.positional.length} argument(s) (see --help)`);
    }
    const tolerances = parsed.config ? applyConfig(parsed, parsed.config) : new Map<string, ToleranceSpec>();
    for (const [sel, spec] of parsed.tolerances) tolerances.set(sel, spec);
    const [baselineInput, candidateInput] = parsed.positional as [string, string];
    const sides = await resolveSides(baselineInput, candidateInput, {
      store: getStore,
      reportsDir: join(root, "reports"),
      aggregateOnly: parsed.aggregateOnly,
      allowProfileMismatch: parsed.allowProfileMismatch,
    });
    const comparison = compareRuns(sides.baseline, sides.candidate, {
      ...DEFAULT_OPTIONS,
      ...parsed.options,
      tolerances,
    });
    comparison.notes.push(...sides.notes);
    const outDir = resolve(
      parsed.out ??
        join(root, "reports", `compare-${safe(comparison.baseline.label)}-vs-${safe(comparison.candidate.label)}`),
    );
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, "compare.json"), toJson(comparison));
    writeFileSync(join(outDir, "compare.md"), renderMarkdown(comparison));
    writeFileSync(join(outDir, "compare.html"), renderHtml(comparison));
    io.out(parsed.quiet ? verdictLine(comparison) : renderText(comparison));
    io.out(`written:   ${join(outDir, "compare.md")} (+ compare.json, compare.html)`);
    return { status: comparison.regressed ? 1 : 0, comparison, outDir };
  } catch (error) {
    if (error instanceof BadInput || error instanceof ToleranceError || error instanceof StoreError) {
      io.err(`compare: ${error.message}`);
      return { status: 2 };
    }
    throw error;
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (isMain) {
  runCli(process.argv.slice(2), {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
  }).then(
    (result) => {
      process.exitCode = result.status;
    },
    (error: unknown) => {
      process.stderr.write(`compare: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 2;
    },
  );
}
