// Upstream's two request gates, in upstream's order: the Host header check (hostname only, port ignored,
// case-insensitive, `*` = any; refused → 400 naming the allowed hosts), then CORS (go-chi/cors with upstream's
// options: methods GET POST PUT DELETE OPTIONS, headers Accept Authorization Content-Type X-CSRF-Token (+Origin),
// exposed Link, credentials, max-age 300; a preflight is answered 200 right here, with CORS headers only when the
// origin, method and headers are all allowed).
import type { FastifyReply, FastifyRequest } from "fastify";
import { HttpProblem } from "../problem";

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

/** Host header rule as a predicate; answers are cached per header value (bounded, so `*`-less lists stay cheap). */
export function createHostCheck(allowedHosts: string[]): (host: string | undefined) => boolean {
  if (allowedHosts.includes("*")) return () => true;
  const hosts = new Set(allowedHosts.map((h) => h.toLowerCase()));
  const cache = new Map<string, boolean>();
  return (host) => {
    if (host === undefined) return false;
    let allowed = cache.get(host);
    if (allowed === undefined) {
      const name = hostnameOf(host);
      allowed = name !== undefined && hosts.has(name);
      if (cache.size >= 1024) cache.clear();
      cache.set(host, allowed);
    }
    return allowed;
  };
}

/** `content-type` → `Content-Type`, as go-chi/cors normalises the requested headers it echoes. */
const canonicalHeader = (name: string): string =>
  name.toLowerCase().replace(/(^|-)([a-z])/g, (_match, dash: string, letter: string) => dash + letter.toUpperCase());

function preflight(request: FastifyRequest, reply: FastifyReply, origins: Set<string> | "*"): void {
  void reply.header("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers");
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

/** What the gates decided: go on (undefined), refuse (the problem to answer), or "answered" (a preflight). */
export type GateOutcome = undefined | HttpProblem | "answered";

/** Both gates as one synchronous step of the AgentAPI listener's onRequest hook (see request-gate.ts). */
export function createHostAndCors(
  options: HostAndCorsOptions,
): (request: FastifyRequest, reply: FastifyReply) => GateOutcome {
  const hostAllowed = createHostCheck(options.allowedHosts);
  const exempt = options.exempt;
  const refusal = `Invalid host header. Allowed hosts: ${options.allowedHosts.join(", ")}`;
  const origins: Set<string> | "*" = options.allowedOrigins.includes("*")
    ? "*"
    : new Set(options.allowedOrigins.map((o) => o.toLowerCase()));

  return (request, reply) => {
    const headers = request.headers;
    if (!hostAllowed(headers.host) && !exempt(request.url)) {
      refusedHostRequests.add(request);
      return new HttpProblem(400, refusal);
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
