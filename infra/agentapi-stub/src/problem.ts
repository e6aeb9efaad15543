// The error policy of both listeners: every error gets a useful answer in the listener's style, and nothing a client
// sends can produce a 5xx except the ones the contract asks for (an AgentAPI handler error, an injected fault).
// - AgentAPI listener ("huma" style): what upstream's stack answers (agentapi/huma.ts), error bodies huma's
//   ErrorModel, router and server refusals Go's plain text.
// - Broker listener ("problem" style, this project's design): RFC 9457 `application/problem+json` everywhere.
// Both accept an empty body on DELETE/OPTIONS (GET/HEAD are never parsed) whatever its Content-Type says.
import { STATUS_CODES, type Server } from "node:http";
import type { Socket } from "node:net";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { goRawClientError, humaFrameworkError, installHumaSurface } from "./agentapi/huma";
import { BODY_TOO_LARGE_CODES, HttpProblem, PlainTextAnswer, type ErrorDetail } from "./http-errors";

export { HttpProblem, PlainTextAnswer, type ErrorDetail } from "./http-errors";

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

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

export type ErrorStyle = "huma" | "problem";

export interface ProblemHandlingOptions {
  /** Status of a request-validation failure: upstream AgentAPI answers 422, the broker 400. */
  validationStatus: 400 | 422;
  /** Extra members added to every problem body of this app (AgentAPI: the `$schema` link, huma style too). */
  decorate?: (request: FastifyRequest, body: ProblemBody) => void;
  /** "huma": upstream AgentAPI's error surface; "problem": RFC 9457. Default: huma when validationStatus is 422. */
  style?: ErrorStyle;
}

/** HTTP servers of the apps in huma style: the raw-socket and router-level handlers answer Go's way there. */
const humaServers = new WeakSet<Server>();

function isHumaSocket(socket: Socket): boolean {
  const server = (socket as Socket & { server?: unknown }).server;
  return server !== undefined && humaServers.has(server as Server);
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

function validationErrors(error: FastifyError, request: FastifyRequest, huma = false): ErrorDetail[] {
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
        message = huma
          ? ""
          : `expected value to be one of "${(params.allowedValues as unknown[]).map(String).join(", ")}"`;
        break;
      default:
        message = `expected value ${issue.message ?? "to be valid"}`;
    }
    const detail: ErrorDetail = { location, message };
    const value = valueAt(source, issue.instancePath);
    if (value !== undefined && !(huma && value === null)) detail.value = value;
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
  if (BODY_TOO_LARGE_CODES.has(error.code)) return { status: 413, detail: `request body too large: ${error.message}` };
  switch (error.code) {
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
 * DELETE and OPTIONS requests whose framing says the body is empty (no Content-Length or 0, not chunked) are handled
 * as bodiless whatever their Content-Type says (fastify would run that type's parser on nothing and refuse it); a
 * chunked empty JSON body is accepted too. GET and HEAD bodies are never parsed.
 */
function acceptEmptyBodies(app: FastifyInstance): void {
  app.addHook("onRequest", (request, _reply, done) => {
    const method = request.method;
    if (method === "DELETE" || method === "OPTIONS") {
      const headers = request.headers;
      const length = headers["content-length"];
      if (
        headers["content-type"] !== undefined &&
        headers["transfer-encoding"] === undefined &&
        (length === undefined || length === "0")
      ) {
        delete headers["content-type"];
      }
    }
    done();
  });
  const json = app.getDefaultJsonParser("error", "ignore");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    if (body === "" && (request.method === "DELETE" || request.method === "OPTIONS")) done(null, undefined);
    else void json(request, body as string, done);
  });
}

/**
 * Install the shared policy on one app: error handler, 404 handler (405 when the path exists with another method),
 * in the app's style; in huma style also huma's body reading and validation (agentapi/huma.ts).
 */
export function installProblemHandling(app: FastifyInstance, options: ProblemHandlingOptions): void {
  const { validationStatus, decorate } = options;
  const style = options.style ?? (validationStatus === 422 ? "huma" : "problem");

  if (style === "huma") {
    humaServers.add(app.server);
    installHumaSurface(app, {
      allowedMethods: (url) => allowedMethods(app, url),
      schemaLink: (request) => {
        const scratch = {} as ProblemBody;
        decorate?.(request, scratch);
        return typeof scratch.$schema === "string" ? scratch.$schema : undefined;
      },
      validationErrors: (error, request) => validationErrors(error, request, true),
    });
    return;
  }

  acceptEmptyBodies(app);

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof PlainTextAnswer) {
      return reply.code(error.status).type("text/plain; charset=utf-8").send(error.body);
    }
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
 * For requests node:http rejects before fastify sees them (oversized or malformed headers, timeouts): answer in the
 * listener's style (broker: problem+json; AgentAPI: Go's plain text), then close the connection (node cannot
 * resynchronise the stream after such an error).
 */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket): void {
  if (!socket.writable || socket.destroyed) {
    socket.destroy();
    return;
  }
  if (isHumaSocket(socket)) {
    // The AgentAPI listener answers as Go's server does: plain text, or nothing for a timeout or reset.
    const answer = goRawClientError(error.code);
    if (answer === undefined) socket.destroy();
    else socket.end(answer);
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
export function frameworkErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  if (isHumaSocket(request.raw.socket)) {
    humaFrameworkError(error, reply);
    return;
  }
  const status =
    typeof error.statusCode === "number" && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
  const detail = error.code === "FST_ERR_BAD_URL" ? "the URL is not valid (bad percent-encoding)" : error.message;
  void reply.code(status).type(PROBLEM_CONTENT_TYPE).send(problemBody(status, detail));
}
