// Journey 7 — agent_conversation: one turn with a coding agent, as its user lives it. Wait for the agent to be
// ready (stable), prompt it, watch the reply stream until the agent is stable again, find the reply in /messages,
// then read it (think). Records the agent turn, timed from the moment the accepted prompt was sent:
// agent_turn_duration (→ stable again), agent_first_output (→ first agent output, tagged observed_by sse|poll),
// agent_turns, agent_turn_failures (tag reason).

import { check, group } from "k6";
import { getMessages, sendMessage } from "../clients/agentapi";
import { watchTurn } from "../clients/events";
import { checkMessages, checkSendMessage } from "../checks";
import { agentStatusStep } from "../flows";
import { beginIteration, iteration, vuId } from "../lib/iteration";
import { think } from "../lib/think";
import { metrics } from "../metrics";
import { agentUrl } from "../agent-target";
import { agentTurnBoundMs } from "../agent-budget";

/** What a developer asks a coding agent, in turn. */
export const PROMPTS = [
  "Explain what this repository does",
  "Add input validation to the upload handler",
  "Write a unit test for the status endpoint",
  "Find the slowest function in src and suggest a fix",
  "Summarise the last five commits",
] as const;

export function agentConversation(): void {
  beginIteration();
  const status = agentStatusStep();
  if (status === null || status.status !== "stable") {
    // Not ready (booting, or still finishing): a person waits a moment and looks again.
    think(1, 2);
    return;
  }

  const prompt = `${PROMPTS[iteration() % PROMPTS.length] ?? PROMPTS[0]} (k6 vu ${vuId()} turn ${iteration()})`;
  // A turn is timed from the moment the prompt is sent (what its user feels: upstream's send alone takes ≈ 1.1 s),
  // and counted only when the agent accepted it.
  let sentAt: number | null = null;
  group("agent prompt", () => {
    const started = Date.now();
    const r = sendMessage(agentUrl(), prompt);
    checkSendMessage(r);
    if (r.outcome === "busy") metrics.agentBusyTotal.add(1);
    else if (r.outcome === "accepted") sentAt = started;
  });
  if (sentAt === null) {
    think(1, 2);
    return;
  }

  metrics.agentTurns.add(1);
  const turn = group("agent reply", () => watchTurn(agentUrl(), prompt, sentAt ?? Date.now(), agentTurnBoundMs()));
  check(turn, { "turn: reply stream readable": (t) => t.error === null });
  if (turn.firstOutputMs !== null) metrics.agentFirstOutput.add(turn.firstOutputMs, { observed_by: turn.observedBy });
  if (turn.stableMs !== null) metrics.agentTurnDuration.add(turn.stableMs);
  else metrics.agentTurnFailures.add(1, { reason: "not_stable" });

  group("conversation", () => {
    const r = getMessages(agentUrl());
    checkMessages(r, prompt);
    const messages = r.body ? r.body.messages : [];
    const user = messages.filter((m) => m.role === "user" && m.content === prompt).pop();
    // Upstream pads agent lines to the terminal width: a reply is an agent message after the prompt with text in it.
    const replied =
      user !== undefined && messages.some((m) => m.role === "agent" && m.id > user.id && m.content.trim() !== "");
    if (!replied) metrics.agentTurnFailures.add(1, { reason: "reply_missing" });
  });

  // Reading the reply and deciding what to ask next.
  think(5, 15);
}
