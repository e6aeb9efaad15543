// First module of the VU worker bundle: before the k6 script's init code runs, install the VU runtime and the
// globals k6 provides (__ENV, __VU, __ITER, console — whose lines go to the harness, not the terminal).
import { parentPort, workerData } from "node:worker_threads";
import { installRuntime } from "./doubles/runtime";
import type { WorkerInit } from "./types";

const init = workerData as WorkerInit;
installRuntime(init);

const globals = globalThis as unknown as Record<string, unknown>;
globals.__ENV = { ...init.env };
globals.__VU = init.vuId;
globals.__ITER = 0;

function forward(level: string) {
  return (...args: unknown[]): void => {
    const text = args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" ");
    parentPort?.postMessage({ type: "log", level, text });
  };
}
globals.console = {
  log: forward("info"),
  info: forward("info"),
  warn: forward("warn"),
  error: forward("error"),
  debug: forward("debug"),
};
