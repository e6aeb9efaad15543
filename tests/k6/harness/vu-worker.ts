// A k6 VU in a worker thread: runs one phase of the bundled script (options, setup, iterations of one scenario,
// teardown, or handleSummary) and reports samples, check counts and errors to the main thread.
import "./install";
import { parentPort, workerData } from "node:worker_threads";
import * as script from "virtual:k6-script";
import { runtime, TestAbort } from "./doubles/runtime";
import type { WorkerInit, WorkerMessage } from "./types";

type ScriptFunction = (data?: unknown) => unknown;

function fn(name: string): ScriptFunction | undefined {
  const value = script[name];
  return typeof value === "function" ? (value as ScriptFunction) : undefined;
}

/** Results cross the thread boundary as JSON, as k6 passes setup data between VUs. */
function plain(value: unknown): unknown {
  return value === undefined ? undefined : (JSON.parse(JSON.stringify(value)) as unknown);
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

const init = workerData as WorkerInit;
const rt = runtime();
// Every import above has run: the script's init context is over.
rt.initDone = true;
let result: unknown;
let aborted: string | null = null;

/** One iteration of the VU's scenario, then what k6 records for every iteration. */
function runIteration(exec: ScriptFunction, scenario: string, i: number, setupData: unknown): void {
  rt.iterationInScenario = i;
  rt.iterationInTest = i;
  rt.beginScenarioIteration();
  (globalThis as unknown as Record<string, unknown>).__ITER = i;
  rt.groupPath = "";
  const started = Date.now();
  try {
    exec(setupData);
  } catch (error) {
    if (error instanceof TestAbort) aborted = error.message;
    else rt.errors.push(`${scenario} iteration ${i}: ${describe(error)}`);
  }
  rt.groupPath = "";
  const tags = rt.stateTags();
  rt.emit("iteration_duration", "trend", Date.now() - started, tags);
  rt.emit("iterations", "counter", 1, tags);
  rt.emit("data_sent", "counter", rt.bytesSent, tags);
  rt.emit("data_received", "counter", rt.bytesReceived, tags);
  rt.bytesSent = 0;
  rt.bytesReceived = 0;
}

try {
  const phase = init.phase;
  switch (phase.kind) {
    case "options":
      result = plain(script.options);
      break;
    // k6 runs setup and teardown inside groups of those names, outside any scenario.
    case "setup":
      rt.groupPath = "::setup";
      result = plain(fn("setup")?.());
      break;
    case "teardown":
      rt.groupPath = "::teardown";
      fn("teardown")?.(phase.setupData);
      break;
    case "summary":
      result = plain(fn("handleSummary")?.(phase.summary));
      break;
    case "iterations": {
      const exec = fn(phase.exec);
      if (!exec) throw new Error(`the script exports no function "${phase.exec}" for scenario ${phase.scenario}`);
      rt.scenario = phase.scenario;
      for (let i = 0; i < phase.iterations && aborted === null; i++)
        runIteration(exec, phase.scenario, i, phase.setupData);
      break;
    }
    case "arrival": {
      const exec = fn(phase.exec);
      if (!exec) throw new Error(`the script exports no function "${phase.exec}" for scenario ${phase.scenario}`);
      rt.scenario = phase.scenario;
      rt.executor = phase.executor;
      const go = new Int32Array(phase.go, 0, 1);
      const startedAt = new Float64Array(phase.go, 8, 1);
      for (let i = 0; aborted === null; i++) {
        rt.flush();
        parentPort?.postMessage({ type: "idle" } satisfies WorkerMessage);
        Atomics.wait(go, 0, 0);
        if (Atomics.load(go, 0) !== 1) break;
        Atomics.store(go, 0, 0);
        rt.scenarioStartTime = startedAt[0] ?? 0;
        runIteration(exec, phase.scenario, i, phase.setupData);
      }
      break;
    }
  }
} catch (error) {
  if (error instanceof TestAbort) aborted = error.message;
  else rt.errors.push(describe(error));
}

rt.flush();
const done: WorkerMessage = {
  type: "done",
  result,
  passedChecks: rt.passedChecks,
  failedChecks: rt.failedChecks,
  errors: rt.errors,
  declaredMetrics: [...rt.declared.values()],
  aborted,
};
parentPort?.postMessage(done);
