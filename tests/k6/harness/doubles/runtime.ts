// The VU side of the harness: one instance per worker thread (= one k6 VU). Holds what k6 keeps per VU — its
// tags (scenario, group), counters, metric registry — records samples, and performs blocking calls to the
// main thread, which does the real I/O: the VU thread sleeps in Atomics.wait until the answer is posted, so the
// k6 script sees synchronous HTTP exactly as in k6.
import { parentPort, receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import type {
  DeclaredMetric,
  HostRequest,
  HttpRequestMessage,
  HttpResponseMessage,
  MetricSample,
  SseCloseMessage,
  SseNextMessage,
  SseNextResult,
  SseOpenMessage,
  SseOpenResult,
  WorkerInit,
} from "../types";
import { unscaledAt, type Stripe } from "../segments";

/** Thrown by exec.test.abort(): ends the run like k6 does. */
export class TestAbort extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TestAbort";
  }
}

const METRIC_NAME = /^[a-zA-Z_][a-zA-Z0-9_]{1,127}$/;
const FLUSH_EVERY = 500;

export class VuRuntime {
  readonly env: Record<string, string>;
  readonly vuId: number;
  readonly vuIdInInstance: number;
  readonly executionSegment: string | null;
  readonly executionSegmentSequence: string | null;
  readonly globalTags: Record<string, string>;
  scenario: string | undefined;
  /** exec.scenario.executor and startTime (epoch ms) as the run's executor reports them. */
  executor = "ramping-vus";
  scenarioStartTime = 0;
  /** exec.vu.metrics.tags: tags the script sets on its VU, on every sample after (they persist across iterations). */
  readonly vuMetricTags: Record<string, string> = {};
  /** "::a::b" while inside group("a") → group("b"); "" at the top. */
  groupPath = "";
  iterationInScenario = 0;
  iterationInTest = 0;
  /** exec.scenario.iterationInTest / iterationInInstance of the current iteration (scenario-wide, as in k6). */
  scenarioIterationInTest = 0;
  scenarioIterationInInstance = 0;
  passedChecks = 0;
  failedChecks = 0;
  bytesSent = 0;
  bytesReceived = 0;
  readonly errors: string[] = [];
  readonly declared = new Map<string, DeclaredMetric>();
  /** Redirects k6 follows when a request does not say (options.maxRedirects). */
  maxRedirects = 10;
  /** False while the script's init code runs (the init context); the VU worker sets it before calling in. */
  initDone = false;

  private readonly signal: Int32Array;
  private readonly vusActive: Int32Array;
  private readonly port: MessagePort;
  private readonly sleeper = new Int32Array(new SharedArrayBuffer(4));
  private buffer: MetricSample[] = [];
  private readonly stripe: Stripe;
  private readonly scenarioIterations: Int32Array | undefined;
  readonly sseLimitMs: number;

  constructor(init: WorkerInit) {
    this.env = init.env;
    this.vuId = init.vuId;
    this.vuIdInInstance = init.vuIdInInstance;
    this.executionSegment = init.executionSegment;
    this.executionSegmentSequence = init.executionSegmentSequence;
    this.stripe = init.stripe;
    this.scenarioIterations = init.scenarioIterations ? new Int32Array(init.scenarioIterations) : undefined;
    this.globalTags = init.globalTags;
    this.signal = new Int32Array(init.signal);
    this.vusActive = new Int32Array(init.vusActive);
    this.port = init.port;
    this.sseLimitMs = init.sseLimitMs;
  }

  /**
   * A new iteration of the VU's scenario: k6 counts them per executor on the instance (iterationInInstance) and
   * maps that count through the instance's stripe to a run-wide number (iterationInTest), so no two instances of a
   * segmented run share one.
   */
  beginScenarioIteration(): void {
    const k = this.scenarioIterations ? Atomics.add(this.scenarioIterations, 0, 1) + 1 : this.iterationInScenario + 1;
    this.scenarioIterationInInstance = k - 1;
    this.scenarioIterationInTest = unscaledAt(this.stripe, k) - 1;
  }

  get activeVus(): number {
    return Atomics.load(this.vusActive, 0);
  }

  /** The tags k6 puts on every sample from this VU right now. */
  stateTags(): Record<string, string> {
    const tags: Record<string, string> = { ...this.globalTags, ...this.vuMetricTags, group: this.groupPath };
    if (this.scenario !== undefined) tags.scenario = this.scenario;
    return tags;
  }

  emit(metric: string, type: MetricSample["type"], value: number, tags: Record<string, string>): void {
    this.buffer.push({ metric, type, value, tags, time: Date.now() });
    if (this.buffer.length >= FLUSH_EVERY) this.flush();
  }

  flush(): void {
    if (this.buffer.length === 0) return;
    parentPort?.postMessage({ type: "samples", samples: this.buffer });
    this.buffer = [];
  }

  declare(name: string, type: MetricSample["type"], isTime: boolean): void {
    if (!METRIC_NAME.test(name)) throw new Error(`invalid metric name "${name}" (k6 would refuse it)`);
    const known = this.declared.get(name);
    if (known && (known.type !== type || known.isTime !== isTime)) {
      throw new Error(`metric "${name}" redeclared as ${type} (was ${known.type})`);
    }
    this.declared.set(name, { name, type, isTime });
  }

  sleep(seconds: number): void {
    if (seconds > 0) Atomics.wait(this.sleeper, 0, 0, seconds * 1000);
  }

  /** Send a request to the main thread and block until it answers. */
  private call<T>(request: HostRequest): T {
    Atomics.store(this.signal, 0, 0);
    this.port.postMessage(request);
    for (;;) {
      Atomics.wait(this.signal, 0, 0, 1000);
      const answer = receiveMessageOnPort(this.port);
      if (answer !== undefined) return answer.message as T;
      // Signalled but the message is not visible yet: yield briefly instead of spinning.
      if (Atomics.load(this.signal, 0) === 1) Atomics.wait(this.sleeper, 0, 0, 1);
    }
  }

  http(request: Omit<HttpRequestMessage, "op">): HttpResponseMessage {
    return this.call<HttpResponseMessage>({ op: "http", ...request });
  }

  sseOpen(request: Omit<SseOpenMessage, "op">): SseOpenResult {
    return this.call<SseOpenResult>({ op: "sse-open", ...request });
  }

  sseNext(request: Omit<SseNextMessage, "op">): SseNextResult {
    return this.call<SseNextResult>({ op: "sse-next", ...request });
  }

  sseClose(request: Omit<SseCloseMessage, "op">): void {
    this.call<{ closed: true }>({ op: "sse-close", ...request });
  }
}

let current: VuRuntime | undefined;

export function installRuntime(init: WorkerInit): VuRuntime {
  current = new VuRuntime(init);
  return current;
}

export function runtime(): VuRuntime {
  if (!current) throw new Error("k6 double used before the harness installed its VU runtime");
  return current;
}
