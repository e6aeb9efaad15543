// The AgentAPI listener's error surface as upstream's stack produces it (coder/agentapi 0.12.2: huma v2.32 on chi
// v5 and Go's net/http), so a client sees the same status, headers and body from this target as from the real one:
//
// - request bodies are read as huma reads them: at most 1 MiB (a body of 1 MiB or more is 413), an empty one is
//   "request body is required", the Content-Type picks the format (JSON unless it names another one: 415), the
//   JSON is decoded by Go's rules (go-json.ts: its syntax errors, 400) and validated by huma's rules (case-insensitive
//   property names, `$schema` ignored, null echoed as nothing, every problem listed: 422);
// - errors are huma's ErrorModel: `{$schema, title, status, detail, errors: [{message, location, value}]}` plus a
//   newline, `application/problem+json` without a charset, a `Link` to the schema, no `type` member;
// - an unknown path is chi's `404 page not found` and a known path with another method chi's empty 405 with `Allow`;
// - requests Go's server refuses before routing (bad request target, unparsable HTTP) get its plain-text answers.
//
// problem.ts installs this for the AgentAPI listener; the broker keeps RFC 9457 problem+json.
import type { Readable } from "node:stream";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, preValidationHookHandler } from "fastify";
import {
  BODY_TOO_LARGE_CODES,
  goHttpError,
  goServerRefusal,
  goStatusText,
  HttpProblem,
  PlainTextAnswer,
  type ErrorDetail,
} from "../http-errors";
import { GoBytes, GoStruct, goJson, goJsonError, parseGoJson, type GoValue } from "./go-json";
import { describedBy } from "./schema-links";

/** huma's default MaxBodyBytes: a body that reaches it is refused. */
export const HUMA_BODY_LIMIT = 1 << 20;
const TOO_LARGE = `request body is too large limit=${HUMA_BODY_LIMIT} bytes`;
const ERROR_MODEL_LINK = describedBy("ErrorModel");
export const HUMA_PROBLEM_CONTENT_TYPE = "application/problem+json";

// ---------------------------------------------------------------------------------------------------------------
// Rendering.

/** Set the status line's reason phrase as Go writes it ("413 Request Entity Too Large", "509 status code 509"). */
function goStatusLine(reply: FastifyReply, status: number): void {
  reply.raw.statusMessage = goStatusText(status) || `status code ${status}`;
}

function detailStruct(detail: ErrorDetail): GoStruct {
  const fields: [string, unknown][] = [];
  // omitempty: an empty message or location and a nil value are left out.
  if (detail.message) fields.push(["message", detail.message]);
  if (detail.location) fields.push(["location", detail.location]);
  if (detail.value !== undefined && detail.value !== null) fields.push(["value", detail.value]);
  return new GoStruct(fields);
}

/** huma's ErrorModel for `status`, written as huma writes it; `schemaLink` is the `$schema` URL (none if undefined). */
export function sendHumaError(
  reply: FastifyReply,
  status: number,
  detail: string,
  options: { errors?: ErrorDetail[]; schemaLink?: string; extra?: Record<string, unknown> } = {},
): FastifyReply {
  const fields: [string, unknown][] = [];
  if (options.schemaLink !== undefined) fields.push(["$schema", options.schemaLink]);
  const title = goStatusText(status);
  if (title !== "") fields.push(["title", title]);
  fields.push(["status", status]);
  if (detail !== "") fields.push(["detail", detail]);
  if (options.errors !== undefined && options.errors.length > 0) {
    fields.push(["errors", options.errors.map(detailStruct)]);
  }
  // Members upstream does not have (none on this listener today) follow huma's.
  for (const [key, value] of Object.entries(options.extra ?? {})) if (key !== "errors") fields.push([key, value]);
  goStatusLine(reply, status);
  return reply
    .code(status)
    .header("content-type", HUMA_PROBLEM_CONTENT_TYPE)
    .header("link", ERROR_MODEL_LINK)
    .send(Buffer.from(`${goJson(new GoStruct(fields))}\n`));
}

/** A PlainTextAnswer (Go's http.Error or a server refusal). */
export function sendPlainText(reply: FastifyReply, answer: PlainTextAnswer): FastifyReply {
  reply.raw.statusMessage = answer.options.reason ?? (goStatusText(answer.status) || `status code ${answer.status}`);
  void reply.code(answer.status).header("content-type", "text/plain; charset=utf-8");
  if (answer.options.nosniff === true) void reply.header("x-content-type-options", "nosniff");
  if (answer.options.close === true) void reply.header("connection", "close");
  return reply.send(answer.body);
}

