// Shared helpers for the stub's tests: an in-process target on random ports, HTTP helpers, the upstream
// OpenAPI document with an ajv validator, and an SSE reader built on eventsource-parser.
import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import { createParser, type EventSourceMessage } from "eventsource-parser";
import { startStub, type RunningStub } from "../../../infra/agentapi-stub/src/stub";
import type { StubConfig } from "../../../infra/agentapi-stub/src/config";
import { FAST_REDRAW_MS, FAST_TIMING } from "../../../infra/agentapi-stub/src/agent/timing";
import { waitFor } from "../../support/wait";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const UPSTREAM_OPENAPI_PATH = resolve(REPO_ROOT, "../shared/agentapi/openapi.json");

/**
 * Test defaults: random ports, short think time, upstream's timings in the fast mode (FAST_TIMING: the same waits at
 * 2 %), silent logs; resolves once the agents have booted. Tests of the timing itself pass `timing: UPSTREAM_TIMING`.
 */
export async function testStub(overrides: Partial<StubConfig> = {}): Promise<RunningStub> {
  const stub = await startStub({
    agentApiPort: 0,
    brokerPort: 0,
    thinkMs: { min: 40, max: 80 },
    timing: FAST_TIMING,
    redrawMs: FAST_REDRAW_MS,
    ...overrides,
  });
  await stub.agentsStable();
  return stub;
}

export interface UpstreamSpec {
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, unknown> };
}

export function loadUpstreamSpec(): UpstreamSpec {
  return JSON.parse(readFileSync(UPSTREAM_OPENAPI_PATH, "utf8")) as UpstreamSpec;
}

/** Validators for the upstream document's component schemas (OpenAPI 3.0: `nullable`, `example`, `readOnly`). */
export function upstreamValidators(spec: UpstreamSpec = loadUpstreamSpec()): (name: string) => ValidateFunction {
  // strict: false — OpenAPI keywords such as `example` are not JSON Schema; ajv understands `nullable` itself.
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ components: spec.components }, "upstream");
  return (name) => {
    const validate = ajv.getSchema(`upstream#/components/schemas/${name}`);
    if (!validate) throw new Error(`the upstream document has no schema ${name}`);
    return validate;
  };
}

/** Assert-friendly: the ajv errors as text, or "" when valid. */
export function schemaErrors(validate: ValidateFunction, value: unknown): string {
  return validate(value) ? "" : JSON.stringify(validate.errors);
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

export async function sendUser(base: string, content: string): Promise<Response> {
  return postJson(`${base}/message`, { content, type: "user" });
}

export { waitFor };

export async function waitForStatus(base: string, status: "running" | "stable", timeoutMs = 5_000): Promise<void> {
  await waitFor(async () => {
    const body = (await (await fetch(`${base}/status`)).json()) as { status: string };
    return body.status === status ? true : undefined;
  }, timeoutMs);
}

export interface SseStream {
  events: EventSourceMessage[];
  /** When each event arrived (Date.now(), wall clock like upstream's message times), in the order of `events`. */
  receivedAt: number[];
  response: Response;
  /** Resolves once `predicate` holds for the events received so far. */
  until(predicate: (events: EventSourceMessage[]) => boolean, timeoutMs?: number): Promise<EventSourceMessage[]>;
  close(): void;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
}

export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
  const abort = new AbortController();
  const response = await fetch(url, { headers: { accept: "text/event-stream", ...headers }, signal: abort.signal });
  const events: EventSourceMessage[] = [];
  const receivedAt: number[] = [];
  const waiters = new Set<() => void>();
  const parser = createParser({
    onEvent: (event) => {
      events.push(event);
      receivedAt.push(Date.now());
      for (const wake of waiters) wake();
    },
  });
  const ended = (async () => {
    if (!response.body) return;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body) parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }));
    } catch {
      // aborted by close()
    }
    for (const wake of waiters) wake();
  })();
  let done = false;
  void ended.then(() => (done = true));
  return {
    events,
    receivedAt,
    response,
    ended,
    close: () => abort.abort(),
    until: (predicate, timeoutMs = 5_000) =>
      new Promise((resolvePromise, reject) => {
        const check = (): void => {
          if (predicate(events)) {
            cleanup();
            resolvePromise(events);
          } else if (done) {
            cleanup();
            reject(
              new Error(`stream ended before the condition held; got ${JSON.stringify(events.map((e) => e.event))}`),
            );
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no matching events within ${timeoutMs} ms; got ${JSON.stringify(events)}`));
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      }),
  };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * A request through node:http with full control (any method, header, body, Content-Length); resolves with the
 * response, or with status 0 when the server closed the connection without one.
 */
export function rawRequest(
  url: string,
  options: {
    method?: string;
    headers?: Record<string, string | number>;
    body?: string | Buffer;
    timeoutMs?: number;
  } = {},
): Promise<RawResponse> {
  return new Promise((resolvePromise, reject) => {
    const req = httpRequest(url, { method: options.method ?? "GET", headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolvePromise({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString("utf8"),
        }),
      );
      res.on("error", () =>
        resolvePromise({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString("utf8"),
        }),
      );
    });
    req.setTimeout(options.timeoutMs ?? 10_000, () => req.destroy(new Error(`timeout: ${options.method} ${url}`)));
    req.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "ECONNRESET" || error.code === "EPIPE") resolvePromise({ status: 0, headers: {}, body: "" });
      else reject(error);
    });
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}
