// Journey 6 — mixed_workload: one operation per iteration, weighted like real use: 30 status, 20 messages,
// 20 send message, 15 OAuth init, 10 refresh of the VU's own config, 5 SSE subscription (mixed-schedule.ts). Agent-only
// runs keep the AgentAPI operations (same relative weights). A prompt the budget does not allow becomes a read.

import { group } from "k6";
import { getMessages, sendMessage } from "../clients/agentapi";
import { readInitialState } from "../clients/events";
import { checkInitialState, checkMessages, checkSendMessage } from "../checks";
import { agentStatusStep } from "../flows";
import { loadBrokerSteps } from "../broker-steps-load";
import { beginIteration, iteration, vuId } from "../lib/iteration";
import { think } from "../lib/think";
import { metrics } from "../metrics";
import { agentUrl } from "../agent-target";
import { mayPrompt, scenarioIteration } from "../prompt-budget";
import { PROMPT_THINK_SECONDS } from "../prompt-plan";
import { config } from "../run-config";
import { mixedSchedule, operationAt, promptOrdinal } from "./mixed-schedule";

const SCHEDULE = mixedSchedule(config.agentOnly);

export function mixedWorkload(): void {
  beginIteration();
  // The scenario's run-wide iteration number walks the cycle: concurrent VUs do different things.
  const k = scenarioIteration();
  let operation = operationAt(SCHEDULE, k);
  if (operation === "send message" && !mayPrompt(promptOrdinal(SCHEDULE, k))) operation = "messages";

  switch (operation) {
    case "status":
      agentStatusStep();
      break;
    case "messages":
      checkMessages(getMessages(agentUrl()));
      break;
    case "send message": {
      const r = sendMessage(agentUrl(), `Summarise the repository (k6 vu ${vuId()} iteration ${iteration()})`);
      checkSendMessage(r);
      if (r.outcome === "busy") metrics.agentBusyTotal.add(1);
      break;
    }
    case "oauth init":
      loadBrokerSteps().oauthInitStep();
      break;
    case "refresh":
      // the VU's own config (first time: log in to get one)
      loadBrokerSteps().refreshOwnConfig();
      break;
    case "events":
      group("events", () => checkInitialState(readInitialState(agentUrl())));
      break;
  }

  think(...PROMPT_THINK_SECONDS.mixed_workload);
}
