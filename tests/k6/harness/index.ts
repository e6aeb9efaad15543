// The harness: runs the k6 suite's journeys under Node, without k6, against a real target. Each VU is a worker
// thread executing the bundled script (k6 modules replaced by doubles); the main thread performs its HTTP.
// Samples come back in k6's shape, so tests — and the dashboards' InfluxDB loader — see what k6 would emit.
import { MessageChannel, Worker } from "node:worker_threads";
import type { SummaryData } from "../../../k6/src/reports/summary-data";
import { workerBundle, type EventsTransport } from "./bundle";
import { VuIo, type HttpAnswer } from "./host";
import { executionTuple, SegmentedIndex, type ExecutionTuple } from "./segments";
import { buildSummary } from "./summary";
import type { DeclaredMetric, MetricSample, WorkerInit, WorkerMessage, WorkerPhase } from "./types";

/**
 * The worker runs a plain JS bundle, so it needs no TypeScript loader. Under `tsx` (the bench scripts) a worker
 * would inherit tsx's hooks, whose module lexer reads `Buffer` lazily — after install.ts hid it, which crashed
 * `npm run bench:dashboards` now and then at start ("Buffer is not defined"). Other flags (vitest's) are kept.
 */
const WORKER_EXEC_ARGV = ((args: readonly string[]): string[] => {
  const kept: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const next = args[i + 1];
    if ((arg === "--require" || arg === "--import") && next !== undefined && /[/\\]tsx[/\\]/.test(next)) {
      i++;
      continue;
    }
    kept.push(arg);
  }
  return kept;
})(process.execArgv);

export type { MetricSample, DeclaredMetric } from "./types";
export type { HttpAnswer } from "./host";
export { buildSummary, evaluateThresholds, parseThreshold, percentile } from "./summary";
export type { EventsTransport } from "./bundle";
export { executionTuple, operatorSegment } from "./segments";
export { runArrivalRate, type ArrivalOptions } from "./arrival";

export interface JourneyOptions {
  /** Scenarios to run (default: every scenario in the script's options.scenarios). */
  scenarios?: string[];
  /** Iterations per VU (default 3). */
  iterations?: number;
  /** Environment for the script (__ENV); overrides the URLs derived from agentApiUrl/brokerUrl. */
  env?: Record<string, string>;
  agentApiUrl: string;
  brokerUrl: string;
  /** VUs per scenario (default 1), or per scenario name. */
  vus?: number | Record<string, number>;
  /** Iterations per VU for particular scenarios (overrides `iterations`). */
  iterationsByScenario?: Record<string, number>;
  /** Which bundle to run: xk6-sse (k6/dist/main.js) or polling (k6/dist/main.stock.js). Default xk6-sse. */
  transport?: EventsTransport;
  /** Give up on a VU after this long (ms). Default 60 000. */
  timeoutMs?: number;
  /**
   * Run as ONE instance of a distributed run, like `k6 run --execution-segment … --execution-segment-sequence …`
   * (k6-operator gives runner k of N the segment (k-1)/N:k/N of 0,1/N,…,1; see operatorSegment). `vus` is then the
   * whole run's count: this instance runs its share of each scenario (k6's ScaleInt64), its VUs get run-wide ids
   * from its stripe (exec.vu.idInTest) and 1..n on the instance (idInInstance, __VU), its scenario iterations
   * run-wide numbers from the same stripe (exec.scenario.iterationInTest). Without it: the whole run, ids 1..N.
   */
  executionSegment?: string;
  executionSegmentSequence?: string;
  /** Run-wide tags added on the command line (`k6 run --tag name=value`), over the script's options.tags. */
  tags?: Record<string, string>;
  /** Told of every VU request as it completes, while the run goes on (a test that restarts a server mid-run). */
  onAnswer?: (answer: HttpAnswer) => void;
}

/** A VU the run started: its scenario and the ids k6/execution gave it. */
export interface StartedVu {
  scenario: string;
  idInTest: number;
  idInInstance: number;
  /** The requests this VU sent ("METHOD URL"), once the run is over. */
  requested: string[];
}

