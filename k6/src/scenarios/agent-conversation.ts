// Journey 7 — agent_conversation: one turn with a coding agent, as its user lives it. Wait for the agent to be
// ready (stable), prompt it (if the prompt budget allows; else only read the conversation), watch the reply stream until the agent is stable again, find the reply in /messages,
// then read it (think). Records the agent turn, timed from the moment the accepted prompt was sent:
// agent_turn_duration (→ stable again), agent_first_output (→ first agent output, tagged observed_by sse|poll),
// agent_turns, agent_turn_failures (tag reason). On the ACP transport the POST itself lasts the whole turn.

import { check } from "k6";
import { getMessages, sendMessage } from "../clients/agentapi";
import { watchTurn } from "../clients/events";
import { checkMessages, checkSendMessage } from "../checks";
import { agentStatusStep } from "../flows";
import { beginIteration, iteration, vuId } from "../lib/iteration";
import { think } from "../lib/think";
import { metrics } from "../metrics";
import { agentUrl } from "../agent-target";
import { agentTurnBoundMs } from "../agent-budget";
import { mayPrompt, scenarioIteration } from "../prompt-budget";
import { PROMPT_THINK_SECONDS } from "../prompt-plan";
import { config } from "../run-config";
import type { TurnObservation } from "../clients/watch-state";
import type { AgentMessage } from "../lib/guards";

/** What a developer asks a coding agent, in turn. */
export const PROMPTS = [
  "Explain what this repository does",
  "Add input validation to the upload handler",
  "Write a unit test for the status endpoint",
  "Find the slowest function in src and suggest a fix",
  "Summarise the last five commits",
] as const;

const TURN_CHECK = { "turn: reply stream readable": (t: TurnObservation) => t.error === null };

/** Upstream pads agent lines to the terminal width: a reply is an agent message after the prompt with text in it. */
function repliedTo(messages: ReadonlyArray<AgentMessage>, prompt: string): boolean {
  let userId: number | null = null;
  for (const m of messages) if (m.role === "user" && m.content === prompt) userId = m.id;
  if (userId === null) return false;
  for (const m of messages) if (m.role === "agent" && m.id > userId && m.content.trim() !== "") return true;
  return false;
}

export function agentConversation(): void {
  beginIteration();
  const status = agentStatusStep();
  if (status === null || status.status !== "stable") {
    // Not ready (booting, or still finishing): a person waits a moment and looks again.
    think(1, 2);
    return;
  }

  if (!mayPrompt(scenarioIteration())) {
    // The run's prompts are spent: the user only reads the conversation.
    checkMessages(getMessages(agentUrl()));
    think(...PROMPT_THINK_SECONDS.agent_conversation);
    return;
  }

  const prompt = `${PROMPTS[iteration() % PROMPTS.length] ?? PROMPTS[0]} (k6 vu ${vuId()} turn ${iteration()})`;
  // A turn is timed from the moment the prompt is sent (what its user feels: upstream's send alone takes ≈ 1.1 s),
  // and counted only when the agent accepted it.
  const sentAt = Date.now();
  const sent = sendMessage(agentUrl(), prompt);
  checkSendMessage(sent);
  if (sent.outcome === "busy") metrics.agentBusyTotal.add(1);
  if (sent.outcome !== "accepted") {
    think(1, 2);
    return;
  }

  metrics.agentTurns.add(1);
  if (config.transport === "acp") {
    // ACP: the POST returned when the agent had finished the whole turn (upstream's Send blocks until the prompt's
    // response, and the agent is stable again then): the POST is the turn. Its first chunk went by while this VU
    // waited, so there is no first output to time here (watchers see the chunks).
    metrics.agentTurnDuration.add(Date.now() - sentAt);
  } else {
    const turn = watchTurn(agentUrl(), prompt, sentAt, agentTurnBoundMs());
    check(turn, TURN_CHECK);
    if (turn.firstOutputMs !== null) metrics.agentFirstOutput.add(turn.firstOutputMs, { observed_by: turn.observedBy });
    if (turn.stableMs !== null) metrics.agentTurnDuration.add(turn.stableMs);
    // Lost sight of the agent (its stream ended, its polls failed: a restart) or it did not settle within the bound.
    else metrics.agentTurnFailures.add(1, { reason: turn.lost ? "stream_lost" : "not_stable" });
  }

  const r = getMessages(agentUrl());
  checkMessages(r, prompt);
  if (!repliedTo(r.body ? r.body.messages : [], prompt)) metrics.agentTurnFailures.add(1, { reason: "reply_missing" });

  // Reading the reply and deciding what to ask next.
  think(...PROMPT_THINK_SECONDS.agent_conversation);
}
