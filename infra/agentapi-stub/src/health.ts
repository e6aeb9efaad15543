// GET /healthz on both listeners (not part of upstream AgentAPI; for container and orchestrator probes) and the
// answer every other request gets while the target drains.
import type { FastifyInstance } from "fastify";
import { HttpProblem } from "./problem";

/** Healthz is exempt from fault injection and from the AgentAPI Host rule, so probes by IP always reach it. */
export const isHealthz = (url: string): boolean => url === "/healthz" || url.startsWith("/healthz?");

/** `200 {"status":"ok"}`, or `503 {"status":"draining"}` once shutdown has begun. HEAD is served for probes. */
export function installHealthz(app: FastifyInstance, isDraining: () => boolean): void {
  app.get("/healthz", { exposeHeadRoute: true }, (_request, reply) => {
    if (isDraining()) return reply.code(503).send({ status: "draining" });
    return reply.send({ status: "ok" });
  });
}

/**
 * A request that reaches a listener after shutdown began (pipelined, or on a keep-alive connection that was busy):
 * refused as problem+json. fastify's own closing answer is a non-problem JSON body, so it is switched off.
 */
export function drainingProblem(): HttpProblem {
  return new HttpProblem(503, "the target is shutting down; retry against a running instance", undefined, {
    "Retry-After": "1",
  });
}
