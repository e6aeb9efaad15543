// The run's capacity plan, loaded once per VU in the init context (null unless CAPACITY / CAPACITY_RATES /
// CAPACITY_MAX_RATE is set). A bad plan throws here — one line, before any request — and k6 stops.

import { config } from "../run-config";
import { loadCapacityPlan } from "./plan";

export const capacity = loadCapacityPlan(__ENV, config);
