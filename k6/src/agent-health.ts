// What a VU sees of its own agent across an outage (a restart, an upgrade, a crash): how long from its first failed
// request to its first answered one (agent_recovery_time), and whether the conversation it had seen before is still
// there afterwards (agent_history_lost: messages it had seen that are missing or changed). Upstream keeps history
// across a restart only with --state-file. Each VU watches its own agent of the fleet and nothing else (watchers'
// probes of random agents are not noted), so the figures are per agent and run-wide with no per-agent tag.

import { metrics } from "./metrics";
import type { AgentMessage } from "./lib/guards";

interface Seen {
  id: number;
  content: string;
}

/** When this VU's requests to its agent started failing; null while they are answered. */
let failingSince: number | null = null;
/** An outage ended and the message list has not been compared with what came before it yet. */
let comparePending = false;
/**
 * The agent said `stable` since the outage ended. A restarted server answers before it has restored its state
 * (upstream loads it once its agent shows a prompt, and reports `running` until the screen has been still for 2 s),
 * so the comparison waits for the agent to be settled, as a user would before judging what is left.
 */
let settledSinceOutage = false;
/** The settled part of the last message list the VU read (all but a last agent message, which may still grow). */
let settled: Seen[] | null = null;

/** No answer at all, or a gateway's answer for a server behind it that is down: the agent is unreachable. */
export function isOutage(status: number): boolean {
  return status === 0 || status === 502 || status === 503 || status === 504;
}

/** Every status the VU reads of its own agent. */
export function noteAgentStatus(status: "running" | "stable"): void {
  if (comparePending && status === "stable") settledSinceOutage = true;
}

/** Every request to the VU's own agent reports whether it was answered (see isOutage). */
export function noteAgentAnswer(status: number): void {
  const now = Date.now();
  if (isOutage(status)) {
    if (failingSince === null) failingSince = now;
    return;
  }
  if (failingSince === null) return;
  metrics.agentRecoveryTime.add(now - failingSince);
  failingSince = null;
  comparePending = settled !== null;
  settledSinceOutage = false;
}

/** Every message list read from the VU's own agent: after an outage, compared with the one before it. */
export function noteMessages(messages: ReadonlyArray<AgentMessage>): void {
  // Keep the view from before the outage until the agent has settled, or its list is back to at least that length
  // (a restored conversation can stay `running`: upstream restores a state saved between a user message and its
  // reply as a turn that never ends).
  if (comparePending && !settledSinceOutage && (settled === null || messages.length < settled.length)) return;
  if (comparePending && settled !== null) {
    const now: Record<number, string> = {};
    for (const m of messages) now[m.id] = m.content;
    let lost = 0;
    for (const m of settled) if (now[m.id] !== m.content) lost++;
    metrics.agentHistoryLost.add(lost);
    comparePending = false;
  }
  const last = messages[messages.length - 1];
  const keep = last !== undefined && last.role === "agent" ? messages.length - 1 : messages.length;
  settled = [];
  for (let i = 0; i < keep; i++) {
    const m = messages[i];
    if (m !== undefined) settled.push({ id: m.id, content: m.content });
  }
}
