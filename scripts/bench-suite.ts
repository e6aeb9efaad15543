// `npm run bench:suite`: what the k6 suite costs per HTTP request, journey by journey, measured with the harness
// (tests/k6/harness: the bundle's VUs in worker threads, k6 modules doubled) against the in-process reference
// target at test-sized timings (tests/k6/helpers.ts startTarget: FAST_TIMING, FAST_REDRAW_MS).
//
// For each journey, run alone (a few VUs, each with its own agent, each for as many iterations as one VU runs on
// the local profile), and for a minimal k6 script making a journey's typical reads (GET /status +
// GET /messages, no checks/groups/custom metrics: scripts/bench-suite/minimal.js, bundled the same way) it prints
//   1. samples per HTTP request by kind — k6's http_req_*, data_*, iterations/iteration_duration, checks,
//      group_duration, xk6-sse's sse_event, each custom metric — and in total, which is InfluxDB points per request:
//      xk6-output-influxdb writes one point per sample; then the same for the local profile's mix (each journey
//      weighted by peak VUs × iterations/s, scripts/bench-suite/mix.ts) and the points/s of its busiest second;
//   2. JS time per request: the CPU time of the VU worker threads (Linux /proc/thread-self/stat, read inside each
//      worker by scripts/bench-suite/cpu-worker.mjs; wall time and the main thread's I/O are not in it), less the
//      CPU of loading the bundle (the options worker's), per request; and the ratio journey / minimal.
//
// What the harness can and cannot say: the sample counts are k6's own (the doubles emit what k6 v1.8.1, xk6-sse and
// the suite emit, sample for sample), so points per request carry over to a real run. JS time is a proxy: V8 here,
// Sobek in k6; the doubles do in JS (sample objects, tags, a structured clone per 500 samples) what k6 does in Go,
// so every sample costs VU-thread time here as it costs k6 CPU there, but not the same amount; the minimal script
// pays the same harness overhead per request, which is why the ratio, not the absolute time, is the figure to read.
// k6's per-request Go work (HTTP client, TLS, the output's line protocol) is not measured at all.
//
//   npm run bench:suite                          # every journey, ~1000-1500 requests each (≈ 1 min)
//   BENCH_SCALE=0.2 npm run bench:suite          # fewer iterations (CPU ticks are 10 ms: less precise)
//   npm run bench:suite -- --only mixed_workload,list_tools
//   npm run bench:suite -- --json reports/bench-suite.json
import { build } from "esbuild";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire, syncBuiltinESMExports } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type * as WorkerThreads from "node:worker_threads";
import type { WorkerOptions } from "node:worker_threads";
import { customMetrics } from "../k6/src/metric-catalog";
import { SCENARIO_NAMES, isScenarioName, type ScenarioName } from "../k6/src/names";
import { K6_MODULE_DOUBLES } from "../tests/k6/harness/bundle";
import { startTarget } from "../tests/k6/helpers";
import {
  busiestSecond,
  countByJourney,
  iterationsPerVu,
  mixPerRequest,
  NOMINAL_ITERATION_S,
  peakIterationRate,
  type JourneyCount,
} from "./bench-suite/mix";

const here = dirname(fileURLToPath(import.meta.url));
const HARNESS_ENTRY = join(here, "..", "tests", "k6", "harness", "vu-worker.ts");
const MINIMAL_SCRIPT = join(here, "bench-suite", "minimal.js");
const CPU_WORKER = join(here, "bench-suite", "cpu-worker.mjs");

/**
 * VUs per journey, each with its own agent of a fleet and running as many iterations as one VU of the local profile
 * does (mix.ts iterationsPerVu): about 1000-1500 requests per journey.
 */
const VUS: Readonly<Record<ScenarioName, number>> = {
  authentication: 2,
  mcp_connection: 2,
  tool_execution: 8,
  list_tools: 4,
  disconnect: 1,
  mixed_workload: 8,
  agent_conversation: 8,
  event_watchers: 8,
};
const MINIMAL_ITERATIONS = 750;

