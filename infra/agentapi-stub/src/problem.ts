// RFC 9457 problem details for both listeners, plus the one fastify error policy they share: every error the
// target answers is `application/problem+json` with a useful `detail`, and nothing a client sends can produce a 5xx
// except the ones the contract asks for (an AgentAPI handler error, an injected fault).
import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

/** Throw from any handler or hook; the error handler renders it as problem+json. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly extra?: Record<string, unknown>,
    readonly headers?: Record<string, string>,
  ) {
    super(detail);
    this.name = "HttpProblem";
  }
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  [extra: string]: unknown;
}

export function problemTitle(status: number): string {
  return STATUS_CODES[status] ?? "Error";
}

export function problemBody(status: number, detail: string, extra?: Record<string, unknown>): ProblemBody {
  return { type: "about:blank", title: problemTitle(status), status, detail, ...extra };
}

/** One entry of upstream's (huma's) `errors` list: where, what, and the offending value. */
export interface ErrorDetail {
  location: string;
  message: string;
  value?: unknown;
}

export interface ProblemHandlingOptions {
  /** Status of a request-validation failure: upstream AgentAPI answers 422, the broker 400. */
  validationStatus: 400 | 422;
  /** Extra members added to every problem body of this app (e.g. AgentAPI's `$schema` link). */
  decorate?: (request: FastifyRequest, body: ProblemBody) => void;
}

export function sendProblem(
  reply: FastifyReply,
  status: number,
  detail: string,
  extra?: Record<string, unknown>,
  decorate?: ProblemHandlingOptions["decorate"],
): FastifyReply {
  const body = problemBody(status, detail, extra);
  decorate?.(reply.request, body);
  return reply.code(status).type(PROBLEM_CONTENT_TYPE).send(body);
}

const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

/** Methods that have a route on this concrete path (for 405 + Allow). */
function allowedMethods(app: FastifyInstance, url: string): string[] {
  const path = url.split("?", 1)[0] ?? "/";
  const allowed: string[] = [];
  for (const method of HTTP_METHODS) {
    if (app.findRoute({ method, url: path })) allowed.push(method);
  }
  return allowed;
}

/** `body.content` / `querystring.state` in the dotted style of upstream's `location`. */
function validationLocation(context: string | undefined, instancePath: string, missing?: string): string {
  const root = context === "querystring" ? "query" : (context ?? "body");
  const segments = instancePath.split("/").filter((s) => s !== "");
  if (missing !== undefined) segments.push(missing);
  return segments.length === 0 ? root : `${root}.${segments.join(".")}`;
}

