// What upstream AgentAPI's error answers look like, as assertions: huma's ErrorModel (problem+json without a
// charset, a Link to the schema, `$schema`/title/status/detail/errors in that order, no `type`, a trailing newline),
// chi's 404 and 405, Go's http.Error and the refusals of Go's HTTP server. Also a raw HTTP exchange over a socket,
// for requests no HTTP client sends (no Host, malformed messages) and to see the status line and repeated headers.
import { STATUS_CODES } from "node:http";
import { connect } from "node:net";
import { expect } from "vitest";

export const HOST_REFUSAL = "Invalid host header. Allowed hosts: localhost, 127.0.0.1, ::1\n";
export const CHI_NOT_FOUND = "404 page not found\n";
export const ERROR_MODEL_LINK = '</schemas/ErrorModel.json>; rel="describedBy"';
export const GO_TEXT = "text/plain; charset=utf-8";

/** Go's http.StatusText where node's differs. */
const GO_TITLES: Record<number, string> = { 413: "Request Entity Too Large", 414: "Request URI Too Long" };
export const goTitle = (status: number): string => GO_TITLES[status] ?? STATUS_CODES[status] ?? "";

const HUMA_ORDER = ["$schema", "title", "status", "detail", "errors"];
const DETAIL_ORDER = ["message", "location", "value"];

export interface Answer {
  status: number;
  headers: Headers | Record<string, string | string[] | undefined>;
  body: string;
}

export function headerOf(answer: Answer, name: string): string | undefined {
  if (answer.headers instanceof Headers) return answer.headers.get(name) ?? undefined;
  const value = answer.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(", ") : value;
}

export interface HumaErrorBody {
  $schema?: string;
  title?: string;
  status: number;
  detail?: string;
  errors?: { message?: string; location?: string; value?: unknown }[];
}

/** A huma ErrorModel answer; `expected` pins detail and errors exactly. Returns the parsed body. */
export function expectHumaError(
  answer: Answer,
  status: number,
  expected: { detail?: string; errors?: unknown[] } = {},
): HumaErrorBody {
  const context = `${answer.status} ${answer.body.slice(0, 300)}`;
  expect(answer.status, context).toBe(status);
  expect(headerOf(answer, "content-type"), context).toBe("application/problem+json");
  expect(headerOf(answer, "link"), context).toBe(ERROR_MODEL_LINK);
  expect(answer.body.endsWith("}\n"), context).toBe(true);
  const body = JSON.parse(answer.body) as HumaErrorBody & Record<string, unknown>;
  expect(Object.keys(body), context).toEqual(HUMA_ORDER.filter((key) => key in body));
  expect(body.$schema, context).toMatch(/^https?:\/\/[^/]+\/schemas\/ErrorModel\.json$/);
  expect(body.title, context).toBe(goTitle(status));
  expect(body.status, context).toBe(status);
  for (const detail of body.errors ?? []) {
    expect(Object.keys(detail), context).toEqual(DETAIL_ORDER.filter((key) => key in detail));
  }
  if (expected.detail !== undefined) expect(body.detail, context).toBe(expected.detail);
  if (expected.errors !== undefined) expect(body.errors, context).toEqual(expected.errors);
  return body;
}

/** A plain-text answer as Go writes it: `http.Error` (nosniff, as the Host refusal and chi's 404) or the server's own. */
export function expectGoText(answer: Answer, status: number, body: string, options: { nosniff?: boolean } = {}): void {
  const context = `${answer.status} ${answer.body.slice(0, 300)}`;
  expect(answer.status, context).toBe(status);
  expect(headerOf(answer, "content-type"), context).toBe(GO_TEXT);
  expect(headerOf(answer, "x-content-type-options"), context).toBe((options.nosniff ?? true) ? "nosniff" : undefined);
  expect(answer.body, context).toBe(body);
}