/** chi's answers for a request no route takes: 405 with an `Allow` line per method and no body, else http.NotFound. */
export function sendChiNotFound(reply: FastifyReply, allowed: string[]): FastifyReply {
  if (allowed.length > 0) {
    goStatusLine(reply, 405);
    return reply.code(405).header("allow", allowed).send();
  }
  return sendPlainText(reply, goHttpError(404, "404 page not found"));
}

// ---------------------------------------------------------------------------------------------------------------
// Reading request bodies.

/** A body huma decoded as JSON, waiting for validation against the route's schema. */
class DecodedBody {
  constructor(readonly value: GoValue) {}
}

/** huma's Unmarshal: the part of the Content-Type after `+` and before `;` names the format; empty means JSON. */
function isJsonContentType(contentType: string): boolean {
  const start = contentType.indexOf("+") + 1;
  const semicolon = contentType.indexOf(";");
  const format = contentType.slice(start, semicolon < 0 ? contentType.length : semicolon);
  return format === "" || format === "application/json" || format === "json";
}

/** Read a body up to huma's limit; `problem` is the 413 when it reaches the limit. */
function readBody(
  stream: Readable,
  contentLength: string | undefined,
  done: (problem: HttpProblem | undefined, body?: Buffer) => void,
): void {
  if (contentLength !== undefined && Number(contentLength) >= HUMA_BODY_LIMIT) {
    done(new HttpProblem(413, TOO_LARGE));
    return;
  }
  const chunks: Buffer[] = [];
  let length = 0;
  const cleanup = (): void => {
    stream.removeListener("data", onData);
    stream.removeListener("end", onEnd);
    stream.removeListener("error", onError);
  };
  const onData = (chunk: Buffer): void => {
    length += chunk.length;
    if (length >= HUMA_BODY_LIMIT) {
      // The rest is discarded (the stream keeps flowing without listeners); the 413 closes the connection.
      cleanup();
      done(new HttpProblem(413, TOO_LARGE));
      return;
    }
    chunks.push(chunk);
  };
  const onEnd = (): void => {
    cleanup();
    done(undefined, Buffer.concat(chunks, length));
  };
  const onError = (): void => {
    cleanup();
    done(new HttpProblem(400, "cannot read request body"));
  };
  stream.on("data", onData);
  stream.on("end", onEnd);
  stream.on("error", onError);
  stream.resume();
}

/** What huma makes of a body that was read: nothing (empty), a refusal (415, 400) or a decoded JSON value. */
function decodeBody(body: Buffer, contentType: string): DecodedBody | HttpProblem | undefined {
  if (body.length === 0) return undefined;
  const refused = (status: number, message: string): HttpProblem =>
    new HttpProblem(status, "validation failed", { errors: [{ message, location: "body", value: new GoBytes(body) }] });
  if (!isJsonContentType(contentType)) return refused(415, `unknown content type: ${contentType}`);
  const syntax = goJsonError(body);
  if (syntax !== undefined) return refused(400, syntax);
  return new DecodedBody(parseGoJson(body));
}

/**
 * The listener's only content-type parser, for every type: a route without a body schema (and chi's 404/405) never
 * reads the body, as huma never does for an operation without one; a route with one gets the decoded body (or the
 * refusal, thrown by its validation step, so the connection stays open as it does upstream).
 */
