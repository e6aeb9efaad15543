// mixed_workload's operations as data: their weights and the deterministic cycle the scenario walks. The cycle is
// indexed by the scenario's run-wide iteration number (exec.scenario.iterationInTest), so concurrent VUs do different
// things, and whether iteration k prompts — and how many prompts came before it — is known from k alone: that is
// what lets a prompt budget be shared out exactly (prompt-budget.ts). Pure: Node tests read the same data.

import { weightedCycle, type Weighted } from "../lib/weighted";

export type Operation = "status" | "messages" | "send message" | "oauth init" | "refresh" | "events";

export const OPERATION_WEIGHTS: ReadonlyArray<Weighted<Operation> & { broker: boolean }> = [
  { action: "status", weight: 30, broker: false },
  { action: "messages", weight: 20, broker: false },
  { action: "send message", weight: 20, broker: false },
  { action: "oauth init", weight: 15, broker: true },
  { action: "refresh", weight: 10, broker: true },
  { action: "events", weight: 5, broker: false },
];

export interface MixedSchedule {
  /** The cycle of operations; iteration k does cycle[k % cycle.length]. */
  cycle: ReadonlyArray<Operation>;
  /** Prompts ("send message") in one whole cycle. */
  promptsPerCycle: number;
  /** promptsBefore[i]: prompts among cycle[0 … i − 1]. */
  promptsBefore: ReadonlyArray<number>;
}

/** The schedule of a run: every operation, or (agent only) the AgentAPI ones in the same relative weights. */
export function mixedSchedule(agentOnly: boolean): MixedSchedule {
  const cycle = weightedCycle(OPERATION_WEIGHTS.filter((op) => !op.broker || !agentOnly));
  const promptsBefore: number[] = [];
  let prompts = 0;
  for (const operation of cycle) {
    promptsBefore.push(prompts);
    if (operation === "send message") prompts++;
  }
  return { cycle, promptsPerCycle: prompts, promptsBefore };
}

/** The operation of the scenario's iteration k (run-wide, from 0). */
export function operationAt(schedule: MixedSchedule, k: number): Operation {
  return schedule.cycle[k % schedule.cycle.length] ?? "status";
}

/** How many of the scenario's iterations 0 … k − 1 prompted: iteration k's prompt, if it prompts, has this ordinal. */
export function promptOrdinal(schedule: MixedSchedule, k: number): number {
  const length = schedule.cycle.length;
  return Math.floor(k / length) * schedule.promptsPerCycle + (schedule.promptsBefore[k % length] ?? 0);
}
