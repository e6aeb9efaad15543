// Fault injection, driven per request by headers (defaults from the environment), on both listeners.
//
//   X-Fault-Delay-Ms: 0..30000   wait this long before the request is handled
//   X-Fault-Status:   400..599   answer this status (problem+json) instead of handling the request
//   X-Fault-Rate:     0..1       probability that X-Fault-Status / X-Fault-Abort apply (default 1 when sent)
//   X-Fault-Abort:    true|1     destroy the connection without a response (a "connection reset")
//
// Environment defaults (used when a request sends no fault header of that kind): STUB_FAULT_DELAY_MS,
// STUB_FAULT_ERROR_RATE with STUB_FAULT_STATUS. A response that carries an injected fault says so in
// `X-Fault-Injected` (e.g. `delay=250ms`, `status=503`, `delay=100ms,status=500`). GET /healthz is exempt.
// Nonsense values are refused with 400 problem+json, so a typo never silently disables a fault.
import type { FastifyReply, FastifyRequest } from "fastify";
import { MAX_FAULT_DELAY_MS, type FaultDefaults } from "./config";
import { isHealthz } from "./health";
import { HttpProblem } from "./problem";

export const FAULT_HEADERS = {
  delay: "x-fault-delay-ms",
  status: "x-fault-status",
  rate: "x-fault-rate",
  abort: "x-fault-abort",
  injected: "X-Fault-Injected",
} as const;

interface FaultPlan {
  delayMs: number;
  status: number | undefined;
  abort: boolean;
}

function single(value: string | string[] | undefined, name: string): string | undefined {
  if (Array.isArray(value)) throw new HttpProblem(400, `${name} must be sent once`);
  return value;
}

function parseDelay(raw: string): number {
  if (!/^\d{1,6}$/.test(raw.trim()) || Number(raw) > MAX_FAULT_DELAY_MS) {
    throw new HttpProblem(400, `X-Fault-Delay-Ms must be a whole number of milliseconds 0..${MAX_FAULT_DELAY_MS}`);
  }
  return Number(raw);
}

function parseStatus(raw: string): number {
  const value = Number(raw);
  if (!/^\d{3}$/.test(raw.trim()) || value < 400 || value > 599) {
    throw new HttpProblem(400, "X-Fault-Status must be an HTTP error status 400..599");
  }
  return value;
}

function parseRate(raw: string): number {
  const value = raw.trim() === "" ? NaN : Number(raw);
  if (!Number.isFinite(value) || value < 0 || value > 1) {
    throw new HttpProblem(400, "X-Fault-Rate must be a probability between 0 and 1");
  }
  return value;
}

function parseAbort(raw: string): boolean {
  const value = raw.trim().toLowerCase();
  if (value === "1" || value === "true") return true;
  if (value === "0" || value === "false") return false;
  throw new HttpProblem(400, "X-Fault-Abort must be true, false, 1 or 0");
}

/** Decide what to inject for one request; undefined = nothing. Throws HttpProblem(400) on nonsense headers. */
export function planFaults(
  request: FastifyRequest,
  defaults: FaultDefaults,
  random = Math.random,
): FaultPlan | undefined {
  const headers = request.headers;
  const delayHeader = single(headers[FAULT_HEADERS.delay], "X-Fault-Delay-Ms");
  const statusHeader = single(headers[FAULT_HEADERS.status], "X-Fault-Status");
  const rateHeader = single(headers[FAULT_HEADERS.rate], "X-Fault-Rate");
  const abortHeader = single(headers[FAULT_HEADERS.abort], "X-Fault-Abort");

  const delayMs = delayHeader !== undefined ? parseDelay(delayHeader) : defaults.delayMs;
  const requested = statusHeader !== undefined || abortHeader !== undefined;
  const rate = rateHeader !== undefined ? parseRate(rateHeader) : requested ? 1 : defaults.errorRate;
  const status = statusHeader !== undefined ? parseStatus(statusHeader) : requested ? undefined : defaults.status;
  const abort = abortHeader !== undefined ? parseAbort(abortHeader) : false;

  const fires = rate > 0 && (rate >= 1 || random() < rate);
  const plan: FaultPlan = {
    delayMs,
    status: fires && !abort ? status : undefined,
    abort: fires && abort,
  };
  if (plan.delayMs === 0 && plan.status === undefined && !plan.abort) return undefined;
  return plan;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function apply(plan: FaultPlan, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const injected: string[] = [];
  if (plan.delayMs > 0) {
    await sleep(plan.delayMs);
    injected.push(`delay=${plan.delayMs}ms`);
  }
  if (plan.abort) {
    request.log.debug("fault: aborting connection");
    request.raw.socket.destroy();
    return;
  }
  if (plan.status !== undefined) injected.push(`status=${plan.status}`);
  const header = injected.join(",");
  // Set now so the header also rides on the normal response after a delay-only fault.
  void reply.header(FAULT_HEADERS.injected, header);
  if (plan.status !== undefined) {
    throw new HttpProblem(plan.status, `fault injected: status ${plan.status}`, undefined, {
      [FAULT_HEADERS.injected]: header,
    });
  }
}

export interface FaultStep {
  /** False when a request can get no fault (no X-Fault-* header, no environment default): skip `run`. */
  applies(request: FastifyRequest): boolean;
  /** Plan and apply this request's faults, then call `next` (with the 400/injected error), unless it aborted. */
  run(request: FastifyRequest, reply: FastifyReply, next: (error?: Error) => void): void;
  /** Requests this step is holding right now (an injected delay still running); read by tests. */
  readonly holding: number;
}

/** Fault injection as a step of each listener's one onRequest hook (agentapi/request-gate.ts, stub.ts). */
export function createFaultStep(defaults: FaultDefaults): FaultStep {
  const envOff = defaults.delayMs === 0 && defaults.errorRate === 0;
  let holding = 0;
  return {
    get holding() {
      return holding;
    },
    applies(request) {
      if (!envOff) return true;
      const h = request.headers;
      return (
        h[FAULT_HEADERS.delay] !== undefined ||
        h[FAULT_HEADERS.status] !== undefined ||
        h[FAULT_HEADERS.rate] !== undefined ||
        h[FAULT_HEADERS.abort] !== undefined
      );
    },
    run(request, reply, next) {
      if (isHealthz(request.url)) {
        next();
        return;
      }
      let plan: FaultPlan | undefined;
      try {
        plan = planFaults(request, defaults);
      } catch (error) {
        next(error as Error);
        return;
      }
      if (plan === undefined) {
        next();
        return;
      }
      const aborts = plan.abort;
      holding++;
      apply(plan, request, reply).then(
        () => {
          holding--;
          if (!aborts) next();
        },
        (error: Error) => {
          holding--;
          next(error);
        },
      );
    },
  };
}
