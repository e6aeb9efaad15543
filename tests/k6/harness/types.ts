// Shapes shared by the harness's main-thread side (index.ts, host.ts) and its VU workers (vu-worker.ts, doubles).
import type { MessagePort } from "node:worker_threads";
import type { Stripe } from "./segments";

/** One metric sample, as k6 emits it (the shape outputs such as InfluxDB receive). */
export interface MetricSample {
  metric: string;
  type: "counter" | "gauge" | "rate" | "trend";
  value: number;
  tags: Record<string, string>;
  /** epoch ms */
  time: number;
}

export interface DeclaredMetric {
  name: string;
  type: MetricSample["type"];
  isTime: boolean;
}

/** What a VU worker runs. */
export type WorkerPhase =
  | { kind: "options" }
  | { kind: "setup" }
  | { kind: "iterations"; scenario: string; exec: string; iterations: number; setupData: unknown }
  /**
   * An arrival-rate executor's VU (arrival.ts): says "idle" and waits on `go` (Int32Array at 0) for the main thread's
   * word — 1 runs one iteration, 2 ends; Float64Array at byte 8 holds the scenario's start (epoch ms), set by then.
   */
  | {
      kind: "arrival";
      scenario: string;
      exec: string;
      setupData: unknown;
      executor: string;
      go: SharedArrayBuffer;
    }
  | { kind: "teardown"; setupData: unknown }
  | { kind: "summary"; summary: unknown };

export interface WorkerInit {
  phase: WorkerPhase;
  env: Record<string, string>;
  /** exec.vu.idInTest: run-wide, striped across the instances of a segmented run (0 in setup and teardown). */
  vuId: number;
  /** exec.vu.idInInstance (and __VU): 1..n on this instance; equal to vuId when the run is not segmented. */
  vuIdInInstance: number;
  /** What exec.test.options reports for --execution-segment / --execution-segment-sequence (null when unset). */
  executionSegment: string | null;
  executionSegmentSequence: string | null;
  /** This instance's stripe of the run-wide numbers (scenario iterations), and the scenario's shared counter. */
  stripe: Stripe;
  /** Int32Array[1]: iterations this instance has started in the VU's scenario (iterations phase only). */
  scenarioIterations?: SharedArrayBuffer;
  /** Test-wide tags (k6 `options.tags`, e.g. testid). */
  globalTags: Record<string, string>;
  /** Int32Array[1] the VU waits on while the main thread performs its HTTP request. */
  signal: SharedArrayBuffer;
  /** Int32Array[1]: active VUs across workers (k6/execution instance.vusActive). */
  vusActive: SharedArrayBuffer;
  /** The MessagePort the VU sends its requests on (transferred). */
  port: MessagePort;
  /** Longest a single SSE stream may stay open before the harness gives up (ms). */
  sseLimitMs: number;
}

// --- VU → main thread requests (synchronous for the VU) ---

export interface HttpRequestMessage {
  op: "http";
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | null;
  timeoutMs: number;
}

export interface HttpResponseMessage {
  status: number;
  statusText: string;
  headers: Record<string, string>;
  body: string;
  error: string;
  errorCode: number;
  timings: { blocked: number; connecting: number; sending: number; waiting: number; receiving: number };
  bytesSent: number;
  bytesReceived: number;
}

export interface SseOpenMessage {
  op: "sse-open";
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
}
export interface SseOpenResult {
  streamId: number;
  status: number;
  headers: Record<string, string>;
  error: string;
  connectMs: number;
}
export interface SseNextMessage {
  op: "sse-next";
  streamId: number;
  waitMs: number;
}
export type SseNextResult =
  | { kind: "event"; id: string; name: string; data: string; comment: string }
  | { kind: "error"; message: string }
  | { kind: "end" }
  | { kind: "idle" };
export interface SseCloseMessage {
  op: "sse-close";
  streamId: number;
}

export type HostRequest = HttpRequestMessage | SseOpenMessage | SseNextMessage | SseCloseMessage;

// --- worker → main thread notifications (asynchronous, on parentPort) ---

export type WorkerMessage =
  | { type: "samples"; samples: MetricSample[] }
  | { type: "log"; level: string; text: string }
  | { type: "idle" }
  | {
      type: "done";
      result: unknown;
      passedChecks: number;
      failedChecks: number;
      errors: string[];
      declaredMetrics: DeclaredMetric[];
      aborted: string | null;
    };
