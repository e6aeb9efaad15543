// k6's `ramping-arrival-rate` executor in the harness: iterations start on the schedule's clock whatever the target
// does (an open model). As in k6: each scenario has a pool of VUs (preAllocatedVUs made before the clock starts,
// more up to maxVUs when none is free); an iteration that is due when no VU is idle is dropped and counted in
// `dropped_iterations` (tagged with its scenario, not with any VU's tags: no VU ran it), and k6 starts making one more
// VU if the pool may grow. The `vus` gauge follows the pools. After the last stage it waits for the iterations in
// flight (k6 would cut them at gracefulStop; here the run's timeout bounds them).
import { parseDuration } from "../../../k6/src/lib/duration";
import { workerBundle, type EventsTransport } from "./bundle";
import {
  derivedEnv,
  journeyRun,
  loadOptions,
  NO_VU,
  runWorker,
  type JourneyRun,
  type Shared,
  type StartedVu,
  type WorkerOutcome,
} from "./index";
import { executionTuple } from "./segments";
import type { MetricSample } from "./types";

export interface ArrivalOptions {
  agentApiUrl: string;
  brokerUrl: string;
  /** Environment for the script (__ENV), over the URLs derived from agentApiUrl/brokerUrl. */
  env?: Record<string, string>;
  transport?: EventsTransport;
  /** Run-wide tags (`k6 run --tag`), over the script's options.tags. */
  tags?: Record<string, string>;
  /** Give up after this long (ms). Default: the schedule plus 60 s. */
  timeoutMs?: number;
}

interface ArrivalScenarioOptions {
  executor: string;
  exec?: string;
  startRate?: number;
  timeUnit?: string;
  preAllocatedVUs: number;
  maxVUs?: number;
  stages: Array<{ duration: string; target: number }>;
}

/** Iterations due by `t` seconds: the integral of the stages' piecewise-linear rate (per second). */
export function arrivalsBy(scenario: ArrivalScenarioOptions, t: number): number {
  const unit = parseDuration(scenario.timeUnit ?? "1s");
  let from = (scenario.startRate ?? 0) / unit;
  let at = 0;
  let total = 0;
  for (const stage of scenario.stages) {
    const length = parseDuration(stage.duration);
    const to = stage.target / unit;
    const tau = Math.min(Math.max(t - at, 0), length);
    total += from * tau + (length > 0 ? ((to - from) * tau * tau) / (2 * length) : 0);
    if (t <= at + length) return total;
    at += length;
    from = to;
  }
  return total;
}

interface PoolVu {
  go: Int32Array;
  startedAt: Float64Array;
  idle: boolean;
  ready: boolean;
  run: Promise<WorkerOutcome>;
}

