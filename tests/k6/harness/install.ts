// First module of the VU worker bundle: before the k6 script's init code runs, install the VU runtime and the
// globals k6 provides (__ENV, __VU, __ITER, console — whose lines go to the harness, not the terminal), and hide
// the globals Node has but stock k6 (v0.49) does not, so a script that leans on one fails here as it would in k6.
import { parentPort, workerData } from "node:worker_threads";
import { installRuntime } from "./doubles/runtime";
import type { WorkerInit } from "./types";

const init = workerData as WorkerInit;
installRuntime(init);

const globals = globalThis as unknown as Record<string, unknown>;
globals.__ENV = { ...init.env };
// k6's __VU is the VU's number on its own instance (exec.vu.idInInstance).
globals.__VU = init.vuIdInInstance;
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

/**
 * Node globals a k6 script cannot use. Reading one throws a ReferenceError naming it (the doubles import what they
 * need from node: modules instead). setTimeout & co. are listed too: k6 VU code is synchronous, so a timer in a
 * journey is a bug even in k6 versions that have one.
 */
const NOT_IN_K6 = [
  "Buffer",
  "process",
  "global",
  "URL",
  "URLSearchParams",
  "TextEncoder",
  "TextDecoder",
  "structuredClone",
  "setTimeout",
  "setInterval",
  "setImmediate",
  "clearTimeout",
  "clearInterval",
  "clearImmediate",
  "queueMicrotask",
  "fetch",
  "performance",
  "atob",
  "btoa",
  "Blob",
  "AbortController",
  "crypto",
  "navigator",
] as const;

for (const name of NOT_IN_K6) {
  Object.defineProperty(globalThis, name, {
    configurable: true,
    enumerable: false,
    get() {
      throw new ReferenceError(`${name} is not defined (stock k6 has no such global; the harness hides Node's)`);
    },
  });
}