export interface JourneyRun {
  samples: MetricSample[];
  failedChecks: number;
  passedChecks: number;
  /** Exceptions thrown by iterations (k6 would log them and carry on). */
  errors: string[];
  /** The script's exported options, as k6 would read them. */
  options: ScriptOptions;
  declaredMetrics: DeclaredMetric[];
  /** console output of the script, in order received. */
  logs: Array<{ level: string; text: string }>;
  /** Every request the VUs sent ("METHOD URL"), setup and teardown included. */
  requested: string[];
  durationMs: number;
  env: Record<string, string>;
  /** What setup() returned (k6 hands it to handleSummary as `setup_data`). */
  setupData: unknown;
  /** The VUs this instance ran, in start order. */
  vus: StartedVu[];
}

export interface ScriptOptions {
  scenarios?: Record<string, { exec?: string; [k: string]: unknown }>;
  thresholds?: Record<string, Array<string | { threshold: string; abortOnFail?: boolean }>>;
  tags?: Record<string, string>;
  summaryTrendStats?: string[];
  [k: string]: unknown;
}

/** A worker's final report plus what it streamed while running. */
export type WorkerOutcome = Omit<Extract<WorkerMessage, { type: "done" }>, "type"> & {
  samples: MetricSample[];
  logs: Array<{ level: string; text: string }>;
  requested: string[];
};

export interface Shared {
  bundle: string;
  env: Record<string, string>;
  globalTags: Record<string, string>;
  vusActive: SharedArrayBuffer;
  timeoutMs: number;
  tuple: ExecutionTuple;
  onAnswer?: (answer: HttpAnswer) => void;
}

export interface VuIds {
  idInTest: number;
  idInInstance: number;
  /** The scenario's iteration counter on this instance (iterations phase). */
  scenarioIterations?: SharedArrayBuffer;
}

/** Setup, teardown, options and the summary run outside any VU: id 0. */
export const NO_VU: VuIds = { idInTest: 0, idInInstance: 0 };

/** Runs one phase in a VU worker; `onIdle` hears an arrival-rate VU wait for its next iteration (arrival.ts). */
export function runWorker(shared: Shared, phase: WorkerPhase, ids: VuIds, onIdle?: () => void): Promise<WorkerOutcome> {
  const vuId = ids.idInTest;
  return new Promise((resolve, reject) => {
    const { port1, port2 } = new MessageChannel();
    const signal = new SharedArrayBuffer(4);
    const io = new VuIo(port2, signal, shared.onAnswer);
    const init: WorkerInit = {
      phase,
      env: shared.env,
      vuId,
      vuIdInInstance: ids.idInInstance,
      executionSegment: shared.tuple.executionSegment,
      executionSegmentSequence: shared.tuple.executionSegmentSequence,
      stripe: shared.tuple.stripe,
      ...(ids.scenarioIterations ? { scenarioIterations: ids.scenarioIterations } : {}),
      globalTags: shared.globalTags,
      signal,
      vusActive: shared.vusActive,
      port: port1,
      sseLimitMs: Math.min(30_000, shared.timeoutMs),
    };
    const worker = new Worker(shared.bundle, { workerData: init, transferList: [port1], execArgv: WORKER_EXEC_ARGV });
    const samples: MetricSample[] = [];
    const logs: Array<{ level: string; text: string }> = [];
    let done: Extract<WorkerMessage, { type: "done" }> | undefined;
    let failure: Error | undefined;
    const timer = setTimeout(() => {
      failure = new Error(`VU ${vuId} (${phase.kind}) did not finish within ${shared.timeoutMs} ms`);
      void worker.terminate();
    }, shared.timeoutMs);

    worker.on("message", (message: WorkerMessage) => {
      if (message.type === "samples") samples.push(...message.samples);
      else if (message.type === "log") logs.push({ level: message.level, text: message.text });
      else if (message.type === "idle") onIdle?.();
      else done = message;
    });
    worker.on("error", (error) => {
      failure ??= error;
    });
    worker.on("exit", (code) => {
      clearTimeout(timer);
      io.close();
      if (failure) return reject(failure);
      if (!done) return reject(new Error(`VU ${vuId} (${phase.kind}) exited with code ${code} before finishing`));
      resolve({ ...done, samples, logs, requested: io.requested });
    });
  });
}

