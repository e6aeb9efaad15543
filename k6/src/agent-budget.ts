// How long an agent may take, as one knob: AGENT_BUDGET_SCALE multiplies every agent-time budget (the turn bound
// here, and the agent-time thresholds in thresholds.ts), for real agents slower than the reference target's.

import { config } from "./run-config";

/** A turn that is not back to stable after this long counts as failed (at AGENT_BUDGET_SCALE=1). */
export const AGENT_TURN_BOUND_MS = 60_000;

export function agentTurnBoundMs(): number {
  return AGENT_TURN_BOUND_MS * config.agentBudgetScale;
}
