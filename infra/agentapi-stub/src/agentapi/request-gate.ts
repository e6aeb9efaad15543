// The AgentAPI listener's single onRequest hook: new work is refused while the target drains, then fault injection
// (so a fault header works on every path), then upstream's Host and CORS gates. It is synchronous, and a plain
// request (not draining, no X-Fault-* header, no environment fault, allowed Host, no Origin) costs a flag check, a few
// header lookups and one response header.
import type { FastifyInstance } from "fastify";
import type { FaultDefaults } from "../config";
import { createFaultStep, type FaultStep } from "../faults";
import { drainingProblem } from "../health";
import { createHostAndCors, type HostAndCorsOptions } from "./host-cors";

export function installRequestGate(
  app: FastifyInstance,
  options: HostAndCorsOptions & { faults: FaultDefaults; isDraining: () => boolean },
): FaultStep {
  const faults = createFaultStep(options.faults);
  const gates = createHostAndCors(options);
  const { exempt, isDraining } = options;

  app.addHook("onRequest", (request, reply, done) => {
    if (isDraining() && !exempt(request.url)) {
      done(drainingProblem());
      return;
    }
    if (!faults.applies(request)) {
      const outcome = gates(request, reply);
      if (outcome === undefined) done();
      else if (outcome !== "answered") done(outcome);
      return;
    }
    // Rare path (a fault header or an environment default): the gates run once the faults have been applied.
    faults.run(request, reply, (error) => {
      if (error !== undefined) {
        done(error);
        return;
      }
      const outcome = gates(request, reply);
      if (outcome === undefined) done();
      else if (outcome !== "answered") done(outcome);
    });
  });
  return faults;
}
