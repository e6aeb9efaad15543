// Double of `k6/http`: synchronous requests (the main thread does the I/O while this VU waits), k6's redirect
// handling, response callbacks, and the samples k6 emits per request with its system tags.
import { URL } from "node:url";
import type { HttpResponseMessage } from "../types";
import { runtime } from "./runtime";

interface ExpectedStatusesCallback {
  readonly expected: (status: number) => boolean;
}

interface Params {
  headers?: Record<string, string>;
  tags?: Record<string, string>;
  timeout?: string | number;
  redirects?: number;
  responseType?: "text" | "binary" | "none";
  responseCallback?: ExpectedStatusesCallback | null;
}

/** k6's default: 200-399 are expected. */
let defaultCallback: ExpectedStatusesCallback | null = expectedStatuses({ min: 200, max: 399 });

export function expectedStatuses(...statuses: Array<number | { min: number; max: number }>): ExpectedStatusesCallback {
  for (const s of statuses) {
    if (typeof s !== "number" && (typeof s.min !== "number" || typeof s.max !== "number")) {
      throw new Error("expectedStatuses takes numbers or {min, max} objects");
    }
  }
  return {
    expected: (status) =>
      statuses.some((s) => (typeof s === "number" ? s === status : status >= s.min && status <= s.max)),
  };
}

export function setResponseCallback(callback: ExpectedStatusesCallback | null): void {
  defaultCallback = callback;
}

function timeoutMs(timeout: string | number | undefined): number {
  if (timeout === undefined) return 60_000;
  if (typeof timeout === "number") return timeout;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(timeout);
  if (!match) throw new Error(`invalid timeout "${timeout}"`);
  const n = Number(match[1]);
  return match[2] === "ms" ? n : match[2] === "s" ? n * 1000 : n * 60_000;
}

/** Go's http.CanonicalHeaderKey, which is how k6 presents response header names. */
function canonical(name: string): string {
  return name
    .toLowerCase()
    .split("-")
    .map((part) => (part === "" ? part : part[0]!.toUpperCase() + part.slice(1)))
    .join("-");
}

export class Response {
  readonly status: number;
  readonly status_text: string;
  readonly body: string | null;
  readonly headers: Record<string, string>;
  readonly error: string;
  readonly error_code: number;
  readonly url: string;
  readonly proto = "HTTP/1.1";
  readonly timings: {
    blocked: number;
    connecting: number;
    tls_handshaking: number;
    sending: number;
    waiting: number;
    receiving: number;
    duration: number;
  };
  readonly request: { method: string; url: string; headers: Record<string, string[]>; body: string };

  constructor(method: string, url: string, sent: Record<string, string>, body: string | null, m: HttpResponseMessage) {
    this.status = m.status;
    this.status_text = m.status === 0 ? "" : `${m.status} ${m.statusText}`;
    this.body = m.status === 0 ? null : m.body;
    this.headers = Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [canonical(k), v]));
    this.error = m.error;
    this.error_code = m.errorCode;
    this.url = url;
    const t = m.timings;
    this.timings = { ...t, tls_handshaking: 0, duration: t.sending + t.waiting + t.receiving };
    this.request = {
      method,
      url,
      headers: Object.fromEntries(Object.entries(sent).map(([k, v]) => [canonical(k), [v]])),
      body: body ?? "",
    };
  }

  json(): unknown {
    if (this.body === null) throw new Error("the response has no body");
    return JSON.parse(this.body) as unknown;
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export function request(method: string, url: string, body?: string | null, params?: Params | null): Response {
  const rt = runtime();
  if (body !== undefined && body !== null && typeof body !== "string") {
    throw new Error("the harness's k6/http double takes string bodies only");
  }
  const p = params ?? {};
  const callback = p.responseCallback === undefined ? defaultCallback : p.responseCallback;
  let redirectsLeft = p.redirects ?? rt.maxRedirects;
  const headers: Record<string, string> = { "User-Agent": "k6-harness", ...p.headers };
  let currentMethod = method.toUpperCase();
  let currentUrl = url;
  let currentBody = body ?? null;

  for (;;) {
    const m = rt.http({
      method: currentMethod,
      url: currentUrl,
      headers,
      body: currentBody,
      timeoutMs: timeoutMs(p.timeout),
    });
    const res = new Response(currentMethod, currentUrl, headers, currentBody, m);
    recordRequest(res, currentMethod, currentUrl, p.tags ?? {}, callback, m);

    const location = res.headers.Location;
    if (!REDIRECTS.has(res.status) || location === undefined || redirectsLeft <= 0) return res;
    redirectsLeft--;
    currentUrl = new URL(location, currentUrl).href;
    if (res.status === 303 || ((res.status === 301 || res.status === 302) && currentMethod === "POST")) {
      currentMethod = "GET";
      currentBody = null;
    }
  }
}

function recordRequest(
  res: Response,
  method: string,
  url: string,
  userTags: Record<string, string>,
  callback: ExpectedStatusesCallback | null,
  m: HttpResponseMessage,
): void {
  const rt = runtime();
  const tags: Record<string, string> = {
    ...rt.stateTags(),
    ...userTags,
    method,
    url,
    name: userTags.name ?? url,
    status: String(res.status),
    proto: "HTTP/1.1",
  };
  if (res.error_code !== 0 && res.status === 0) tags.error_code = String(res.error_code);
  if (callback !== null) tags.expected_response = String(callback.expected(res.status));
  const t = res.timings;
  rt.emit("http_reqs", "counter", 1, tags);
  rt.emit("http_req_duration", "trend", t.duration, tags);
  rt.emit("http_req_blocked", "trend", t.blocked, tags);
  rt.emit("http_req_connecting", "trend", t.connecting, tags);
  rt.emit("http_req_tls_handshaking", "trend", 0, tags);
  rt.emit("http_req_sending", "trend", t.sending, tags);
  rt.emit("http_req_waiting", "trend", t.waiting, tags);
  rt.emit("http_req_receiving", "trend", t.receiving, tags);
  if (callback !== null) rt.emit("http_req_failed", "rate", callback.expected(res.status) ? 0 : 1, tags);
  rt.bytesSent += m.bytesSent;
  rt.bytesReceived += m.bytesReceived;
}

/** One request of http.batch in k6's array form: [method, url, body, params]. */
type BatchRequest = [method: string, url: string, body?: string | null, params?: Params | null];

/** k6 sends a batch's requests in parallel; this double sends them one after the other (same responses, in order). */
export function batch(requests: BatchRequest[]): Response[] {
  if (!Array.isArray(requests))
    throw new Error("the harness's http.batch takes an array of [method, url, body, params]");
  return requests.map(([method, url, body, params]) => request(method, url, body, params));
}

export const get = (url: string, params?: Params | null): Response => request("GET", url, null, params);
export const post = (url: string, body?: string | null, params?: Params | null): Response =>
  request("POST", url, body, params);
export const put = (url: string, body?: string | null, params?: Params | null): Response =>
  request("PUT", url, body, params);
export const patch = (url: string, body?: string | null, params?: Params | null): Response =>
  request("PATCH", url, body, params);
export const del = (url: string, body?: string | null, params?: Params | null): Response =>
  request("DELETE", url, body, params);
export const head = (url: string, params?: Params | null): Response => request("HEAD", url, null, params);

export default { request, batch, get, post, put, patch, del, head, expectedStatuses, setResponseCallback };
