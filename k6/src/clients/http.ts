// The one place requests are sent: tags every request with its `endpoint` (and a static `name` for URLs that
// carry ids), declares which statuses are expected (so http_req_failed counts only real failures), counts
// requests/timeouts/connection failures, and parses the body once, when it is first read. It runs for every request:
// what it can build once (tags, expected-status callbacks) it builds once.

import http, { type RefinedParams, type RefinedResponse } from "k6/http";
import { metrics } from "../metrics";
import type { Endpoint } from "../names";
import type { Json } from "../lib/guards";

/** Per-request client timeout; a request that hits it counts in timeout_count. */
export const REQUEST_TIMEOUT = "30s";

/** k6's error code for a request that timed out. */
const K6_ERROR_REQUEST_TIMEOUT = 1050;

/**
 * Why a request got no response, in a word, from k6's error code (k6 docs, "Error codes"): the connection was refused
 * (nothing listens: a server restarting), reset, timed out, its name did not resolve, or another network error.
 */
export function failureCause(errorCode: number): "refused" | "reset" | "timeout" | "dns" | "network" {
  if (errorCode === 1212) return "refused";
  if (errorCode === 1220 || errorCode === 1201) return "reset";
  if (errorCode === K6_ERROR_REQUEST_TIMEOUT || errorCode === 1211) return "timeout";
  if (errorCode >= 1100 && errorCode < 1200) return "dns";
  return "network";
}

/** The same word from an error's text, where there is no code (xk6-sse reports Go's error string only). */
export function failureCauseOf(error: string): "refused" | "reset" | "timeout" | "dns" | "network" {
  if (/connection refused/i.test(error)) return "refused";
  if (/reset by peer|broken pipe/i.test(error)) return "reset";
  if (/timeout|deadline exceeded/i.test(error)) return "timeout";
  if (/no such host|lookup /i.test(error)) return "dns";
  return "network";
}

export interface CallOptions {
  endpoint: Endpoint;
  /** Static `name` tag for URLs with ids or query strings (keeps InfluxDB series few). */
  name?: string;
  headers?: Readonly<Record<string, string>>;
  /** Sent as `Authorization: Bearer …`. */
  bearer?: string;
  /** Statuses besides 2xx/3xx that are an expected outcome here (e.g. 401 when probing a revoked token). */
  alsoExpected?: ReadonlyArray<number>;
  /** Redirects to follow; 0 returns the 3xx itself. k6 follows 10 by default. */
  redirects?: number;
}

export interface Reply {
  res: RefinedResponse<"text">;
  status: number;
  /** The body parsed as JSON when the response says it is JSON; `undefined` otherwise (parsed on first read). */
  readonly json: Json;
  /** A response header, case-insensitively. */
  header(name: string): string | undefined;
}

type ExpectedStatusesCallback = ReturnType<typeof http.expectedStatuses>;

const callbacks: Record<string, ExpectedStatusesCallback> = {};
const NOTHING_ELSE: ReadonlyArray<number> = [];

function expectedStatuses(extra: ReadonlyArray<number>): ExpectedStatusesCallback {
  const key = extra.length === 0 ? "" : extra.join(",");
  let cb = callbacks[key];
  if (!cb) {
    cb = http.expectedStatuses({ min: 200, max: 399 }, ...extra);
    callbacks[key] = cb;
  }
  return cb;
}

/** The request tags, one object per endpoint (and static name): k6 copies them, so they are built once. */
const tagsByKey: Record<string, Record<string, string>> = {};

function tagsOf(endpoint: Endpoint, name: string | undefined): Record<string, string> {
  const key = name === undefined ? endpoint : `${endpoint} ${name}`;
  let tags = tagsByKey[key];
  if (!tags) {
    // kind: a call answers and is done; a stream (GET /events) lasts as long as it is watched. The overall latency
    // thresholds read calls only (thresholds.ts).
    tags = { endpoint, kind: "call" };
    if (name !== undefined) tags.name = name;
    tagsByKey[key] = tags;
  }
  return tags;
}

function headerOf(headers: Record<string, string>, name: string): string | undefined {
  // k6 gives header names in Go's canonical form (Content-Type): the exact name is the usual hit.
  const exact = headers[name];
  if (exact !== undefined) return exact;
  const wanted = name.toLowerCase();
  for (const key of Object.keys(headers)) {
    if (key.toLowerCase() === wanted) return headers[key];
  }
  return undefined;
}

function parseJson(res: RefinedResponse<"text">): Json {
  const type = headerOf(res.headers, "Content-Type") ?? "";
  // Text, not a regular expression: this runs on every response, and the first regular expression a VU evaluates
  // makes it build sobek's RegExp prototype (≈ 12 KiB per VU in k6 v1.8.1, k6/README.md "What a VU costs").
  if (!type.toLowerCase().includes("json") || typeof res.body !== "string" || res.body === "") return undefined;
  try {
    return JSON.parse(res.body) as Json;
  } catch {
    return undefined;
  }
}

export function send(method: string, url: string, body: unknown, opts: CallOptions): Reply {
  const headers: Record<string, string> = { Accept: "application/json", ...opts.headers };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (opts.bearer !== undefined) headers.Authorization = `Bearer ${opts.bearer}`;
  const params: RefinedParams<"text"> = {
    headers,
    tags: tagsOf(opts.endpoint, opts.name),
    timeout: REQUEST_TIMEOUT,
    responseType: "text",
    responseCallback: expectedStatuses(opts.alsoExpected ?? NOTHING_ELSE),
  };
  // Only set `redirects` when asked: k6 reads an explicit `undefined` as 0.
  if (opts.redirects !== undefined) params.redirects = opts.redirects;
  const res = http.request(method, url, body === undefined ? null : JSON.stringify(body), params);

  metrics.totalRequests.add(1, { endpoint: opts.endpoint });
  if (res.error_code === K6_ERROR_REQUEST_TIMEOUT) {
    metrics.timeoutCount.add(1, { endpoint: opts.endpoint });
  } else if (res.status === 0) {
    metrics.connectionFailures.add(1, { endpoint: opts.endpoint, cause: failureCause(res.error_code) });
  }

  return new ParsedReply(res);
}

/** A reply whose body is parsed the first time it is read (a 202, 204 or 302 is never parsed), then kept. */
class ParsedReply implements Reply {
  readonly status: number;
  private parsed = false;
  private body: Json = undefined;

  constructor(readonly res: RefinedResponse<"text">) {
    this.status = res.status;
  }

  get json(): Json {
    if (!this.parsed) {
      this.parsed = true;
      this.body = parseJson(this.res);
    }
    return this.body;
  }

  header(name: string): string | undefined {
    return headerOf(this.res.headers, name);
  }
}