/** chi's 405: `Allow`, no Content-Type, no body. */
export function expectChi405(answer: Answer, allow: string): void {
  const context = `${answer.status} ${answer.body.slice(0, 300)}`;
  expect(answer.status, context).toBe(405);
  expect(headerOf(answer, "allow"), context).toBe(allow);
  expect(headerOf(answer, "content-type"), context).toBeUndefined();
  expect(answer.body, context).toBe("");
}

export interface RawAnswer extends Answer {
  /** `HTTP/1.1 400 Bad Request: missing required Host header` */
  statusLine: string;
  /** Header lines as sent, names lower-cased, in order (repeated names kept apart). */
  lines: [string, string][];
  headers: Record<string, string>;
}

/**
 * Send raw bytes to `base` (an http://host:port URL) and read one answer: until the connection closes, or once the
 * Content-Length bytes (or the final chunk) are in, or after `timeoutMs`. status 0 = no answer.
 */
export function rawExchange(base: string, request: string | Buffer, timeoutMs = 3_000): Promise<RawAnswer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const socket = connect(Number(url.port), url.hostname, () => socket.write(request));
    const finish = (): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(parseRaw(Buffer.concat(chunks)));
    };
    socket.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      if (complete(Buffer.concat(chunks))) finish();
    });
    socket.on("close", finish);
    socket.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "ECONNRESET" || error.code === "EPIPE") finish();
      else reject(error);
    });
    socket.setTimeout(timeoutMs, finish);
  });
}

function splitHead(data: Buffer): { head: string; body: Buffer } | undefined {
  const end = data.indexOf("\r\n\r\n");
  if (end < 0) return undefined;
  return { head: data.subarray(0, end).toString("latin1"), body: data.subarray(end + 4) };
}

function complete(data: Buffer): boolean {
  const parts = splitHead(data);
  if (parts === undefined) return false;
  const length = /^content-length: *(\d+)/im.exec(parts.head)?.[1];
  if (length !== undefined) return parts.body.length >= Number(length);
  if (/^transfer-encoding: *chunked/im.test(parts.head)) return parts.body.includes("0\r\n\r\n");
  // A response to HEAD, a 405 without length: nothing more is coming once the head is in... unless the server
  // closes to delimit the body (Go's server refusals); the close event settles those.
  return /^HTTP\/1\.[01] (1\d\d|204|304)/.test(parts.head);
}

function dechunk(body: Buffer): Buffer {
  const out: Buffer[] = [];
  let rest = body;
  for (;;) {
    const line = rest.indexOf("\r\n");
    if (line < 0) break;
    const size = parseInt(rest.subarray(0, line).toString("latin1"), 16);
    if (!(size > 0)) break;
    out.push(rest.subarray(line + 2, line + 2 + size));
    rest = rest.subarray(line + 2 + size + 2);
  }
  return Buffer.concat(out);
}

function parseRaw(data: Buffer): RawAnswer {
  const parts = splitHead(data);
  if (parts === undefined) return { status: 0, statusLine: "", lines: [], headers: {}, body: "" };
  const [statusLine = "", ...rest] = parts.head.split("\r\n");
  const lines = rest.map((line): [string, string] => {
    const colon = line.indexOf(":");
    return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
  });
  const headers: Record<string, string> = {};
  for (const [name, value] of lines) headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  const chunked = /chunked/i.test(headers["transfer-encoding"] ?? "");
  const body = (chunked ? dechunk(parts.body) : parts.body).toString("utf8");
  return { status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0), statusLine, lines, headers, body };
}

/** A request head with CRLFs (and Content-Length when a body is given). */
export function rawRequestText(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string | Buffer,
): Buffer {
  const lines = [`${method} ${path} HTTP/1.1`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  const payload = body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(body) ? body : Buffer.from(body);
  if (body !== undefined && !Object.keys(headers).some((k) => k.toLowerCase() === "content-length")) {
    lines.push(`Content-Length: ${payload.length}`);
  }
  return Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1"), payload]);
}
