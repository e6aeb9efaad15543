// The run's capacity plan (null unless CAPACITY / CAPACITY_RATES / CAPACITY_MAX_RATE is set). A bad plan throws
// here — one line, before any request — and k6 stops. As the configuration (run-config.ts), it is made once per test
// run, in k6's first init context, and shared with the VUs through a k6 SharedArray: the parser (plan.ts, built only
// for that call: plan-load.ts) and the built-ins it touches stay out of the VUs, which a capacity run has many of.

import { SharedArray } from "k6/data";
import { config } from "../run-config";
import type { CapacityPlan } from "./plan";
import { loadCapacityModule } from "./plan-load";
import { wantsCapacity } from "./steps";

function sharedPlan(): CapacityPlan | null {
  const shared = new SharedArray("agentapi-load capacity plan", (): Array<CapacityPlan | null> => [
    loadCapacityModule().loadCapacityPlan(__ENV, config),
  ]);
  return shared[0] ?? null;
}

export const capacity: CapacityPlan | null = wantsCapacity(__ENV) ? sharedPlan() : null;
