// Journey 6 — mixed_workload: one operation per iteration, weighted like real use: 30 status, 20 messages,
// 20 send message, 15 OAuth init, 10 refresh of the VU's own config, 5 SSE subscription. Agent-only runs keep
// the AgentAPI operations (same relative weights).

import { group } from "k6";
import { getMessages, sendMessage } from "../clients/agentapi";
import { oauthInit, PROVIDERS } from "../clients/broker";
import { readInitialState } from "../clients/events";
import { checkInitialState, checkMessages, checkOAuthInit, checkSendMessage } from "../checks";
import { agentStatusStep, ensureUserToken, refreshOwnConfig } from "../flows";
import { createPkce } from "../lib/pkce";
import { beginIteration, iteration, vuId } from "../lib/iteration";
import { think } from "../lib/think";
import { weightedCycle, type Weighted } from "../lib/weighted";
import { metrics } from "../metrics";
import { agentUrl } from "../agent-target";
import { config } from "../run-config";

type Operation = "status" | "messages" | "send message" | "oauth init" | "refresh" | "events";

export const OPERATION_WEIGHTS: ReadonlyArray<Weighted<Operation> & { broker: boolean }> = [
  { action: "status", weight: 30, broker: false },
  { action: "messages", weight: 20, broker: false },
  { action: "send message", weight: 20, broker: false },
  { action: "oauth init", weight: 15, broker: true },
  { action: "refresh", weight: 10, broker: true },
  { action: "events", weight: 5, broker: false },
];

const SCHEDULE = weightedCycle(OPERATION_WEIGHTS.filter((op) => !op.broker || !config.agentOnly));

export function mixedWorkload(): void {
  beginIteration();
  // Each VU walks the schedule from its own offset (7 is coprime with the cycle lengths used here).
  const operation = SCHEDULE[(iteration() + vuId() * 7) % SCHEDULE.length] ?? "status";

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
      oauthInitOnly();
      break;
    case "refresh":
      // the VU's own config (first time: log in to get one)
      refreshOwnConfig();
      break;
    case "events":
      group("events", () => checkInitialState(readInitialState(agentUrl())));
      break;
  }

  think(1, 5);
}

function oauthInitOnly(): void {
  const userToken = ensureUserToken();
  if (userToken === null) return;
  group("oauth init", () => {
    const provider = PROVIDERS[iteration() % PROVIDERS.length] ?? "github";
    checkOAuthInit(
      oauthInit(config.oauthBaseUrl, userToken, {
        mcpName: `k6-${provider}`,
        provider,
        codeChallenge: createPkce().challenge,
      }),
    );
  });
}