export function derivedEnv(agentApiUrl: string, brokerUrl: string): Record<string, string> {
  return {
    BASE_URL: agentApiUrl,
    AUTH_URL: `${brokerUrl}/api/auth/token`,
    OAUTH_BASE_URL: `${brokerUrl}/api/mcp/oauth`,
    MCP_URL: `${brokerUrl}/mcp`,
    THINK_TIME_SCALE: "0",
  };
}

/** What a one-off worker (reading options, rendering the summary) shares: no global tags, one VU slot. */
async function singleWorkerShared(env: Record<string, string>, transport: EventsTransport): Promise<Shared> {
  return {
    bundle: await workerBundle(transport),
    env,
    globalTags: {},
    vusActive: new SharedArrayBuffer(4),
    timeoutMs: 30_000,
    tuple: executionTuple(),
  };
}

/** Read the script's options (its init code runs with this environment, as in k6's first initialisation). */
export async function loadOptions(
  env: Record<string, string>,
  transport: EventsTransport = "xk6-sse",
): Promise<ScriptOptions> {
  const shared = await singleWorkerShared(env, transport);
  const outcome = await runWorker(shared, { kind: "options" }, NO_VU);
  return (outcome.result ?? {}) as ScriptOptions;
}

/**
 * Run the selected journeys: setup once, then each scenario's VUs concurrently for their iterations, then
 * teardown. Throws if setup aborts or the configuration is invalid (with k6's one-line message).
 */
export async function runJourneys(opts: JourneyOptions): Promise<JourneyRun> {
  const started = Date.now();
  const transport = opts.transport ?? "xk6-sse";
  const env = { ...derivedEnv(opts.agentApiUrl, opts.brokerUrl), ...opts.env };
  const options = await loadOptions(env, transport);
  const available = Object.keys(options.scenarios ?? {});
  const selected = opts.scenarios ?? available;
  for (const name of selected) {
    if (!available.includes(name)) {
      throw new Error(`scenario ${name} is not in the script's options.scenarios (${available.join(", ") || "none"})`);
    }
  }

  const vusActive = new SharedArrayBuffer(4);
  const active = new Int32Array(vusActive);
  const tuple = executionTuple(opts.executionSegment, opts.executionSegmentSequence);
  const shared: Shared = {
    bundle: await workerBundle(transport),
    env,
    globalTags: { ...options.tags, ...opts.tags },
    vusActive,
    timeoutMs: opts.timeoutMs ?? 60_000,
    tuple,
    onAnswer: opts.onAnswer,
  };
  const outcomes: WorkerOutcome[] = [];
  const vuSamples: MetricSample[] = [];
  const vusNow = (value: number, max: number) => {
    const time = Date.now();
    vuSamples.push({ metric: "vus", type: "gauge", value, tags: { ...shared.globalTags }, time });
    vuSamples.push({ metric: "vus_max", type: "gauge", value: max, tags: { ...shared.globalTags }, time });
  };

  const setup = await runWorker(shared, { kind: "setup" }, NO_VU);
  outcomes.push(setup);
  if (setup.aborted !== null) throw new Error(setup.aborted);
  if (setup.errors.length > 0) throw new Error(`setup failed: ${setup.errors.join("; ")}`);

  // VU ids come from the instance's stripe, in start order (k6's ExecutionState.GetUniqueVUIdentifiers): 1..N for
  // a whole run; for a segment, run-wide ids that no other instance of the run gets.
  const vuIds = new SegmentedIndex(tuple.stripe);
  const runs: Array<Promise<WorkerOutcome>> = [];
  const startedVus: StartedVu[] = [];
  const vusFor = (name: string) => tuple.scale(typeof opts.vus === "number" ? opts.vus : (opts.vus?.[name] ?? 1));
  const total = selected.reduce((n, name) => n + vusFor(name), 0);
  for (const scenario of selected) {
    const exec = options.scenarios?.[scenario]?.exec ?? "default";
    const iterations = opts.iterationsByScenario?.[scenario] ?? opts.iterations ?? 3;
    const scenarioIterations = new SharedArrayBuffer(4);
    for (let v = 0; v < vusFor(scenario); v++) {
      const { scaled, unscaled } = vuIds.next();
      const ids: VuIds = { idInTest: unscaled, idInInstance: scaled, scenarioIterations };
      startedVus.push({ scenario, idInTest: unscaled, idInInstance: scaled, requested: [] });
      vusNow(Atomics.add(active, 0, 1) + 1, total);
      runs.push(
        runWorker(shared, { kind: "iterations", scenario, exec, iterations, setupData: setup.result }, ids).finally(
          () => vusNow(Atomics.sub(active, 0, 1) - 1, total),
        ),
      );
    }
  }
  const settled = await Promise.allSettled(runs);
  const rejected = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (rejected) throw rejected.reason instanceof Error ? rejected.reason : new Error(String(rejected.reason));
  settled.forEach((s, i) => {
    if (s.status !== "fulfilled") return;
    outcomes.push(s.value);
    startedVus[i]!.requested = s.value.requested;
  });

  const aborted = outcomes.find((o) => o.aborted !== null);
  if (!aborted) outcomes.push(await runWorker(shared, { kind: "teardown", setupData: setup.result }, NO_VU));

  return journeyRun(outcomes, vuSamples, aborted, { options, env, setupData: setup.result, started, vus: startedVus });
}