function valueAt(root: unknown, instancePath: string): unknown {
  let current: unknown = root;
  for (const segment of instancePath.split("/").filter((s) => s !== "")) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

function validationErrors(error: FastifyError, request: FastifyRequest): ErrorDetail[] {
  const context = error.validationContext;
  const source: unknown =
    context === "querystring"
      ? request.query
      : context === "params"
        ? request.params
        : context === "headers"
          ? undefined
          : request.body;
  return (error.validation ?? []).map((issue) => {
    const params = issue.params;
    // Messages and locations follow upstream's (huma's) wording so clients see the same text.
    let message: string;
    let location = validationLocation(context, issue.instancePath);
    switch (issue.keyword) {
      case "required":
        message = `expected required property ${String(params.missingProperty)} to be present`;
        break;
      case "additionalProperties":
        message = "unexpected property";
        location = validationLocation(context, issue.instancePath, String(params.additionalProperty));
        break;
      case "type":
        message = `expected ${String(params.type)}`;
        break;
      case "enum":
        message = `expected value to be one of "${(params.allowedValues as unknown[]).map(String).join(", ")}"`;
        break;
      default:
        message = `expected value ${issue.message ?? "to be valid"}`;
    }
    const detail: ErrorDetail = { location, message };
    const value = valueAt(source, issue.instancePath);
    if (value !== undefined) detail.value = value;
    return detail;
  });
}

/** A media-type refusal that names what was sent (fastify's own message is a bare "Unsupported Media Type"). */
function unsupportedMediaType(request: FastifyRequest): string {
  const sent = request.headers["content-type"];
  if (sent === undefined || sent === "") return "the request has a body but no Content-Type header";
  return `Content-Type ${JSON.stringify(sent.slice(0, 100))} is not accepted here`;
}

/** Map a fastify/plugin error code to a client-facing status and detail; undefined = not a client error. */
function clientError(error: FastifyError, request: FastifyRequest): { status: number; detail: string } | undefined {
  switch (error.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
    case "FST_REQ_FILE_TOO_LARGE":
    case "FST_FILES_LIMIT":
    case "FST_FIELDS_LIMIT":
    case "FST_PARTS_LIMIT":
      return { status: 413, detail: `request body too large: ${error.message}` };
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return { status: 415, detail: unsupportedMediaType(request) };
    case "FST_INVALID_MULTIPART_CONTENT_TYPE":
      return { status: 415, detail: "the request is not multipart/form-data" };
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return { status: 400, detail: "the body is empty but Content-Type is application/json" };
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return { status: 400, detail: "the body is not valid JSON" };
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return { status: 400, detail: "Content-Length does not match the body" };
    default:
      break;
  }
  if (error instanceof SyntaxError) return { status: 400, detail: `the body is not valid JSON: ${error.message}` };
  const status = error.statusCode;
  if (typeof status === "number" && status >= 400 && status < 500) {
    return { status, detail: error.message || problemTitle(status) };
  }
  return undefined;
}

/**
 * Install the shared policy on one app: error handler, 404 handler (405 when the path exists with another method).
 */
export function installProblemHandling(app: FastifyInstance, options: ProblemHandlingOptions): void {
  const { validationStatus, decorate } = options;

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof HttpProblem) {
      if (error.headers) void reply.headers(error.headers);
      return sendProblem(reply, error.status, error.detail, error.extra, decorate);
    }
    if (error.validation) {
      const errors = validationErrors(error, request);
      return sendProblem(reply, validationStatus, "validation failed", { errors }, decorate);
    }
    const mapped = clientError(error, request);
    if (mapped) return sendProblem(reply, mapped.status, mapped.detail, undefined, decorate);
    // Anything else is our bug: log it with its stack, answer a plain 500 problem without internals.
    request.log.error({ err: error, reqId: request.id, method: request.method, url: request.url }, "unhandled error");
    return sendProblem(reply, 500, "internal error", undefined, decorate);
  });

  app.setNotFoundHandler((request, reply) => {
    const allowed = allowedMethods(app, request.url);
    if (allowed.length > 0) {
      void reply.header("Allow", allowed.join(", "));
      return sendProblem(reply, 405, `method ${request.method} is not allowed on this path`, undefined, decorate);
    }
    const path = request.url.split("?", 1)[0] ?? "";
    const shown = path.length > 200 ? `${path.slice(0, 200)}…` : path;
    return sendProblem(reply, 404, `no route for ${request.method} ${shown}`, undefined, decorate);
  });
}

/**
 * For requests node:http rejects before fastify sees them (oversized or malformed headers, timeouts): answer a
 * problem+json too, then close the connection (node cannot resynchronise the stream after such an error).
 */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket): void {
  if (!socket.writable || socket.destroyed) {
    socket.destroy();
    return;
  }
  const status =
    error.code === "HPE_HEADER_OVERFLOW"
      ? 431
      : error.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? 408
        : error.code === "ECONNRESET"
          ? 0
          : 400;
  if (status === 0) {
    socket.destroy();
    return;
  }
  const detail =
    status === 431 ? "request headers too large" : status === 408 ? "request timed out" : "malformed HTTP request";
  const body = JSON.stringify(problemBody(status, detail));
  socket.end(
    `HTTP/1.1 ${status} ${problemTitle(status)}\r\n` +
      `Content-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      "Connection: close\r\n\r\n" +
      body,
  );
}

/** fastify's `frameworkErrors` option: URL problems found before routing (bad percent-encoding, overlong params). */
export function frameworkErrorHandler(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const status =
    typeof error.statusCode === "number" && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
  const detail = error.code === "FST_ERR_BAD_URL" ? "the URL is not valid (bad percent-encoding)" : error.message;
  void reply.code(status).type(PROBLEM_CONTENT_TYPE).send(problemBody(status, detail));
}