function humaBodyParser(
  request: FastifyRequest,
  payload: Readable,
  done: (error: Error | null, body?: unknown) => void,
): void {
  if (request.is404 || request.routeOptions.schema?.body === undefined) {
    done(null, undefined);
    return;
  }
  readBody(payload, request.headers["content-length"], (problem, body) => {
    if (problem !== undefined) done(problem);
    else done(null, decodeBody(body ?? Buffer.alloc(0), request.headers["content-type"] ?? ""));
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Validation (huma's validate.go for the JSON Schema keywords this target's request schemas use).

interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  required?: readonly string[];
  additionalProperties?: boolean | Schema;
  enum?: readonly unknown[];
  items?: Schema;
  nullable?: boolean;
}

/** strings.EqualFold, close enough for property names. */
const equalFold = (a: string, b: string): boolean =>
  a === b || a.toLowerCase() === b.toLowerCase() || a.toUpperCase() === b.toUpperCase();

const byBytes = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** Properties huma validates: sorted, without the `$schema` link (huma adds that one after computing the list). */
const validatedProperties = (schema: Schema): string[] =>
  Object.keys(schema.properties ?? {})
    .filter((name) => name !== "$schema")
    .sort(byBytes);

function validate(schema: Schema, path: string, value: GoValue, errors: ErrorDetail[]): void {
  const add = (message: string, at = path, echoed: GoValue = value): void => {
    errors.push({ message, location: at, value: echoed });
  };
  if (schema.nullable === true && value === null) return;
  switch (schema.type) {
    case "boolean":
      if (typeof value !== "boolean") return add("expected boolean");
      break;
    case "number":
    case "integer":
      if (typeof value !== "number") return add(`expected ${schema.type}`);
      if (schema.type === "integer" && !Number.isInteger(value)) add("expected integer");
      break;
    case "string":
      if (typeof value !== "string") return add("expected string");
      break;
    case "array":
      if (!Array.isArray(value)) return add("expected array");
      if (schema.items !== undefined)
        value.forEach((item, i) => validate(schema.items!, `${path}[${i}]`, item, errors));
      break;
    case "object":
      if (!(value instanceof Map)) return add("expected object");
      validateObject(schema, path, value, errors);
      break;
    default:
      break;
  }
  // Upstream's only request enum (MessageType) is registered without huma's precomputed messages: the failure has
  // a location and a value but no message.
  if (schema.enum !== undefined && !schema.enum.includes(value)) add("");
}

function validateObject(schema: Schema, path: string, object: Map<string, GoValue>, errors: ErrorDetail[]): void {
  const properties = schema.properties ?? {};
  const required = new Set(schema.required ?? []);
  for (const name of validatedProperties(schema)) {
    const key = object.has(name) ? name : [...object.keys()].find((k) => equalFold(k, name));
    if (key === undefined) {
      if (required.has(name)) {
        errors.push({ message: `expected required property ${name} to be present`, location: path, value: object });
      }
      continue;
    }
    const item = object.get(key)!;
    const sub = properties[name]!;
    if (item === null && (!required.has(name) || sub.nullable === true)) continue;
    validate(sub, `${path}.${name}`, item, errors);
  }
  if (schema.additionalProperties === false) {
    const names = Object.keys(properties);
    for (const key of object.keys()) {
      if (Object.hasOwn(properties, key) || names.some((name) => equalFold(name, key))) continue;
      errors.push({ message: "unexpected property", location: `${path}.${key}`, value: object });
    }
  }
}

/** The value Go's decoder puts into the route's body struct: fields matched case-insensitively, the last one wins. */
function toStruct(schema: Schema, value: GoValue): unknown {
  if (value instanceof Map) {
    const names = validatedProperties(schema);
    const out: Record<string, unknown> = {};
    for (const [key, item] of value) {
      const field = names.includes(key) ? key : names.find((name) => equalFold(name, key));
      if (field !== undefined) out[field] = toStruct(schema.properties![field]!, item);
    }
    return out;
  }
  if (Array.isArray(value)) return value.map((item) => toStruct(schema.items ?? {}, item));
  return value;
}

/** Validation as a route's first preValidation step: the refusal of the body reader, huma's 400/422, or the struct. */
function humaValidation(schema: Schema): preValidationHookHandler {
  return (request, _reply, done) => {
    const body: unknown = request.body;
    if (body instanceof HttpProblem) {
      done(body);
      return;
    }
    if (!(body instanceof DecodedBody)) {
      done(new HttpProblem(400, "request body is required"));
      return;
    }
    const errors: ErrorDetail[] = [];
    validate(schema, "body", body.value, errors);
    if (errors.length > 0) {
      done(new HttpProblem(422, "validation failed", { errors }));
      return;
    }
    request.body = toStruct(schema, body.value);
    done();
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Errors fastify raises itself.

/**
 * A Content-Type fastify cannot even parse ("garbage") is refused before any parser runs; huma would still have
 * read the body first. Answer what huma answers: 413, 400 (empty) or 415 naming the type.
 */
function refuseUnparsableContentType(request: FastifyRequest): Promise<HttpProblem> {
  return new Promise((resolve) => {
    readBody(request.raw, request.headers["content-length"], (problem, body) => {
      if (problem !== undefined) resolve(problem);
      else {
        const outcome = decodeBody(body ?? Buffer.alloc(0), request.headers["content-type"] ?? "");
        resolve(outcome instanceof HttpProblem ? outcome : new HttpProblem(400, "request body is required"));
      }
    });
  });
}

/** fastify and plugin errors as upstream would answer the same request; undefined = not the client's fault. */
function humaClientError(error: FastifyError): HttpProblem | undefined {
  if (BODY_TOO_LARGE_CODES.has(error.code)) return new HttpProblem(413, TOO_LARGE);
  const status = error.statusCode;
  if (typeof status === "number" && status >= 400 && status < 500) return new HttpProblem(status, error.message);
  return undefined;
}

export interface HumaSurfaceOptions {
  /** Methods with a route on this concrete path (for chi's 405). */
  allowedMethods: (url: string) => string[];
  /** The `$schema` link of an error body for this request (undefined: none). */
  schemaLink: (request: FastifyRequest) => string | undefined;
  /** fastify's own validation errors mapped to huma's list (only reached if ajv disagrees with huma's validation). */
  validationErrors: (error: FastifyError, request: FastifyRequest) => ErrorDetail[];
}

/** Install huma's body reading and validation and upstream's error rendering on the AgentAPI listener. */
export function installHumaSurface(app: FastifyInstance, options: HumaSurfaceOptions): void {
  const { allowedMethods, schemaLink, validationErrors } = options;
  const renderProblem = (request: FastifyRequest, reply: FastifyReply, problem: HttpProblem): FastifyReply => {
    if (problem.headers) void reply.headers(problem.headers);
    const { errors, ...extra } = problem.extra ?? {};
    return sendHumaError(reply, problem.status, problem.detail, {
      errors: errors as ErrorDetail[] | undefined,
      schemaLink: schemaLink(request),
      extra,
    });
  };

  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", humaBodyParser);
  // Every route with a body schema validates as huma does before fastify's own (ajv) validation runs; the body it
  // leaves behind is the decoded struct, which ajv then accepts.
  app.addHook("onRoute", (route) => {
    const schema = route.schema?.body as Schema | undefined;
    if (schema === undefined) return;
    const own = route.preValidation;
    const existing = own === undefined ? [] : Array.isArray(own) ? own : [own];
    route.preValidation = [humaValidation(schema), ...existing];
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof PlainTextAnswer) return sendPlainText(reply, error);
    // chi answers 404/405 without looking at the body: a body problem fastify found first does not count.
    if (request.is404 && error.code?.startsWith("FST_ERR_CTP_")) {
      return sendChiNotFound(reply, allowedMethods(request.url));
    }
    if (error instanceof HttpProblem) return renderProblem(request, reply, error);
    if (error.validation) {
      return renderProblem(
        request,
        reply,
        new HttpProblem(422, "validation failed", { errors: validationErrors(error, request) }),
      );
    }
    if (error.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") {
      if (request.routeOptions.schema?.body === undefined) {
        return renderProblem(request, reply, new HttpProblem(415, "unsupported media type"));
      }
      return refuseUnparsableContentType(request).then((problem) => {
        renderProblem(request, reply, problem);
      });
    }
    const mapped = humaClientError(error);
    if (mapped) return renderProblem(request, reply, mapped);
    // Anything else is our bug: log it with its stack, answer huma's 500 without internals.
    request.log.error({ err: error, reqId: request.id, method: request.method, url: request.url }, "unhandled error");
    return renderProblem(request, reply, new HttpProblem(500, "unexpected error occurred"));
  });

  app.setNotFoundHandler((request, reply) => sendChiNotFound(reply, allowedMethods(request.url)));
}

/** A request fastify's router refuses (bad percent-encoding): Go's server answers `400 Bad Request` itself. */
export function humaFrameworkError(error: FastifyError, reply: FastifyReply): void {
  if (error.code === "FST_ERR_BAD_URL") {
    void sendPlainText(reply, goServerRefusal(400));
    return;
  }
  const status =
    typeof error.statusCode === "number" && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
  void sendHumaError(reply, status, error.message);
}

/** Go's server answers for HTTP it cannot parse (as raw socket text); undefined = close without an answer. */
export function goRawClientError(code: string | undefined): string | undefined {
  const answer = (status: string, body = status): string =>
    `HTTP/1.1 ${status}\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n${body}`;
  if (code === "HPE_HEADER_OVERFLOW") return answer("431 Request Header Fields Too Large");
  // A read timeout or reset is a "common net read error": Go hangs up without a word.
  if (code === "ERR_HTTP_REQUEST_TIMEOUT" || code === "ECONNRESET") return undefined;
  return answer("400 Bad Request");
}
