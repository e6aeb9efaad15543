// Where the journeys get their broker and MCP steps (broker-steps.ts). In the k6 bundles and the harness,
// k6/lazy-modules.mjs replaces this module with one that builds them on a VU's first broker step and keeps them; as
// written here it imports them eagerly.

import * as brokerSteps from "./broker-steps";

export function loadBrokerSteps(): typeof brokerSteps {
  return brokerSteps;
}