/** Sample kinds, in print order: a label and the metrics it covers (custom metrics get one row each). */
const HTTP_KINDS = [
  "http_reqs",
  "http_req_duration",
  "http_req_blocked",
  "http_req_connecting",
  "http_req_tls_handshaking",
  "http_req_sending",
  "http_req_waiting",
  "http_req_receiving",
  "http_req_failed",
];
const KINDS: ReadonlyArray<{ label: string; metrics: ReadonlyArray<string> }> = [
  { label: "http_req_* + http_reqs (k6)", metrics: HTTP_KINDS },
  { label: "data_sent/received (k6)", metrics: ["data_sent", "data_received"] },
  { label: "iterations/_duration (k6)", metrics: ["iterations", "iteration_duration"] },
  { label: "checks", metrics: ["checks"] },
  { label: "group_duration", metrics: ["group_duration"] },
  { label: "sse_event (xk6-sse)", metrics: ["sse_event"] },
  ...customMetrics().map((m) => ({ label: m.name, metrics: [m.name] })),
];

interface CpuLine {
  phase: string;
  scenario: string | null;
  vu: number;
  cpuMs: number;
  /** [HTTP requests so far, CPU ms so far] at each batch of samples the VU posted, and at its exit. */
  marks: Array<[number, number]>;
}

interface Measured {
  count: JourneyCount;
  /** VU-thread CPU per HTTP request once warm (µs): each VU's first quarter of requests left out. */
  cpuUsPerRequest: number;
  /** VU-thread CPU of the whole run, bundle loading subtracted (ms). */
  cpuMs: number;
}

/** Leave out each VU's first WARM_UP share of requests (the JIT warming up), then CPU per request over the rest. */
const WARM_UP = 0.25;

function steadyCpuUsPerRequest(workers: ReadonlyArray<CpuLine>): number {
  let cpu = 0;
  let requests = 0;
  for (const w of workers) {
    const last = w.marks[w.marks.length - 1];
    if (!last) continue;
    const from = w.marks.find(([r]) => r >= last[0] * WARM_UP && r < last[0]) ?? [0, 0];
    cpu += last[1] - from[1];
    requests += last[0] - from[0];
  }
  return requests === 0 ? 0 : (cpu * 1000) / requests;
}

function fail(message: string): never {
  console.error(`bench-suite: ${message}`);
  process.exit(2);
}

function args(): { only: ScenarioName[]; json: string | undefined; scale: number } {
  const argv = process.argv.slice(2);
  const at = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const only = (at("--only") ?? SCENARIO_NAMES.join(",")).split(",").filter((s) => s !== "");
  for (const name of only) if (!isScenarioName(name)) fail(`--only: unknown journey "${name}"`);
  const scale = Number(process.env.BENCH_SCALE ?? "1");
  if (!Number.isFinite(scale) || scale <= 0)
    fail(`BENCH_SCALE must be a positive number, got "${process.env.BENCH_SCALE}"`);
  return { only: only as ScenarioName[], json: at("--json"), scale };
}

// ---- VU workers through the CPU-noting entry ----------------------------------------------------------------------

const workDir = mkdtempSync(join(tmpdir(), "agentapi-load-bench-suite-"));
process.once("exit", () => rmSync(workDir, { recursive: true, force: true }));
const cpuFile = join(workDir, "cpu.jsonl");
/** When set, VU workers run this bundle instead of the one the harness built (the minimal script's). */
let bundleOverride: string | undefined;

// The harness constructs its Workers itself; every one of them goes through cpu-worker.mjs instead, with the bundle
// it was given as an argument. syncBuiltinESMExports makes ES-module imports of node:worker_threads see the swap.
const workerThreads = createRequire(import.meta.url)("node:worker_threads") as typeof WorkerThreads;
const HarnessWorker = workerThreads.Worker;
class MeasuredWorker extends HarnessWorker {
  constructor(filename: string | URL, options: WorkerOptions = {}) {
    const bundle = bundleOverride ?? (filename instanceof URL ? fileURLToPath(filename) : filename);
    super(CPU_WORKER, { ...options, argv: [bundle, cpuFile] });
  }
}
workerThreads.Worker = MeasuredWorker;
syncBuiltinESMExports();
const harness = await import("../tests/k6/harness/index");

function readCpu(): CpuLine[] {
  let text = "";
  try {
    text = readFileSync(cpuFile, "utf8");
  } catch {
    return [];
  }
  writeFileSync(cpuFile, "");
  return text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as CpuLine);
}

