// Entry point k6 runs: the eight journeys, and the lifecycle functions (options, setup, teardown, handleSummary),
// which live in lifecycle.ts and are built only in VU 0. Bundled by k6/build.mjs into k6/dist/main.js (xk6-sse) and
// k6/dist/main.stock.js (any k6 ≥ v0.49).

import type { Options } from "k6/options";
import { loadLifecycle } from "./lifecycle-load";
import type { SetupData } from "./lifecycle";
import type { SummaryData } from "./reports/summary-data";
import { asIteration } from "./lib/iteration";
import { capacity } from "./capacity/run-capacity";
import { withStepTags } from "./capacity/step-tags";
import { authentication as authenticationJourney } from "./scenarios/authentication";
import { mcpConnection as mcpConnectionJourney } from "./scenarios/mcp-connection";
import { toolExecution as toolExecutionJourney } from "./scenarios/tool-execution";
import { listToolsJourney } from "./scenarios/list-tools";
import { disconnect as disconnectJourney } from "./scenarios/disconnect";
import { mixedWorkload as mixedWorkloadJourney } from "./scenarios/mixed-workload";
import { agentConversation as agentConversationJourney } from "./scenarios/agent-conversation";
import { eventWatchers as eventWatchersJourney } from "./scenarios/event-watchers";

// The journeys as k6 runs them: each iteration ends by recording what is counted once per iteration (asIteration);
// in a capacity run each begins by tagging its samples with its step (capacity/step-tags.ts).
export const authentication = withStepTags(capacity, asIteration(authenticationJourney));
export const mcpConnection = withStepTags(capacity, asIteration(mcpConnectionJourney));
export const toolExecution = withStepTags(capacity, asIteration(toolExecutionJourney));
export const listTools = withStepTags(capacity, asIteration(listToolsJourney));
export const disconnect = withStepTags(capacity, asIteration(disconnectJourney));
export const mixedWorkload = withStepTags(capacity, asIteration(mixedWorkloadJourney));
export const agentConversation = withStepTags(capacity, asIteration(agentConversationJourney));
export const eventWatchers = withStepTags(capacity, asIteration(eventWatchersJourney));

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