/** A run's result from its workers' outcomes (setup, VUs, teardown) and the samples the engine itself emitted. */
export function journeyRun(
  outcomes: readonly WorkerOutcome[],
  engineSamples: readonly MetricSample[],
  aborted: WorkerOutcome | undefined,
  run: Pick<JourneyRun, "options" | "env" | "setupData" | "vus"> & { started: number },
): JourneyRun {
  const declared = new Map<string, DeclaredMetric>();
  for (const o of outcomes) for (const m of o.declaredMetrics) declared.set(m.name, m);
  return {
    samples: [...outcomes.flatMap((o) => o.samples), ...engineSamples].sort((a, b) => a.time - b.time),
    passedChecks: outcomes.reduce((n, o) => n + o.passedChecks, 0),
    failedChecks: outcomes.reduce((n, o) => n + o.failedChecks, 0),
    errors: [...outcomes.flatMap((o) => o.errors), ...(aborted ? [`aborted: ${aborted.aborted}`] : [])],
    options: run.options,
    declaredMetrics: [...declared.values()],
    logs: outcomes.flatMap((o) => o.logs),
    requested: outcomes.flatMap((o) => o.requested),
    durationMs: Date.now() - run.started,
    env: run.env,
    setupData: run.setupData,
    vus: run.vus,
  };
}

/** k6's summary object for a run (what handleSummary receives). */
export function summarize(run: JourneyRun): SummaryData {
  return {
    ...buildSummary(run.samples, run.options, run.durationMs, run.declaredMetrics),
    setup_data: run.setupData,
  };
}

/** Call the script's handleSummary with a summary object; returns its output map (path → content). */
export async function renderSummary(
  summary: SummaryData,
  env: Record<string, string>,
  transport: EventsTransport = "xk6-sse",
): Promise<Record<string, string>> {
  const shared = await singleWorkerShared(env, transport);
  const outcome = await runWorker(shared, { kind: "summary", summary }, NO_VU);
  if (outcome.errors.length > 0) throw new Error(`handleSummary failed: ${outcome.errors.join("; ")}`);
  return (outcome.result ?? {}) as Record<string, string>;
}
