// Upstream's two request gates, in upstream's order: the Host header check (hostname only, port ignored,
// case-insensitive, `*` = any; refused → Go's http.Error: 400 text/plain naming the allowed hosts, before CORS, so
// without CORS headers), then CORS (go-chi/cors with upstream's
// options: methods GET POST PUT DELETE OPTIONS, headers Accept Authorization Content-Type X-CSRF-Token (+Origin),
// exposed Link, credentials, max-age 300; a preflight is answered 200 right here, with CORS headers only when the
// origin, method and headers are all allowed).
// Before both, what Go's HTTP server itself refuses: an HTTP/1.1 request without Host, a Host with bytes no host
// can contain (400 `Bad Request: missing required Host header` / `malformed Host header`, connection closed).
import type { FastifyReply, FastifyRequest } from "fastify";
import { goHttpError, goServerRefusal, type PlainTextAnswer } from "../http-errors";

const CORS_METHODS = new Set(["GET", "POST", "PUT", "DELETE", "OPTIONS"]);
const CORS_HEADERS = new Set(["accept", "authorization", "content-type", "x-csrf-token", "origin"]);

/** Hostname of a Host header value without port or IPv6 brackets, lower-cased; undefined if unparsable. */
export function hostnameOf(hostHeader: string): string | undefined {
  if (hostHeader.startsWith("[")) {
    const end = hostHeader.indexOf("]");
    if (end < 0) return undefined;
    const rest = hostHeader.slice(end + 1);
    if (rest !== "" && !/^:\d*$/.test(rest)) return undefined;
    return hostHeader.slice(1, end).toLowerCase();
  }
  const colon = hostHeader.indexOf(":");
  const name = colon < 0 ? hostHeader : hostHeader.slice(0, colon);
  if (colon >= 0 && !/^\d*$/.test(hostHeader.slice(colon + 1))) return undefined;
  if (name === "" || /[\s/?#@\\]/.test(name)) return undefined;
  return name.toLowerCase();
}

/** Go's httpguts.ValidHostHeader: only bytes that can appear in a host, a port or an IPv6 zone. */
const VALID_HOST_HEADER = /^[0-9A-Za-z!$%&'()*+,\-.:;=[\]_~]*$/;

/** What the Host rules make of a Host header value: allowed, refused by upstream's rule, malformed for Go's server. */
export type HostVerdict = "allowed" | "refused" | "malformed";

/** Host header rules; verdicts are cached per header value (bounded, since `*` admits any host). */
export function createHostCheck(allowedHosts: string[]): (host: string) => HostVerdict {
  const any = allowedHosts.includes("*");
  const hosts = new Set(allowedHosts.map((h) => h.toLowerCase()));
  const cache = new Map<string, HostVerdict>();
  return (host) => {
    let verdict = cache.get(host);
    if (verdict === undefined) {
      const name = hostnameOf(host);
      verdict = !VALID_HOST_HEADER.test(host)
        ? "malformed"
        : any || (name !== undefined && hosts.has(name))
          ? "allowed"
          : "refused";
      if (cache.size >= 1024) cache.clear();
      cache.set(host, verdict);
    }
    return verdict;
  };
}

/** `content-type` → `Content-Type`, as go-chi/cors normalises the requested headers it echoes. */
const canonicalHeader = (name: string): string =>
  name.toLowerCase().replace(/(^|-)([a-z])/g, (_match, dash: string, letter: string) => dash + letter.toUpperCase());

function preflight(request: FastifyRequest, reply: FastifyReply, origins: Set<string> | "*"): void {
  // One Vary line per name, as go-chi/cors writes them.
  void reply.header("Vary", ["Origin", "Access-Control-Request-Method", "Access-Control-Request-Headers"]);
  const origin = request.headers.origin;
  if (origin === undefined || origin === "") return;
  if (origins !== "*" && !origins.has(origin.toLowerCase())) return;
  const method = String(request.headers["access-control-request-method"]).toUpperCase();
  if (!CORS_METHODS.has(method)) return;
  const requested = String(request.headers["access-control-request-headers"] ?? "")
    .split(",")
    .map((h) => h.trim())
    .filter((h) => h !== "")
    .map(canonicalHeader);
  if (!requested.every((h) => CORS_HEADERS.has(h.toLowerCase()))) return;
  void reply.header("Access-Control-Allow-Origin", origins === "*" ? "*" : origin);
  void reply.header("Access-Control-Allow-Methods", method);
  if (requested.length > 0) void reply.header("Access-Control-Allow-Headers", requested.join(", "));
  void reply.header("Access-Control-Allow-Credentials", "true");
  void reply.header("Access-Control-Max-Age", "300");
}

function actual(request: FastifyRequest, reply: FastifyReply, origins: Set<string> | "*"): void {
  void reply.header("Vary", "Origin");
  const origin = request.headers.origin;
  if (origin === undefined || origin === "") return;
  if (origins !== "*" && !origins.has(origin.toLowerCase())) return;
  if (!CORS_METHODS.has(request.method)) return;
  void reply.header("Access-Control-Allow-Origin", origins === "*" ? "*" : origin);
  void reply.header("Access-Control-Expose-Headers", "Link");
  void reply.header("Access-Control-Allow-Credentials", "true");
}

export interface HostAndCorsOptions {
  allowedHosts: string[];
  allowedOrigins: string[];
  /** Paths the Host rule does not apply to (the target's own /healthz). */
  exempt: (url: string) => boolean;
}

/** Requests refused for their Host header: their error body must not echo that host back in a `$schema` link. */
export const refusedHostRequests = new WeakSet<FastifyRequest>();

/** What the gates decided: go on (undefined), refuse (the answer to send), or "answered" (a preflight). */
export type GateOutcome = undefined | PlainTextAnswer | "answered";

/** Both gates as one synchronous step of the AgentAPI listener's onRequest hook (see request-gate.ts). */
export function createHostAndCors(
  options: HostAndCorsOptions,
): (request: FastifyRequest, reply: FastifyReply) => GateOutcome {
  const hostVerdict = createHostCheck(options.allowedHosts);
  const exempt = options.exempt;
  const refusal = `Invalid host header. Allowed hosts: ${options.allowedHosts.join(", ")}`;
  const refuse = (request: FastifyRequest): PlainTextAnswer => {
    refusedHostRequests.add(request);
    return goHttpError(400, refusal);
  };
  /** The rare paths: no Host, or a Host that is not allowed. Undefined = allowed after all (`*`, HTTP/1.0). */
  const hostProblem = (request: FastifyRequest, host: string | undefined): PlainTextAnswer | undefined => {
    if (exempt(request.url)) return undefined;
    if (host === undefined) {
      // Go's server requires Host from HTTP/1.1 on; an HTTP/1.0 request without one meets upstream's own rule.
      if (request.raw.httpVersionMajor > 1 || request.raw.httpVersionMinor >= 1) {
        return goServerRefusal(400, "missing required Host header");
      }
      return options.allowedHosts.includes("*") ? undefined : refuse(request);
    }
    const verdict = hostVerdict(host);
    if (verdict === "malformed") return goServerRefusal(400, "malformed Host header");
    return verdict === "refused" ? refuse(request) : undefined;
  };
  const origins: Set<string> | "*" = options.allowedOrigins.includes("*")
    ? "*"
    : new Set(options.allowedOrigins.map((o) => o.toLowerCase()));

  return (request, reply) => {
    const headers = request.headers;
    const host = headers.host;
    if (host === undefined || hostVerdict(host) !== "allowed") {
      const problem = hostProblem(request, host);
      if (problem !== undefined) return problem;
    }
    if (request.method === "OPTIONS" && headers["access-control-request-method"] !== undefined) {
      preflight(request, reply, origins);
      // Upstream's CORS middleware ends every preflight itself, whatever the path.
      void reply.code(200).send();
      return "answered";
    }
    // Without Origin there is no CORS decision to make: upstream (go-chi/cors) only adds `Vary: Origin`.
    if (headers.origin === undefined) void reply.header("vary", "Origin");
    else actual(request, reply, origins);
    return undefined;
  };
}