/** Runs the script's arrival-rate scenarios (all of them) from setup to teardown, as `k6 run` would. */
export async function runArrivalRate(opts: ArrivalOptions): Promise<JourneyRun> {
  const started = Date.now();
  const transport = opts.transport ?? "xk6-sse";
  const env = { ...derivedEnv(opts.agentApiUrl, opts.brokerUrl), ...opts.env };
  const options = await loadOptions(env, transport);
  const scenarios = Object.entries(options.scenarios ?? {}) as unknown as Array<[string, ArrivalScenarioOptions]>;
  const other = scenarios.find(([, s]) => s.executor !== "ramping-arrival-rate");
  if (other)
    throw new Error(`scenario ${other[0]} runs ${other[1].executor}; runArrivalRate runs ramping-arrival-rate`);
  const scheduleS = Math.max(
    0,
    ...scenarios.map(([, s]) => s.stages.reduce((n, st) => n + parseDuration(st.duration), 0)),
  );

  const shared: Shared = {
    bundle: await workerBundle(transport),
    env,
    globalTags: { ...options.tags, ...opts.tags },
    vusActive: new SharedArrayBuffer(4),
    timeoutMs: opts.timeoutMs ?? scheduleS * 1000 + 60_000,
    tuple: executionTuple(),
  };
  const active = new Int32Array(shared.vusActive);
  const engineSamples: MetricSample[] = [];
  const gauge = (metric: string, value: number) =>
    engineSamples.push({ metric, type: "gauge", value, tags: { ...shared.globalTags }, time: Date.now() });

  const setup = await runWorker(shared, { kind: "setup" }, NO_VU);
  if (setup.aborted !== null) throw new Error(setup.aborted);
  if (setup.errors.length > 0) throw new Error(`setup failed: ${setup.errors.join("; ")}`);

  let nextVuId = 1;
  // exec.scenario.iterationInTest: one counter per scenario, shared by its VUs.
  const poolCounters = new Map(scenarios.map(([name]) => [name, new SharedArrayBuffer(4)]));
  const startedVus: StartedVu[] = [];
  const pools = new Map<string, PoolVu[]>();
  const maxOf = (s: ArrivalScenarioOptions) => Math.max(s.maxVUs ?? s.preAllocatedVUs, s.preAllocatedVUs);
  const spawn = (name: string, scenario: ArrivalScenarioOptions, startTime: number): PoolVu => {
    const sab = new SharedArrayBuffer(16);
    const scenarioIterations = poolCounters.get(name) as SharedArrayBuffer;
    const vu: PoolVu = {
      go: new Int32Array(sab, 0, 1),
      startedAt: new Float64Array(sab, 8, 1),
      idle: false,
      ready: false,
      run: Promise.resolve() as unknown as Promise<WorkerOutcome>,
    };
    vu.startedAt[0] = startTime;
    const id = nextVuId++;
    startedVus.push({ scenario: name, idInTest: id, idInInstance: id, requested: [] });
    Atomics.add(active, 0, 1);
    vu.run = runWorker(
      shared,
      {
        kind: "arrival",
        scenario: name,
        exec: scenario.exec ?? "default",
        setupData: setup.result,
        executor: scenario.executor,
        go: sab,
      },
      { idInTest: id, idInInstance: id, scenarioIterations },
      () => {
        vu.idle = true;
        vu.ready = true;
      },
    );
    return vu;
  };
  for (const [name, scenario] of scenarios) {
    pools.set(
      name,
      Array.from({ length: scenario.preAllocatedVUs }, () => spawn(name, scenario, 0)),
    );
  }
  const all = () => [...pools.values()].flat();
  // k6 makes the pre-allocated VUs before the clock starts.
  await waitUntil(() => all().every((vu) => vu.ready), shared.timeoutMs, "the pre-allocated VUs to start");
  gauge("vus", Atomics.load(active, 0));

  const clockStart = Date.now();
  for (const vu of all()) vu.startedAt[0] = clockStart;
  const issued = new Map(scenarios.map(([name]) => [name, 0]));
  await new Promise<void>((resolve) => {
    const tick = () => {
      const t = (Date.now() - clockStart) / 1000;
      for (const [name, scenario] of scenarios) {
        const due = Math.floor(arrivalsBy(scenario, Math.min(t, scheduleS)));
        const pool = pools.get(name) as PoolVu[];
        for (let n = issued.get(name) ?? 0; n < due; n++) {
          const vu = pool.find((v) => v.idle);
          if (vu) {
            vu.idle = false;
            Atomics.store(vu.go, 0, 1);
            Atomics.notify(vu.go, 0);
          } else {
            engineSamples.push({
              metric: "dropped_iterations",
              type: "counter",
              value: 1,
              tags: { ...shared.globalTags, scenario: name },
              time: Date.now(),
            });
            if (pool.length < maxOf(scenario)) {
              pool.push(spawn(name, scenario, clockStart));
              gauge("vus", Atomics.load(active, 0));
            }
          }
        }
        issued.set(name, due);
      }
      if (t >= scheduleS) resolve();
      else setTimeout(tick, 5);
    };
    tick();
  });
  await waitUntil(() => all().every((vu) => vu.idle || !vu.ready), shared.timeoutMs, "the iterations in flight");
  for (const vu of all()) {
    Atomics.store(vu.go, 0, 2);
    Atomics.notify(vu.go, 0);
  }
  const outcomes = [setup, ...(await Promise.all(all().map((vu) => vu.run)))];
  gauge("vus", 0);
  const aborted = outcomes.find((o) => o.aborted !== null);
  if (!aborted) outcomes.push(await runWorker(shared, { kind: "teardown", setupData: setup.result }, NO_VU));

  return journeyRun(outcomes, engineSamples, aborted, {
    options,
    env,
    setupData: setup.result,
    started,
    vus: startedVus,
  });
}

async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