/** The minimal script as the harness bundles the suite: its VU worker entry, k6 modules → doubles. */
async function minimalBundle(): Promise<string> {
  const outfile = join(workDir, "vu-worker.minimal.mjs");
  await build({
    entryPoints: [HARNESS_ENTRY],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    sourcemap: "inline",
    logLevel: "silent",
    plugins: [
      {
        name: "bench-minimal",
        setup(b) {
          b.onResolve({ filter: /^virtual:k6-script$/ }, () => ({ path: MINIMAL_SCRIPT }));
          b.onResolve({ filter: /^k6(\/.*)?$/ }, (a) => {
            const double = K6_MODULE_DOUBLES[a.path];
            return double ? { path: double } : { errors: [{ text: `no harness double for ${a.path}` }] };
          });
        },
      },
    ],
  });
  return outfile;
}

async function measure(
  target: { agentApiUrl: string; brokerUrl: string },
  scenario: string,
  vus: number,
  iterations: number,
): Promise<Measured> {
  readCpu();
  const run = await harness.runJourneys({
    ...target,
    scenarios: [scenario],
    vus,
    iterations,
    env: {
      TESTID: "bench-suite",
      AGENTAPI_URL_TEMPLATE: `${target.agentApiUrl}/agents/{agent}`,
      AGENTS: String(vus),
    },
    timeoutMs: 600_000,
  });
  if (run.errors.length > 0) fail(`${scenario}: ${run.errors.slice(0, 3).join("; ")}`);
  const lines = readCpu();
  const load = lines.filter((l) => l.phase === "options").map((l) => l.cpuMs);
  const loadMs = load.length > 0 ? load.reduce((a, b) => a + b, 0) / load.length : 0;
  const workers = lines.filter((l) => l.phase === "iterations");
  const cpuMs = workers.reduce((n, l) => n + l.cpuMs - loadMs, 0);
  const cpuUsPerRequest = steadyCpuUsPerRequest(workers);
  const counted =
    scenario === "minimal" ? countMinimal(run.samples) : countByJourney(run.samples)[scenario as ScenarioName];
  if (!counted || counted.requests === 0) fail(`${scenario}: no requests were recorded`);
  return { count: counted, cpuMs, cpuUsPerRequest };
}

/** countByJourney for the minimal script's one scenario (not a suite journey). */
function countMinimal(samples: ReadonlyArray<{ metric: string; tags: Record<string, string> }>): JourneyCount {
  const c: JourneyCount = { iterations: 0, requests: 0, samples: {} };
  for (const s of samples) {
    if (s.tags.scenario !== "minimal") continue;
    c.samples[s.metric] = (c.samples[s.metric] ?? 0) + 1;
    if (s.metric === "iterations") c.iterations++;
    if (s.metric === "http_reqs") c.requests++;
  }
  return c;
}

// ---- printing ----------------------------------------------------------------------------------------------------

const pad = (text: string, width: number) => (text.length >= width ? text : text + " ".repeat(width - text.length));
const num = (n: number, digits = 2) => (n === 0 ? "·" : n.toFixed(digits));

function perRequest(c: JourneyCount, metrics: ReadonlyArray<string>): number {
  return metrics.reduce((n, m) => n + (c.samples[m] ?? 0), 0) / c.requests;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => pad(c, widths[i] ?? 0)).join("  ");
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

