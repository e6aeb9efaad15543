// The run's capacity plan, loaded once per VU in the init context (null unless CAPACITY / CAPACITY_RATES /
// CAPACITY_MAX_RATE is set). A bad plan throws here — one line, before any request — and k6 stops. The parser
// (plan.ts) is built only in a capacity run, for this one call (plan-load.ts).

import { config } from "../run-config";
import { loadCapacityModule } from "./plan-load";
import { wantsCapacity } from "./steps";

export const capacity = wantsCapacity(__ENV) ? loadCapacityModule().loadCapacityPlan(__ENV, config) : null;
