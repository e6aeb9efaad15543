// Entry point k6 runs: the eight journeys (each built in a VU when it first runs it), and the lifecycle functions
// (options, setup, teardown, handleSummary), which live in lifecycle.ts and are built only in VU 0. Bundled by
// k6/build.mjs into k6/dist/main.js (xk6-sse) and k6/dist/main.stock.js (any k6 ≥ v0.49).

import type { Options } from "k6/options";
import { loadLifecycle } from "./lifecycle-load";
import type { SetupData } from "./lifecycle";
import type { SummaryData } from "./reports/summary-data";
import { runJourney } from "./journey-run";

// The journeys as k6 runs them (options.scenarios' exec): each is built on its first iteration in a VU
// (journey-run.ts, journeys-load.ts).
export function authentication(): void {
  runJourney("authentication");
}
export function mcpConnection(): void {
  runJourney("mcp_connection");
}
export function toolExecution(): void {
  runJourney("tool_execution");
}
export function listTools(): void {
  runJourney("list_tools");
}
export function disconnect(): void {
  runJourney("disconnect");
}
export function mixedWorkload(): void {
  runJourney("mixed_workload");
}
export function agentConversation(): void {
  runJourney("agent_conversation");
}
export function eventWatchers(): void {
  runJourney("event_watchers");
}

/**
 * k6 reads `options` from its first init context only: VU 0, which also runs setup, teardown and handleSummary. A
 * VU's init leaves it undefined, so no VU builds the plan, the thresholds and the reports' code, and k6 copies nothing
 * onto it (k6 v1.8.1 internal/js/bundle.go manipulateOptions skips a nullish options export).
 */
export const options: Options | undefined = __VU === 0 ? loadLifecycle().runOptions() : undefined;

export function setup(): SetupData {
  return loadLifecycle().setup();
}

export function teardown(data: SetupData): void {
  loadLifecycle().teardown(data);
}

export function handleSummary(data: SummaryData): Record<string, string> {
  return loadLifecycle().handleSummary(data);
}