async function main(): Promise<void> {
  const { only, json, scale } = args();
  const results: Partial<Record<ScenarioName | "minimal", Measured>> = {};
  const minimal = await minimalBundle();
  for (const name of [...only, "minimal" as const]) {
    const vus = name === "minimal" ? 1 : VUS[name];
    const perVu = name === "minimal" ? MINIMAL_ITERATIONS : iterationsPerVu(name);
    const iterations = Math.max(3, Math.round(perVu * scale));
    process.stderr.write(`bench-suite: ${name}: ${vus} VU × ${iterations} iterations …\n`);
    // A fresh target each, one agent per VU: an agent's conversation (replayed by every GET /events) grows only with
    // its own VU's iterations, as in a real run.
    const stub = await startTarget({ agents: vus });
    bundleOverride = name === "minimal" ? minimal : undefined;
    try {
      results[name] = await measure(
        { agentApiUrl: stub.agentApiUrl, brokerUrl: stub.brokerUrl },
        name,
        vus,
        iterations,
      );
    } finally {
      bundleOverride = undefined;
      await stub.close();
    }
  }

  const counts: Partial<Record<ScenarioName, JourneyCount>> = {};
  for (const name of only) counts[name] = results[name]?.count;
  const columns = [...only, "minimal"] as const;
  const count = (name: (typeof columns)[number]) => results[name]?.count as JourneyCount;

  // 1. samples per request by kind
  const kinds = KINDS.filter((k) => columns.some((c) => perRequest(count(c), k.metrics) > 0));
  const header = ["samples / HTTP request", ...columns, "mix"];
  const rows = kinds.map((k) => [
    k.label,
    ...columns.map((c) => num(perRequest(count(c), k.metrics))),
    num(mixPerRequest(counts, (m) => k.metrics.includes(m))),
  ]);
  const total = (c: JourneyCount) => Object.values(c.samples).reduce((a, b) => a + b, 0) / c.requests;
  rows.push(["= InfluxDB points / request", ...columns.map((c) => num(total(count(c)))), num(mixPerRequest(counts))]);
  rows.push(["requests / iteration", ...columns.map((c) => num(count(c).requests / count(c).iterations)), ""]);
  console.log(`\n${table(header, rows)}`);

  // The mix's weights and its busiest second.
  const weights = only.map((n) => [
    n,
    num(peakIterationRate(n), 1),
    String(NOMINAL_ITERATION_S[n].seconds),
    NOMINAL_ITERATION_S[n].why,
  ]);
  console.log(`\n${table(["mix weight", "iterations/s at peak", "s/iteration", "why"], weights)}`);
  const busiest = busiestSecond(counts);
  console.log(
    `\nlocal profile, busiest second (t=${busiest.atSeconds}s): ${busiest.requestsPerSecond.toFixed(0)} requests/s, ` +
      `${busiest.pointsPerSecond.toFixed(0)} InfluxDB points/s (one point per sample; vus/vus_max add 2/s)`,
  );

  // 2. JS time per request
  const base = (results.minimal as Measured).cpuUsPerRequest;
  const cpuRows = columns.map((c) => {
    const r = results[c] as Measured;
    const per = r.cpuUsPerRequest;
    return [
      c,
      String(r.count.requests),
      r.cpuMs.toFixed(0),
      per.toFixed(0),
      (per - base).toFixed(0),
      (per / base).toFixed(2),
    ];
  });
  // The mix: CPU per iteration weighted like the samples.
  let mixCpu = 0;
  let mixRequests = 0;
  for (const n of only) {
    const r = results[n] as Measured;
    const rate = peakIterationRate(n) / r.count.iterations;
    mixCpu += rate * r.cpuUsPerRequest * r.count.requests;
    mixRequests += rate * r.count.requests;
  }
  const mixPer = mixCpu / mixRequests;
  cpuRows.push(["mix", "", "", mixPer.toFixed(0), (mixPer - base).toFixed(0), (mixPer / base).toFixed(2)]);
  console.log(
    `\n${table(["VU-thread CPU", "requests", "CPU ms (all)", "µs / request (warm)", "− minimal µs", "ratio to minimal"], cpuRows)}`,
  );
  console.log(
    "\nCPU: user+system time of the VU worker threads (10 ms ticks), each VU's first quarter of requests (JIT warm-up)" +
      " left out. A proxy for k6's JS cost: the doubles do in JS what k6 does in Go; read the ratio, not the µs.",
  );

  if (json !== undefined) {
    const out = {
      counts: Object.fromEntries(columns.map((c) => [c, count(c)])),
      cpuUsPerRequest: Object.fromEntries(columns.map((c) => [c, results[c]?.cpuUsPerRequest])),
      mixPointsPerRequest: mixPerRequest(counts),
      mixCpuRatio: mixPer / base,
      busiest,
    };
    writeFileSync(json, `${JSON.stringify(out, null, 2)}\n`);
    console.log(`\nbench-suite: wrote ${json}`);
  }
}

main().catch((error: unknown) => fail(error instanceof Error ? (error.stack ?? error.message) : String(error)));
